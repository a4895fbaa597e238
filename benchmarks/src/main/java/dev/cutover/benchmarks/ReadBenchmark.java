package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.benchmarks.Accounts.Account;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.flags.Stage;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Latency of a read by primary key on real databases, sampled so that percentiles are reported: a
 * direct call of the target DAO (the baseline), against the same read through the Cutover
 * repository proxy in {@code SHIFT_READS} with every read routed to the target (the router runs the
 * target read on its time-limited executor, behind its circuit breaker), and against the same with
 * every read also shadow-read on the source and compared off the caller's thread. Both sides hold
 * equal rows, so every comparison matches. The proxies are wired by the {@code Cutover} runtime, as
 * an application wires them: one migration per variant, flags and retry-queue on the source.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar ReadBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReadBenchmark {
    /** Source engine, then target engine; the shadow read goes to the source. */
    @Param({"postgresql-postgresql", "mariadb-postgresql"})
    public String pair;

    private Accounts accounts;
    private AccountDao targetDao;
    private Cutover cutover;
    private Migration routedMigration;
    private Migration shadowedMigration;
    private AccountDao routed;
    private AccountDao shadowed;
    private long next;

    @Setup(Level.Trial)
    public void setUp() {
        accounts = Accounts.create(pair, "reads");
        AccountDao sourceDao = new JdbcAccountDao(accounts.sourcePool);
        targetDao = new JdbcAccountDao(accounts.targetPool);
        cutover = Cutover.builder(accounts.sourcePool, accounts.targetPool).build();
        routedMigration = cutover.migration("routed", Accounts.mapping());
        shadowedMigration = cutover.migration("shadowed", Accounts.mapping());
        for (Migration migration : new Migration[] {routedMigration, shadowedMigration}) {
            migration.moveTo(Stage.DUAL_WRITE, "benchmark", "read benchmark");
            migration.moveTo(Stage.SHIFT_READS, "benchmark", "read benchmark");
            migration.setTargetReadPercent(100, "benchmark", "read benchmark");
        }
        shadowedMigration.setShadowReadPercent(100, "benchmark", "read benchmark");
        routed = routedMigration.repository(AccountDao.class, sourceDao, targetDao);
        shadowed = shadowedMigration.repository(AccountDao.class, sourceDao, targetDao);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println();
        System.out.println("Routed reads: " + routedMigration.router().counts());
        System.out.println("Shadowed reads: " + shadowedMigration.router().counts());
        cutover.close();
        accounts.close();
    }

    private long nextId() {
        return next++ % Accounts.PRELOADED;
    }

    @Benchmark
    public Account baseline_directRead() throws SQLException {
        return targetDao.find(nextId());
    }

    @Benchmark
    public Account cutover_routedRead() throws SQLException {
        return routed.find(nextId());
    }

    @Benchmark
    public Account cutover_shadowedRead() throws SQLException {
        return shadowed.find(nextId());
    }
}
