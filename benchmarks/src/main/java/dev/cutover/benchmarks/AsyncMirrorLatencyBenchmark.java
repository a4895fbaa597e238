package dev.cutover.benchmarks;

import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.dualwrite.MirrorMode;
import java.sql.SQLException;
import java.time.Duration;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The caller's latency of one repository write in {@link MirrorMode#ASYNC} and in
 * {@link MirrorMode#SYNC} (issue #15): the repository proxy of the {@code Cutover} runtime in
 * {@code DUAL_WRITE}, against the source DAO alone (the baseline: what the asynchronous mode aims
 * at) and against hand-written code calling the source DAO then the target DAO, in the same run
 * with the same parameters. One caller thread; in the asynchronous mode the runtime's copier thread
 * copies behind it on the same two cores. Sample time, so the table gives p50 and p99.
 *
 * <p>At the end of each Cutover trial the copier's backlog and the retry-queue drain and the trial
 * fails unless both tables are equal row for row: the measured writes all reached the target.
 *
 * <p>Run alone: {@code java -Djmh.ignoreLock=true -jar benchmarks/target/benchmarks.jar AsyncMirrorLatency}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AsyncMirrorLatencyBenchmark {

    /** Source engine, then target engine. */
    @Param({"postgresql-postgresql", "mariadb-postgresql"})
    public String pair;

    /** A new row per call, or an increment of an existing one. */
    @Param({"update", "insert"})
    public String write;

    private Accounts accounts;
    private AccountDao sourceDao;
    private AccountDao targetDao;
    private MirrorTrial trial;
    private Accounts.SingleRowWrites writes;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        writes = new Accounts.SingleRowWrites(write);
        accounts = Accounts.create(pair, "asynclat");
        sourceDao = new JdbcAccountDao(accounts.sourcePool);
        targetDao = new JdbcAccountDao(accounts.targetPool);
        trial = MirrorTrial.openFor(params, accounts, sourceDao, targetDao, "async mirror latency benchmark");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException, InterruptedException {
        MirrorTrial.finish(trial, accounts, pair + " " + write, Duration.ofMinutes(1));
    }

    @Benchmark
    public void baseline_sourceOnly() throws SQLException {
        writes.writeTo(sourceDao, writes.nextId());
    }

    @Benchmark
    public void handWrittenTwoWrites() throws SQLException {
        long id = writes.nextId();
        writes.writeTo(sourceDao, id);
        writes.writeTo(targetDao, id);
    }

    @Benchmark
    public void cutover_async() throws SQLException {
        writes.writeTo(trial.proxy(), writes.nextId());
    }

    @Benchmark
    public void cutover_sync() throws SQLException {
        writes.writeTo(trial.proxy(), writes.nextId());
    }
}
