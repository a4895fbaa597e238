package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.JdbiCallerTransactions;
import dev.cutover.dualwrite.LateWriteException;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.dualwrite.Read;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.Write;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.UnknownTransactionException;
import dev.cutover.flags.FlagsNotConfirmedException;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerificationReport;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's Tutorial followed literally by a new user, at default settings (HikariCP's default
 * pools, the runtime's defaults, the JVM's own time zone): one JDBI SqlObject DAO per table over
 * varied column types (a renamed and a converted column among them), eight writers on the same
 * twenty rows of each table, and the stages walked forward and back. Both sides must hold what the
 * acknowledged writes did, not only the same rows.
 */
class TutorialUserTest {
    private static final int ROWS = 20;
    private static final int WRITERS = 8;
    /** The phase in which the runtime is closed under the writers: their calls may then fail. */
    private static final String CLOSED = "closed";

    /**
     * The repository the application calls. The target's columns differ (a renamed {@code notes}, a
     * converted {@code status}), so each side has its own SqlObject of this interface.
     */
    public interface ItemDao {
        @Write
        void insert(@RoutingKey long id, BigDecimal price, Boolean active, LocalDateTime seenAt, Instant happenedAt,
                LocalDate due, String note, byte[] data, String label);

        @Write
        int bump(@RoutingKey long id);

        @Write
        int setNote(@RoutingKey long id, String note);

        @Write
        int delete(@RoutingKey long id);

        @Read
        Optional<Long> qty(@RoutingKey long id);
    }

    public interface SourceItemDao extends ItemDao {
        @Override
        @SqlUpdate("INSERT INTO items (id, qty, price, active, seen_at, happened_at, due, note, data, label) "
                + "VALUES (:id, 0, :price, :active, :seenAt, :happenedAt, :due, :note, :data, :label)")
        void insert(@Bind("id") long id, @Bind("price") BigDecimal price, @Bind("active") Boolean active,
                @Bind("seenAt") LocalDateTime seenAt, @Bind("happenedAt") Instant happenedAt, @Bind("due") LocalDate due,
                @Bind("note") String note, @Bind("data") byte[] data, @Bind("label") String label);

        @Override
        @SqlUpdate("UPDATE items SET qty = qty + 1 WHERE id = :id")
        int bump(@Bind("id") long id);

        @Override
        @SqlUpdate("UPDATE items SET note = :note WHERE id = :id")
        int setNote(@Bind("id") long id, @Bind("note") String note);

        @Override
        @SqlUpdate("DELETE FROM items WHERE id = :id")
        int delete(@Bind("id") long id);

        @Override
        @SqlQuery("SELECT qty FROM items WHERE id = :id")
        Optional<Long> qty(@Bind("id") long id);
    }

    public interface TargetItemDao extends ItemDao {
        @Override
        @SqlUpdate("INSERT INTO items (id, qty, price, status, seen_at, happened_at, due, notes, data, label) "
                + "VALUES (:id, 0, :price, CASE WHEN CAST(:active AS BOOLEAN) THEN 'Y' WHEN NOT CAST(:active AS BOOLEAN) THEN 'N' END,"
                + " :seenAt, :happenedAt, :due, :note, :data, :label)")
        void insert(@Bind("id") long id, @Bind("price") BigDecimal price, @Bind("active") Boolean active,
                @Bind("seenAt") LocalDateTime seenAt, @Bind("happenedAt") Instant happenedAt, @Bind("due") LocalDate due,
                @Bind("note") String note, @Bind("data") byte[] data, @Bind("label") String label);

        @Override
        @SqlUpdate("UPDATE items SET qty = qty + 1 WHERE id = :id")
        int bump(@Bind("id") long id);

        @Override
        @SqlUpdate("UPDATE items SET notes = :note WHERE id = :id")
        int setNote(@Bind("id") long id, @Bind("note") String note);

        @Override
        @SqlUpdate("DELETE FROM items WHERE id = :id")
        int delete(@Bind("id") long id);

        @Override
        @SqlQuery("SELECT qty FROM items WHERE id = :id")
        Optional<Long> qty(@Bind("id") long id);
    }

    public interface TagDao {
        @SqlUpdate("INSERT INTO tags (code, hits, title) VALUES (:code, 0, :title)")
        void insert(@RoutingKey @Bind("code") String code, @Bind("title") String title);

        @SqlUpdate("UPDATE tags SET hits = hits + 1 WHERE code = :code")
        int hit(@RoutingKey @Bind("code") String code);

        @SqlUpdate("DELETE FROM tags WHERE code = :code")
        int delete(@RoutingKey @Bind("code") String code);

        @SqlQuery("SELECT hits FROM tags WHERE code = :code")
        Optional<Integer> hits(@RoutingKey @Bind("code") String code);
    }

    /** One item row as the application reads it back; the data column as hex. */
    record Item(long qty, BigDecimal price, Boolean active, LocalDateTime seenAt, Instant happenedAt, LocalDate due,
            String note, String data, String label) {
        Item withQty(long q) {
            return new Item(q, price, active, seenAt, happenedAt, due, note, data, label);
        }

        Item withNote(String n) {
            return new Item(qty, price, active, seenAt, happenedAt, due, n, data, label);
        }
    }

    record Tag(int hits, String title) {
    }

    private static final String[] NOTES = {"ünïcödé 日本語 🚀 ", "", "  trailing  ", null, "it's \\ quoted"};

    static final TableMapping ITEMS = TableMapping.builder("items").key("id", Long.class)
            .columns("qty", "price")
            .column("active", "status", v -> v == null ? null : truthy(v) ? "Y" : "N", v -> v == null ? null : "Y".equals(v))
            .columns("seen_at", "happened_at", "due")
            .column("note", "notes")
            .columns("data", "label")
            .build();

    static final TableMapping TAGS = TableMapping.builder("tags").key("code", String.class).columns("hits", "title").build();

    private static boolean truthy(Object value) {
        return value instanceof Boolean b ? b : ((Number) value).intValue() != 0;
    }

    static Stream<Engine> sourceEngines() {
        return TestDatabases.walkSourceEngines();
    }

    /** The values an insert of item {@code id} writes: NULLs, DST-gap local times, old dates, unicode, trailing spaces. */
    static Item initial(long id) {
        BigDecimal price = id % 4 == 0 ? null : new BigDecimal("123456789012345.1234").add(BigDecimal.valueOf(id));
        Boolean active = id % 3 == 0 ? null : id % 2 == 0;
        // JDBI binds a LocalDateTime through java.sql.Timestamp, which shifts a wall time in the JVM zone's
        // daylight-saving gap before Cutover sees it; the copy of such times is TemporalCopyProperties' part.
        LocalDateTime seenAt = id % 5 == 0 ? null : id % 2 == 0 ? LocalDateTime.of(2024, 3, 31, 12, 30, 15, 123_456_000)
                : LocalDateTime.of(1969, 12, 31, 23, 59, 59, 654_321_000);
        Instant happenedAt = id % 7 == 0 ? null : Instant.parse("2024-03-31T01:30:00.123456Z").plusSeconds(id * 3600);
        LocalDate due = id % 6 == 0 ? null : id == 1 ? LocalDate.of(1500, 2, 28) : LocalDate.of(2000 + (int) id, 2, 28);
        String note = id % 6 == 0 ? null : "Grüße 🚀 " + id + "  ";
        String data = id % 8 == 0 ? null : HexFormat.of().formatHex(new byte[] {0, (byte) 0xFF, (byte) id, '\'', '\\'});
        return new Item(0, price, active, seenAt, happenedAt, due, note, data, "label " + id + "   ");
    }

    static String code(int i) {
        return "sku-ä-" + i;
    }

    private static void createTables(TestDatabase db, boolean target) {
        if (target) {
            db.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, qty BIGINT NOT NULL, price NUMERIC(19,4), status CHAR(1), "
                            + "seen_at TIMESTAMP(6), happened_at TIMESTAMPTZ, due DATE, notes TEXT, data BYTEA, label VARCHAR(40))",
                    "CREATE TABLE tags (code VARCHAR(40) PRIMARY KEY, hits INT NOT NULL, title TEXT)");
        } else if (db.engine() == Engine.MARIADB) {
            db.execute("CREATE TABLE items (id BIGINT AUTO_INCREMENT PRIMARY KEY, qty BIGINT NOT NULL, price DECIMAL(19,4), "
                            + "active BOOLEAN, seen_at DATETIME(6), happened_at TIMESTAMP(6) NULL, due DATE, note TEXT, data BLOB, "
                            + "label VARCHAR(40)) DEFAULT CHARSET=utf8mb4",
                    "CREATE TABLE tags (code VARCHAR(40) COLLATE utf8mb4_nopad_bin PRIMARY KEY, hits INT NOT NULL, title TEXT)"
                            + " DEFAULT CHARSET=utf8mb4");
        } else {
            db.execute("CREATE TABLE items (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, qty BIGINT NOT NULL, "
                            + "price NUMERIC(19,4), active BOOLEAN, seen_at TIMESTAMP(6), happened_at TIMESTAMPTZ, due DATE, "
                            + "note TEXT, data BYTEA, label VARCHAR(40))",
                    "CREATE TABLE tags (code VARCHAR(40) PRIMARY KEY, hits INT NOT NULL, title TEXT)");
        }
    }

    /** What one application instance holds: its two wrapped DAOs. */
    record App(ItemDao items, TagDao tags) {
        static App of(Migration migration, DataSource source, DataSource target) {
            Jdbi s = jdbi(source);
            Jdbi t = jdbi(target);
            return new App(migration.repository(ItemDao.class, "items", s.onDemand(SourceItemDao.class), t.onDemand(TargetItemDao.class)),
                    migration.repository(TagDao.class, "tags", s.onDemand(TagDao.class), t.onDemand(TagDao.class)));
        }
    }

    /** The acknowledged-write oracles of both tables and the errors a user would not expect. */
    static final class Traffic {
        final AcknowledgedWriteOracle<Long, Optional<Item>> items = new AcknowledgedWriteOracle<>(Optional.empty());
        final AcknowledgedWriteOracle<String, Optional<Tag>> tags = new AcknowledgedWriteOracle<>(Optional.empty());
        final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Map<String, java.util.concurrent.atomic.AtomicInteger> deadlocks = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<String, java.util.concurrent.atomic.AtomicInteger> calls = new java.util.concurrent.ConcurrentHashMap<>();
        volatile String phase = "SOURCE_ONLY";
        final List<Thread> threads = new ArrayList<>();

        void start(App app, int writers, long seed) {
            for (int t = 0; t < writers; t++) {
                Random random = new Random(seed + t);
                Thread thread = new Thread(() -> {
                    while (running.get()) {
                        writeOrRead(app, random);
                    }
                }, "writer-" + seed + "-" + t);
                threads.add(thread);
                thread.start();
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
            threads.clear();
            running.set(true);
        }

        void writeOrRead(App app, Random random) {
            int op = random.nextInt(100);
            long id = 1 + random.nextInt(ROWS);
            String code = code(1 + random.nextInt(ROWS));
            try {
                if (op < 15) {
                    Item row = initial(id);
                    items.call(id, "insert " + id, Effect.requiring(Optional::isEmpty, s -> Optional.of(row)),
                            () -> app.items().insert(id, row.price(), row.active(), row.seenAt(), row.happenedAt(),
                                    row.due(), row.note(), row.data() == null ? null : HexFormat.of().parseHex(row.data()),
                                    row.label()));
                } else if (op < 40) {
                    items.call(id, "bump " + id, s -> s.map(r -> r.withQty(r.qty() + 1)), () -> app.items().bump(id));
                } else if (op < 50) {
                    String note = NOTES[random.nextInt(NOTES.length)];
                    items.call(id, "note " + id + " " + note, s -> s.map(r -> r.withNote(note)),
                            () -> app.items().setNote(id, note));
                } else if (op < 60) {
                    items.call(id, "delete " + id, s -> Optional.empty(), () -> app.items().delete(id));
                } else if (op < 68) {
                    String title = "Tïtle " + code + " ";
                    tags.call(code, "insert " + code, Effect.requiring(Optional::isEmpty, s -> Optional.of(new Tag(0, title))),
                            () -> app.tags().insert(code, title));
                } else if (op < 82) {
                    tags.call(code, "hit " + code, s -> s.map(r -> new Tag(r.hits() + 1, r.title())), () -> app.tags().hit(code));
                } else if (op < 87) {
                    tags.call(code, "delete " + code, s -> Optional.empty(), () -> app.tags().delete(code));
                } else if (op < 94) {
                    app.items().qty(id);
                } else {
                    app.tags().hits(code);
                }
                calls.computeIfAbsent(phase, p -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            } catch (RuntimeException e) {
                // A duplicate insert fails on the database; a write refused at a handover or too late for its
                // copy window fails whole. The oracle takes each as applied whole or not at all.
                boolean duplicate = e instanceof UnableToExecuteStatementException && e.getCause() instanceof SQLException sql
                        && (sql.getSQLState().equals("23505") || sql.getSQLState().startsWith("23"));
                boolean deadlock = e instanceof UnableToExecuteStatementException && e.getCause() instanceof SQLException sql
                        && "40001".equals(sql.getSQLState());
                if (deadlock) {
                    deadlocks.computeIfAbsent(phase, p -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                    return;
                }
                boolean closed = CLOSED.equals(phase) && e instanceof IllegalStateException;
                if (!(duplicate || closed || e instanceof HandoverException || e instanceof LateWriteException
                        || e instanceof FlagsNotConfirmedException)) {
                    unexpected.add(e);
                }
            }
        }

        void check(DataSource source, DataSource target) throws SQLException {
            assertTrue(calls.containsKey("TARGET_PRIMARY"), "no call returned while the target was primary: " + calls);
            List<String> problems = new ArrayList<>();
            for (Throwable e : unexpected) {
                problems.add("unexpected error: " + e);
            }
            assertTrue(problems.isEmpty(), String.join("\n", problems.subList(0, Math.min(10, problems.size())))
                    + "\n(" + problems.size() + " in all)");
            assertTrue(items.acknowledged() > 100 && tags.acknowledged() > 50,
                    "too few writes were acknowledged: " + items.acknowledged() + " and " + tags.acknowledged());
            items.check(items(source, false), items(target, true));
            tags.check(tags(source), tags(target));
        }
    }

    /** Walks every stage forward and back while eight writers work the same rows; the tutorial's synchronous mirror. */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void tutorialWalkWithEightWritersOnTwentyRowsLosesNothing(Engine sourceEngine) throws Exception {
        walk(sourceEngine, MirrorMode.SYNC);
    }

    /** The same walk with the asynchronous mirror, ending with close() while the writers still write. */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void asyncMirrorWalkAndCloseUnderLoadLosesNothing(Engine sourceEngine) throws Exception {
        walk(sourceEngine, MirrorMode.ASYNC);
    }

    private void walk(Engine sourceEngine, MirrorMode mode) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "tutsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "tuttgt")) {
            createTables(sourceDb, false);
            createTables(targetDb, true);
            DataSource source = sourceDb.defaultPool(10);
            DataSource target = targetDb.defaultPool(10);
            Traffic traffic = new Traffic();
            Cutover cutover = Cutover.builder(source, target).mirrorMode("catalog", mode).build();
            try {
                Migration migration = cutover.migration("catalog", ITEMS, TAGS);
                traffic.start(App.of(migration, source, target), WRITERS, 1);
                Thread.sleep(1500);
                traffic.phase = "backfill";
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                migration.backfill().build().run();
                traffic.phase = "DUAL_WRITE";
                Thread.sleep(400);
                traffic.phase = "SHIFT_READS";
                migration.moveTo(Stage.SHIFT_READS, "alice", "start shifting reads");
                migration.setTargetReadPercent(50, "alice", "half");
                Thread.sleep(400);
                traffic.phase = "TARGET_PRIMARY";
                migration.moveTo(Stage.TARGET_PRIMARY, "alice", "target is the system of record");
                // The handover pauses writes for the refresh interval and a second (the default handoverPause).
                Thread.sleep(2500);
                traffic.phase = "SHIFT_READS back";
                migration.moveTo(Stage.SHIFT_READS, "alice", "roll back");
                Thread.sleep(2500);
                traffic.phase = "DUAL_WRITE back";
                migration.moveTo(Stage.DUAL_WRITE, "alice", "roll back further");
                Thread.sleep(400);
                if (mode == MirrorMode.ASYNC) {
                    // An application shutting down while requests are still being served: calls that
                    // reach a closed runtime fail (its read routers and flags are closed).
                    traffic.phase = CLOSED;
                    cutover.close();
                }
                traffic.stop();
            } finally {
                cutover.close();
            }
            try (Cutover second = Cutover.builder(source, target).build()) {
                Migration migration = second.migration("catalog", ITEMS, TAGS);
                assertTrue(second.drain(Duration.ofSeconds(30)), "the retry-queue did not drain");
                traffic.check(source, target);
                VerificationReport report = migration.verify();
                assertTrue(report.isClean(), report.toJson());
                assertEquals(Stage.DUAL_WRITE, migration.stage());
            }
        }
    }

    /**
     * Two instances of the application (two runtimes, each with its own pools) write the same rows
     * while one of them walks the stages; the other follows within its refresh interval.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void twoInstancesWriteTheSameRowsWhileOneWalksTheStages(Engine sourceEngine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "twosrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "twotgt")) {
            createTables(sourceDb, false);
            createTables(targetDb, true);
            DataSource sourceA = sourceDb.defaultPool(10);
            DataSource targetA = targetDb.defaultPool(10);
            DataSource sourceB = sourceDb.defaultPool(10);
            DataSource targetB = targetDb.defaultPool(10);
            Traffic traffic = new Traffic();
            try (Cutover a = Cutover.builder(sourceA, targetA).build();
                 Cutover b = Cutover.builder(sourceB, targetB).build()) {
                Migration migration = a.migration("catalog", ITEMS, TAGS);
                Migration follower = b.migration("catalog", ITEMS, TAGS);
                traffic.start(App.of(migration, sourceA, targetA), WRITERS / 2, 1);
                traffic.start(App.of(follower, sourceB, targetB), WRITERS / 2, 100);
                Thread.sleep(400);
                traffic.phase = "backfill";
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                migration.backfill().build().run();
                traffic.phase = "DUAL_WRITE";
                Thread.sleep(600);
                traffic.phase = "SHIFT_READS";
                migration.moveTo(Stage.SHIFT_READS, "alice", "start shifting reads");
                migration.setTargetReadPercent(50, "alice", "half");
                Thread.sleep(600);
                traffic.phase = "TARGET_PRIMARY";
                migration.moveTo(Stage.TARGET_PRIMARY, "alice", "target is the system of record");
                Thread.sleep(2500);
                assertEquals(Stage.TARGET_PRIMARY, follower.stage(), "the other instance did not follow");
                traffic.phase = "SHIFT_READS back";
                migration.moveTo(Stage.SHIFT_READS, "alice", "roll back");
                Thread.sleep(2500);
                traffic.phase = "DUAL_WRITE back";
                migration.moveTo(Stage.DUAL_WRITE, "alice", "roll back further");
                Thread.sleep(600);
                traffic.stop();
                assertTrue(a.drain(Duration.ofSeconds(30)) && b.drain(Duration.ofSeconds(30)), "the retry-queue did not drain");
                traffic.check(sourceA, targetA);
                VerificationReport report = migration.verify();
                assertTrue(report.isClean(), report.toJson());
            }
        }
    }

    /**
     * README: DAO calls must commit on their own unless the runtime knows the caller's transactions. A
     * new user calls the wrapped DAO inside a JDBI transaction anyway (JDBI's on-demand DAOs join the
     * transaction open on the thread). The copy, on a connection of its own, could not see the
     * transaction's uncommitted insert (on PostgreSQL it copied "no row" and the insert reached the
     * source only, nothing queued) and would wait on its locks for an update (MariaDB): so the call is
     * refused before the DAO runs, the transaction rolls back, and neither side has anything of it.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void aWrappedWriteInsideAJdbiTransactionTheRuntimeDoesNotKnowIsRefusedAndWritesNothing(Engine sourceEngine)
            throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "txsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "txtgt")) {
            createTables(sourceDb, false);
            createTables(targetDb, true);
            DataSource source = sourceDb.defaultPool(10);
            DataSource target = targetDb.defaultPool(10);
            try (Cutover cutover = Cutover.builder(source, target).build()) {
                Migration migration = cutover.migration("catalog", ITEMS, TAGS);
                Jdbi sourceJdbi = jdbi(source);
                ItemDao items = migration.repository(ItemDao.class, "items", sourceJdbi.onDemand(SourceItemDao.class),
                        jdbi(target).onDemand(TargetItemDao.class));
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                insert(items, 2);
                UnknownTransactionException refused = assertThrows(UnknownTransactionException.class,
                        () -> sourceJdbi.useTransaction(h -> {
                            insert(items, 1);
                            items.bump(1);
                        }));
                for (String part : List.of("ItemDao.insert(", "JDBI transaction", "uncommitted rows",
                        "outside the transaction", "JdbiCallerTransactions.of(jdbi)")) {
                    assertTrue(refused.getMessage().contains(part), part + " missing from: " + refused.getMessage());
                }
                assertThrows(UnknownTransactionException.class, () -> sourceJdbi.useTransaction(h -> items.bump(2)));
                assertTrue(cutover.drain(Duration.ofSeconds(30)), "the retry-queue did not drain");
                Map<Long, Optional<Item>> expected = Map.of(2L, Optional.of(initial(2)));
                assertEquals(expected, items(source, false), "source");
                assertEquals(expected, items(target, true), "target");
            }
        }
    }

    /**
     * The same transactions with the runtime knowing JDBI's ({@code callerTransactions(JdbiCallerTransactions.of(sourceJdbi))}):
     * the writes join the caller's transaction and are copied once it commits; a rollback leaves
     * both sides without them.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void aWrappedWriteInsideAJdbiTransactionTheRuntimeKnowsIsCopiedAfterItCommits(Engine sourceEngine)
            throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "txsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "txtgt")) {
            createTables(sourceDb, false);
            createTables(targetDb, true);
            DataSource source = sourceDb.defaultPool(10);
            DataSource target = targetDb.defaultPool(10);
            Jdbi sourceJdbi = jdbi(source);
            try (Cutover cutover = Cutover.builder(source, target)
                    .callerTransactions(JdbiCallerTransactions.of(sourceJdbi)).build()) {
                Migration migration = cutover.migration("catalog", ITEMS, TAGS);
                ItemDao items = migration.repository(ItemDao.class, "items", sourceJdbi.onDemand(SourceItemDao.class),
                        jdbi(target).onDemand(TargetItemDao.class));
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                sourceJdbi.useTransaction(h -> {
                    insert(items, 1);
                    items.bump(1);
                });
                Map<Long, Optional<Item>> committed = Map.of(1L, Optional.of(initial(1).withQty(1)));
                assertEquals(committed, items(target, true), "target, once the commit returned");
                assertThrows(ArithmeticException.class, () -> sourceJdbi.useTransaction(h -> {
                    insert(items, 2);
                    items.bump(1);
                    throw new ArithmeticException("the caller's own failure");
                }));
                assertTrue(cutover.drain(Duration.ofSeconds(30)), "the retry-queue did not drain");
                assertEquals(committed, items(source, false), "source");
                assertEquals(committed, items(target, true), "target");
            }
        }
    }

    private static void insert(ItemDao items, long id) {
        Item row = initial(id);
        items.insert(id, row.price(), row.active(), row.seenAt(), row.happenedAt(), row.due(), row.note(),
                row.data() == null ? null : HexFormat.of().parseHex(row.data()), row.label());
    }

    private static Jdbi jdbi(DataSource dataSource) {
        return Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin());
    }

    static Map<Long, Optional<Item>> items(DataSource dataSource, boolean target) throws SQLException {
        Map<Long, Optional<Item>> rows = new TreeMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, qty, price, " + (target ? "status" : "active")
                     + ", seen_at, happened_at, due, " + (target ? "notes" : "note") + ", data, label FROM items")) {
            while (rs.next()) {
                Boolean active;
                if (target) {
                    String status = rs.getString(4);
                    active = status == null ? null : "Y".equals(status);
                } else {
                    boolean b = rs.getBoolean(4);
                    active = rs.wasNull() ? null : b;
                }
                Timestamp happened = rs.getTimestamp(6);
                byte[] data = rs.getBytes(9);
                rows.put(rs.getLong(1), Optional.of(new Item(rs.getLong(2), rs.getBigDecimal(3), active,
                        rs.getObject(5, LocalDateTime.class), happened == null ? null : happened.toInstant(),
                        rs.getObject(7, LocalDate.class), rs.getString(8),
                        data == null ? null : HexFormat.of().formatHex(data), rs.getString(10))));
            }
        }
        return rows;
    }

    static Map<String, Optional<Tag>> tags(DataSource dataSource) throws SQLException {
        Map<String, Optional<Tag>> rows = new TreeMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT code, hits, title FROM tags")) {
            while (rs.next()) {
                rows.put(rs.getString(1), Optional.of(new Tag(rs.getInt(2), rs.getString(3))));
            }
        }
        return rows;
    }
}
