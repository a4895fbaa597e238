package dev.cutover.benchmarks;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Draining a backlog on a real PostgreSQL or MariaDB: {@value #ENTRIES} due entries, one per key,
 * replayed by a no-op handler until the table is empty. The baseline is db-scheduler executing as
 * many due no-op one-time tasks from its own table on the same database with the same number of
 * threads ({@value #THREADS}); on PostgreSQL it polls with lock-and-fetch ({@code SELECT ... FOR
 * UPDATE SKIP LOCKED}, its fastest strategy), on MariaDB with its default fetch-then-lock strategy,
 * because db-scheduler 14 offers lock-and-fetch on MariaDB only through a customization it does not
 * ship. The retry-queue runs its defaults (batches of 50) with {@value #THREADS} workers. Each shot
 * starts the drainer, waits until every entry ran and its row is gone, and reports time per entry
 * (so entries per second is 1,000,000 / score); the backlog is inserted and the drainer stopped
 * outside the measured time.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar RetryQueueDrain}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RetryQueueDrainBenchmark {
    static final int ENTRIES = 4_000;
    static final int THREADS = 4;
    private static final long TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(2);

    /** The database holding both queues' tables. */
    @Param({"postgresql", "mariadb"})
    public String engine;

    private TestDatabase db;
    private DataSource pool;
    private JdbcRetryStore store;
    private OneTimeTask<Void> task;
    private final LongAdder ran = new LongAdder();
    private RetryQueue queue;
    private Scheduler scheduler;
    private boolean schedulerStarted;

    @Setup(Level.Trial)
    public void setUp() {
        db = TestDatabases.create(Engine.valueOf(engine.toUpperCase(Locale.ROOT)), "drain");
        pool = db.dataSource(THREADS + 4);
        // The queue alone, not the Cutover runtime: this compares its drain with db-scheduler's, with a
        // replay handler that does no copy.
        store = RetryStore.jdbc(pool, "cutover_");
        store.createTables();
        SchedulerTables.create(db);
        task = Tasks.oneTime("noop").execute((instance, context) -> ran.increment());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        db.close();
    }

    /** Fills both tables and prepares both drainers, stopped. */
    @Setup(Level.Invocation)
    public void fill() throws SQLException {
        ran.reset();
        boolean postgres = db.engine() == Engine.POSTGRESQL;
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("DELETE FROM " + store.tableName());
            s.execute("DELETE FROM scheduled_tasks");
            for (int from = 0; from < ENTRIES; from += 1_000) {
                StringBuilder entries = new StringBuilder("INSERT INTO " + store.tableName()
                        + " (migration, entity, routing_key, replay_mode, operation, payload, status, attempts,"
                        + " next_attempt_at, created_at) VALUES ");
                StringBuilder tasks = new StringBuilder("INSERT INTO scheduled_tasks (task_name, task_instance,"
                        + " execution_time, picked, version) VALUES ");
                for (int i = from; i < Math.min(ENTRIES, from + 1_000); i++) {
                    String comma = i == from ? "" : ", ";
                    entries.append(comma).append("('accounts', 'account', 'key-").append(i)
                            .append("', 'RESYNC', 'resync', 'null', 'PENDING', 0, 0, 0)");
                    tasks.append(comma).append("('noop', 'task-").append(i).append("', ")
                            .append(postgres ? "TIMESTAMPTZ '2020-01-01 00:00:00+00'" : "TIMESTAMP '2020-01-01 00:00:00'")
                            .append(", FALSE, 1)");
                }
                s.execute(entries.toString());
                s.execute(tasks.toString());
            }
        }
        queue = RetryQueue.create(store, (entry, payload) -> ran.increment(),
                RetryQueueConfig.custom().workerCount(THREADS).build());
        var builder = Scheduler.create(pool, task).threads(THREADS).pollingInterval(Duration.ofSeconds(1));
        scheduler = (postgres ? builder.pollUsingLockAndFetch(0.5, 1.0) : builder).build();
    }

    @TearDown(Level.Invocation)
    public void stopDrainers() {
        queue.stop();
        if (schedulerStarted) {
            scheduler.stop();
            schedulerStarted = false;
        }
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public void baseline_dbSchedulerExecute() throws Exception {
        schedulerStarted = true;
        scheduler.start();
        awaitDrained("scheduled_tasks");
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public void cutover_retryQueueDrain() throws Exception {
        queue.start();
        awaitDrained(store.tableName());
    }

    private void awaitDrained(String table) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (ran.sum() < ENTRIES) {
            checkDeadline(deadline, table);
            TimeUnit.MILLISECONDS.sleep(1);
        }
        while (rows(table) > 0) {
            checkDeadline(deadline, table);
            TimeUnit.MILLISECONDS.sleep(2);
        }
    }

    private void checkDeadline(long deadline, String table) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException(table + " did not drain in 2 minutes: " + ran.sum() + " of " + ENTRIES + " ran");
        }
    }

    private long rows(String table) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
