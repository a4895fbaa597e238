package dev.cutover.benchmarks;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
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
 * Enqueueing one entry, on a real PostgreSQL or MariaDB: db-scheduler's client scheduling a one-time
 * task instance due now (the baseline, one insert) against the retry-queue enqueueing a
 * {@code RESYNC} entry for a new key (a transaction that looks for the key's superseded entries and
 * inserts). One thread; the queue's workers do not run, so the table only grows.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar RetryQueueEnqueue}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RetryQueueEnqueueBenchmark {
    /** The database holding both queues' tables. */
    @Param({"postgresql", "mariadb"})
    public String engine;

    private TestDatabase db;
    private RetryQueue queue;
    private SchedulerClient scheduler;
    private OneTimeTask<Void> task;
    private long next;

    @Setup(Level.Trial)
    public void setUp() {
        db = TestDatabases.create(Engine.valueOf(engine.toUpperCase(Locale.ROOT)), "enqueue");
        DataSource pool = db.dataSource(4);
        // The queue alone, not the Cutover runtime: this compares its enqueue with db-scheduler's.
        JdbcRetryStore store = RetryStore.jdbc(pool, "cutover_");
        store.createTables();
        queue = RetryQueue.create(store, (entry, payload) -> { }, RetryQueueConfig.custom().build());
        SchedulerTables.create(db);
        task = Tasks.oneTime("noop").execute((instance, context) -> { });
        scheduler = SchedulerClient.Builder.create(pool, task).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        queue.close();
        db.close();
    }

    @Benchmark
    public void baseline_dbSchedulerSchedule() {
        scheduler.schedule(task.instance("task-" + next++), Instant.now());
    }

    @Benchmark
    public long cutover_retryQueueEnqueue() {
        return queue.enqueue(NewRetryEntry.resync("accounts", "account", "key-" + next++));
    }
}
