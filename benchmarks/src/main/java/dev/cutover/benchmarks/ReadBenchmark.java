package dev.cutover.benchmarks;

import dev.cutover.benchmarks.Accounts.Account;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.dualwrite.Cutover;
import dev.cutover.dualwrite.KeyResync;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
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
 * equal rows, so every comparison matches.
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
    private MigrationFlags flags;
    private ReadRouter routedRouter;
    private ReadRouter shadowedRouter;
    private AccountDao routed;
    private AccountDao shadowed;
    private RetryQueue unusedQueue;
    private long next;

    @Setup(Level.Trial)
    public void setUp() {
        accounts = Accounts.create(pair, "reads");
        AccountDao sourceDao = new JdbcAccountDao(accounts.sourcePool);
        targetDao = new JdbcAccountDao(accounts.targetPool);
        flags = MigrationFlags.builder(FlagStore.inMemory()).declare("routed", "shadowed").build();
        for (String migration : new String[] {"routed", "shadowed"}) {
            flags.forceMoveTo(migration, Stage.SHIFT_READS, "benchmark", "read benchmark");
            flags.setTargetReadPercent(migration, 100, "benchmark", "read benchmark");
        }
        flags.setShadowReadPercent("shadowed", 100, "benchmark", "read benchmark");
        // The repository has writes too, so it needs a queue and a resync; no write is made here.
        unusedQueue = RetryQueue.create(RetryStore.inMemory(), (entry, payload) -> { }, RetryQueueConfig.custom().build());
        routedRouter = ReadRouter.builder(flags, "routed").build();
        shadowedRouter = ReadRouter.builder(flags, "shadowed").build();
        routed = proxy(sourceDao, "routed", routedRouter);
        shadowed = proxy(sourceDao, "shadowed", shadowedRouter);
    }

    private AccountDao proxy(AccountDao sourceDao, String migration, ReadRouter router) {
        return Cutover.repository(AccountDao.class)
                .source(sourceDao)
                .target(targetDao)
                .migration(migration)
                .flags(flags)
                .router(router)
                .retryQueue(unusedQueue)
                .resync(KeyResync.builder(accounts.sourcePool, accounts.targetPool).mapping(Accounts.mapping()).build(),
                        "account")
                .build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println();
        System.out.println("Routed reads: " + routedRouter.stats());
        System.out.println("Shadowed reads: " + shadowedRouter.stats());
        unusedQueue.close();
        routedRouter.close();
        shadowedRouter.close();
        flags.close();
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
