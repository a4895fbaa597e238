package dev.cutover.benchmarks;

import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.dualwrite.MirrorMode;
import java.sql.SQLException;
import java.time.Duration;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Write throughput of 8 threads, each depositing to a random row of {@link #rows} preloaded rows
 * (50: hot rows, most writes meet another on the same row; 100,000: cold rows), issue #15: the
 * repository proxy of the {@code Cutover} runtime in {@code DUAL_WRITE} in {@link MirrorMode#ASYNC}
 * and in {@link MirrorMode#SYNC}, against hand-written code calling the source DAO then the target
 * DAO (the baseline: the asynchronous mode's goal on hot rows is to match it) and against the source
 * DAO alone, in the same run with the same parameters.
 *
 * <p>The asynchronous mode's throughput is the callers'; its copier may fall behind, and then its
 * backlog bound sends keys to the retry-queue inside the calls, which the table's score includes.
 * At the end of each Cutover trial the backlog and the retry-queue drain, the copier's counters are
 * printed (copied, coalesced, overflowed to the queue, mean lag), and the trial fails unless both
 * tables are equal row for row.
 *
 * <p>Run alone: {@code java -Djmh.ignoreLock=true -jar benchmarks/target/benchmarks.jar AsyncMirrorThroughput}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AsyncMirrorThroughputBenchmark {
    private static final int THREADS = 8;

    /** Source engine, then target engine. */
    @Param({"postgresql-postgresql", "mariadb-postgresql"})
    public String pair;

    /** Preloaded rows the writers pick from at random. */
    @Param({"50", "100000"})
    public int rows;

    private Accounts accounts;
    private AccountDao sourceDao;
    private AccountDao targetDao;
    private MirrorTrial trial;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        // Every writer, the copier, the retry-queue's workers and its enqueues each need a connection.
        accounts = Accounts.create(pair, "asyncthr", rows, THREADS + 6);
        sourceDao = new JdbcAccountDao(accounts.sourcePool);
        targetDao = new JdbcAccountDao(accounts.targetPool);
        trial = MirrorTrial.openFor(params, accounts, sourceDao, targetDao, "async mirror throughput benchmark");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException, InterruptedException {
        MirrorTrial.finish(trial, accounts, pair + " rows=" + rows, Duration.ofMinutes(2));
    }

    /** One writer's random choices. */
    @State(Scope.Thread)
    public static class Writer {
        private final SplittableRandom random = new SplittableRandom();
    }

    @Benchmark
    @Threads(THREADS)
    public void baseline_handWrittenTwoWrites(Writer writer) throws SQLException {
        long id = writer.random.nextInt(rows);
        sourceDao.deposit(id, 1);
        targetDao.deposit(id, 1);
    }

    @Benchmark
    @Threads(THREADS)
    public void sourceOnly(Writer writer) throws SQLException {
        sourceDao.deposit(writer.random.nextInt(rows), 1);
    }

    @Benchmark
    @Threads(THREADS)
    public void cutover_async(Writer writer) throws SQLException {
        trial.proxy().deposit(writer.random.nextInt(rows), 1);
    }

    @Benchmark
    @Threads(THREADS)
    public void cutover_sync(Writer writer) throws SQLException {
        trial.proxy().deposit(writer.random.nextInt(rows), 1);
    }
}
