package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.Write;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The latency a backfill adds to the application's writes (issue #16's third goal): 4 writer
 * threads write through the repository proxy in {@code DUAL_WRITE} while a backfill at the default
 * throttle ({@code BackfillConfig.ofDefaults()}: 0.5 s chunks, no rate limit, a duty cycle that halves while
 * the dual-write copies average over 1.25 times their baseline without the backfill;
 * {@code -p backfillRowsPerSecond=N} adds a rate limit)
 * copies the table's {@link #rows} rows of history to an empty target, pass after pass for as long
 * as the writers run. The baseline is the same writers on the same table with no backfill (the
 * target already holding the history). Sample time, so the table gives p50 and p99 of a write call.
 *
 * <p>The writers deposit to, delete and re-insert rows of the history (every {@value #STRIDE}th key,
 * spread over the whole table, so that some of them fall in the chunk being copied) and insert new
 * rows past it. Every write is recorded in an {@link AcknowledgedWriteOracle} (the history of the
 * keys they touch too, as written by the bulk load). At the end of each trial, with the writers
 * stopped, the backfill finishes its pass, the retry-queue drains, and the trial fails unless both
 * tables are equal row for row (every column) and both sides of every touched key hold what the
 * acknowledged writes left.
 *
 * <p>Run alone: {@code java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.mariadb.jdbc=error
 * -jar benchmarks/target/benchmarks.jar BackfillLatency} (the MariaDB driver logs every refused
 * duplicate insert at WARN otherwise). Each trial loads the table on both databases and compares
 * them at the end: about 2 minutes per trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BackfillLatencyBenchmark {
    private static final String MIGRATION = "items";
    /** The writers touch every STRIDE-th history key. */
    static final int STRIDE = 50;
    private static final LocalDateTime INSERTED_AT = LocalDateTime.of(2026, 1, 1, 12, 0);
    private static final String COLUMNS = "id, name, amount, created, note, active";

    /** Source engine, then target engine. */
    @Param({"postgresql-postgresql", "mariadb-postgresql"})
    public String pair;

    /** Rows of history in the source table. */
    @Param({"1000000"})
    public int rows;

    /** The backfill's rows-per-second limit; 0, the default throttle, sets none. */
    @Param({"0"})
    public long backfillRowsPerSecond;

    private TestDatabase sourceDb;
    private TestDatabase targetDb;
    private Cutover cutover;
    private Migration migration;
    private ItemDao proxy;
    private final AcknowledgedWriteOracle<Long, Item> oracle = new AcknowledgedWriteOracle<>(Item.ABSENT);
    private final AtomicLong nextNewId = new AtomicLong();
    private final AtomicLong duplicateInserts = new AtomicLong();
    private final AtomicLong otherFailures = new AtomicLong();
    private final List<String> failureSamples = new CopyOnWriteArrayList<>();
    private List<AcknowledgedWriteOracle<Long, Item>.Write> history;
    private boolean backfilling;
    private Backfill backfill;
    private Thread backfillThread;
    private volatile boolean finishing;
    private volatile Throwable backfillFailure;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong backfillRows = new AtomicLong();
    private volatile BackfillProgress lastPass;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws SQLException {
        backfilling = params.getBenchmark().endsWith("cutover_writesDuringBackfill");
        String[] engines = pair.split("-");
        sourceDb = TestDatabases.create(Engine.valueOf(engines[0].toUpperCase(Locale.ROOT)), "bflatsrc");
        targetDb = TestDatabases.create(Engine.valueOf(engines[1].toUpperCase(Locale.ROOT)), "bflattgt");
        nextNewId.set(rows + 1L);

        // The history of the keys the writers touch, recorded as written by the bulk load.
        history = new ArrayList<>();
        for (long id = 1; id <= rows; id += STRIDE) {
            Item loaded = Item.loaded(id);
            history.add(oracle.begin(id, "bulk load", Effect.requiring(Item::absent, absent -> loaded)));
        }
        ItemTables.load(sourceDb, rows);
        history.forEach(AcknowledgedWriteOracle.Write::acknowledged);
        if (backfilling) {
            targetDb.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount NUMERIC(12,2) NOT NULL,"
                    + " created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)");
        } else {
            ItemTables.load(targetDb, rows);
        }

        DataSource sourcePool = sourceDb.dataSource(12);
        DataSource targetPool = targetDb.dataSource(12);
        cutover = Cutover.builder(sourcePool, targetPool).build();
        TableMapping mapping = TableMapping.builder("item").key("id", Long.class)
                .column("name").column("amount").column("created").column("note").column("active").build();
        migration = cutover.migration(MIGRATION, mapping);
        migration.moveTo(Stage.DUAL_WRITE, "benchmark", "backfill latency benchmark");
        proxy = migration.repository(ItemDao.class, new JdbcItemDao(sourcePool), new JdbcItemDao(targetPool));
        if (backfilling) {
            backfill = migration.backfill()
                    .config(BackfillConfig.from(BackfillConfig.ofDefaults()).rowsPerSecond(backfillRowsPerSecond).build())
                    .build();
            backfillThread = new Thread(this::backfillPasses, "benchmark-backfill");
            backfillThread.start();
        }
    }

    /** Backfills pass after pass until the trial ends; each pass after a finished one starts over. */
    private void backfillPasses() {
        try {
            do {
                BackfillProgress pass = backfill.run();
                lastPass = pass;
                passes.incrementAndGet();
                backfillRows.addAndGet(pass.rowsDone());
            } while (!finishing);
        } catch (Throwable e) {
            backfillFailure = e;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        // Where the back-off stood while the writers ran (the pass then finishes without them).
        BackfillProgress whenWritersStopped = backfilling ? backfill.progress() : null;
        try {
            if (backfilling) {
                // The writers have stopped: let the pass in flight finish, then start no other.
                finishing = true;
                backfillThread.join();
                if (backfillFailure != null) {
                    throw new IllegalStateException("The backfill failed", backfillFailure);
                }
            }
            if (!cutover.retryQueue().drain(Duration.ofMinutes(2))) {
                throw new IllegalStateException("The retry-queue did not drain: " + migration.queueDepth());
            }
            Comparison comparison = compare(oracle.keys());
            List<String> violations = oracle.violations(comparison.sourceStates, comparison.targetStates);
            System.out.println();
            System.out.printf(Locale.ROOT, "%s, %s: %d acknowledged writes (and the bulk load of %d touched keys), %d"
                    + " re-inserts refused as duplicates, %d other failed writes %s, %d rows compared, %d differing, %d"
                    + " oracle violations; backfill: %s%n", pair, backfilling ? "during the backfill" : "no backfill",
                    oracle.acknowledged() - history.size(), history.size(),
                    duplicateInserts.get(), otherFailures.get(), failureSamples, comparison.rowsCompared,
                    comparison.differing, violations.size(),
                    backfilling ? passes.get() + " passes, " + backfillRows.get() + " rows, last " + lastPass : "none");
            System.out.println("Dual-write stats: " + migration.counters());
            if (whenWritersStopped != null) {
                System.out.printf(Locale.ROOT, "Backfill when the writers stopped: %d rows in %d s, duty cycle %.2f,"
                        + " %d back-offs, %.1f s of back-off waits and baseline windows, baseline copy %d µs%n",
                        whenWritersStopped.rowsDone(), whenWritersStopped.elapsed().toSeconds(),
                        whenWritersStopped.dutyCycle(), whenWritersStopped.backOffs(),
                        whenWritersStopped.backOffTime().toMillis() / 1000.0,
                        whenWritersStopped.baselineCopyTime().toNanos() / 1000);
            }
            if (comparison.differing > 0 || !violations.isEmpty()) {
                throw new IllegalStateException("The sides diverged: " + comparison.differing + " differing rows, first "
                        + comparison.differences + "; oracle: " + violations.subList(0, Math.min(10, violations.size())));
            }
        } finally {
            cutover.close();
            sourceDb.close();
            targetDb.close();
        }
    }

    /** One writer's random choices. */
    @State(Scope.Thread)
    public static class Writer {
        private final SplittableRandom random = new SplittableRandom();
    }

    @Benchmark
    @Threads(4)
    public void baseline_writesWithoutBackfill(Writer writer) {
        writeOnce(writer.random);
    }

    @Benchmark
    @Threads(4)
    public void cutover_writesDuringBackfill(Writer writer) {
        writeOnce(writer.random);
    }

    /**
     * One write through the proxy: a deposit (50%), a delete (15%) or a re-insert (15%) of a touched
     * history key, or the insert of a new key past the history (20%). A write that throws is recorded
     * as failed and counted, and its time counts like any other call's.
     */
    private void writeOnce(SplittableRandom random) {
        int op = random.nextInt(100);
        long id = op < 80 ? 1 + (long) random.nextInt((rows + STRIDE - 1) / STRIDE) * STRIDE : nextNewId.getAndIncrement();
        if (op < 50) {
            long cents = random.nextInt(1_000) - 200;
            call(oracle.begin(id, "deposit " + cents, item -> item.exists() ? item.plus(cents) : item),
                    () -> proxy.deposit(id, BigDecimal.valueOf(cents, 2)));
        } else if (op < 65) {
            call(oracle.begin(id, "delete", item -> Item.ABSENT), () -> proxy.delete(id));
        } else {
            Item inserted = new Item(true, "w" + id, 0, null, true);
            call(oracle.begin(id, "insert", Effect.requiring(Item::absent, absent -> inserted)),
                    () -> proxy.insert(id, inserted.name()));
        }
    }

    private void call(AcknowledgedWriteOracle<Long, Item>.Write write, AcknowledgedWriteOracle.Call<SQLException> call) {
        try {
            call.run();
        } catch (SQLException | RuntimeException e) {
            write.failed(e);
            boolean duplicate = e instanceof SQLException sql && sql.getSQLState() != null
                    && sql.getSQLState().startsWith("23");
            (duplicate ? duplicateInserts : otherFailures).incrementAndGet();
            if (!duplicate && otherFailures.get() <= 5) {
                failureSamples.add(String.valueOf(e));
            }
            return;
        }
        write.acknowledged();
    }

    /**
     * Streams both tables in key order, comparing every column, and collects the states of the
     * oracle's keys on each side.
     */
    private Comparison compare(Set<Long> keys) throws SQLException {
        Comparison comparison = new Comparison();
        String select = "SELECT " + COLUMNS + " FROM item ORDER BY id";
        try (Connection source = sourceDb.connect(); Connection target = targetDb.connect()) {
            source.setAutoCommit(false);
            target.setAutoCommit(false);
            try (PreparedStatement s = source.prepareStatement(select); PreparedStatement t = target.prepareStatement(select)) {
                s.setFetchSize(5_000);
                t.setFetchSize(5_000);
                try (ResultSet sr = s.executeQuery(); ResultSet tr = t.executeQuery()) {
                    Row sourceRow = Row.next(sr);
                    Row targetRow = Row.next(tr);
                    while (sourceRow != null || targetRow != null) {
                        long sourceId = sourceRow == null ? Long.MAX_VALUE : sourceRow.id;
                        long targetId = targetRow == null ? Long.MAX_VALUE : targetRow.id;
                        long id = Math.min(sourceId, targetId);
                        Row onSource = sourceId == id ? sourceRow : null;
                        Row onTarget = targetId == id ? targetRow : null;
                        comparison.rowsCompared++;
                        if (!Objects.equals(onSource, onTarget) && comparison.differing++ < 10) {
                            comparison.differences.add("source " + onSource + " / target " + onTarget);
                        }
                        if (keys.contains(id)) {
                            if (onSource != null) {
                                comparison.sourceStates.put(id, onSource.item());
                            }
                            if (onTarget != null) {
                                comparison.targetStates.put(id, onTarget.item());
                            }
                        }
                        sourceRow = onSource != null ? Row.next(sr) : sourceRow;
                        targetRow = onTarget != null ? Row.next(tr) : targetRow;
                    }
                }
            }
        }
        return comparison;
    }

    private static final class Comparison {
        long rowsCompared;
        long differing;
        /** The first ten differing rows. */
        final List<String> differences = new ArrayList<>();
        final Map<Long, Item> sourceStates = new HashMap<>();
        final Map<Long, Item> targetStates = new HashMap<>();
    }

    /** A row as both engines can be compared: amounts in cents, timestamps as local date-times. */
    private record Row(long id, String name, long cents, LocalDateTime created, String note, boolean active) {
        static Row next(ResultSet rs) throws SQLException {
            if (!rs.next()) {
                return null;
            }
            Timestamp created = rs.getTimestamp(4);
            return new Row(rs.getLong(1), rs.getString(2), rs.getBigDecimal(3).movePointRight(2).longValueExact(),
                    created.toLocalDateTime(), rs.getString(5), rs.getBoolean(6));
        }

        Item item() {
            return new Item(true, name, cents, note, active);
        }
    }

    /**
     * A key's state as the writers change it; {@code created} is left out (only inserts write it,
     * and the row-for-row comparison covers it).
     *
     * @param exists whether the row exists
     * @param name its name
     * @param cents its amount in cents
     * @param note its note, or null
     * @param active its flag
     */
    record Item(boolean exists, String name, long cents, String note, boolean active) {
        static final Item ABSENT = new Item(false, null, 0, null, false);

        /** The row {@link ItemTables#load} writes for a key. */
        static Item loaded(long id) {
            return new Item(true, "näme-" + id, id % 10_000, id % 7 == 0 ? null : "n" + id % 13, id % 2 == 0);
        }

        boolean absent() {
            return !exists;
        }

        Item plus(long delta) {
            return new Item(true, name, cents + delta, note, active);
        }
    }

    /** The application's repository of {@code item}; each call is one auto-committed statement. */
    public interface ItemDao {
        /**
         * Adds to a row's amount; changes nothing if the row is absent.
         *
         * @param id the row
         * @param amount the amount
         * @throws SQLException if the database fails
         */
        @Write
        void deposit(@RoutingKey long id, BigDecimal amount) throws SQLException;

        /**
         * Deletes a row, if present.
         *
         * @param id the row
         * @throws SQLException if the database fails
         */
        @Write
        void delete(@RoutingKey long id) throws SQLException;

        /**
         * Inserts a row with a zero amount, no note, active.
         *
         * @param id the new row's id
         * @param name its name
         * @throws SQLException if the database fails, e.g. the row exists
         */
        @Write
        void insert(@RoutingKey long id, String name) throws SQLException;
    }

    /** The hand-written DAO over one side. */
    static final class JdbcItemDao implements ItemDao {
        private final DataSource dataSource;

        JdbcItemDao(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public void deposit(long id, BigDecimal amount) throws SQLException {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s = c.prepareStatement("UPDATE item SET amount = amount + ? WHERE id = ?")) {
                s.setBigDecimal(1, amount);
                s.setLong(2, id);
                s.executeUpdate();
            }
        }

        @Override
        public void delete(long id) throws SQLException {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s = c.prepareStatement("DELETE FROM item WHERE id = ?")) {
                s.setLong(1, id);
                s.executeUpdate();
            }
        }

        @Override
        public void insert(long id, String name) throws SQLException {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s = c.prepareStatement("INSERT INTO item (" + COLUMNS + ") VALUES (?, ?, 0, ?, NULL, ?)")) {
                s.setLong(1, id);
                s.setString(2, name);
                s.setTimestamp(3, Timestamp.valueOf(INSERTED_AT));
                s.setBoolean(4, true);
                s.executeUpdate();
            }
        }
    }
}
