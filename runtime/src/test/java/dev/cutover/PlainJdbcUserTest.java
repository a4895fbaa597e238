package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerificationReport;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A plain-JDBC application, from outside and at default settings (HikariCP's default pools, the
 * runtime's defaults), that hands its code {@code migration.dataSource()} instead of its pool, on
 * cross-engine pairs (MariaDB to PostgreSQL, PostgreSQL to MariaDB) and PostgreSQL to PostgreSQL.
 * Four writers use the JDBC features real code uses (auto-commit on and off, commit and rollback,
 * savepoints, both batch forms, generated keys, upserts, updates by a non-key predicate, range
 * deletes, {@code INSERT ... SELECT}, multi-row {@code VALUES}, {@code CallableStatement},
 * {@code Statement.execute}, a connection used from two threads in turn, read-only and isolation
 * settings, connections closed without commit) on the same few rows while the stages are walked to
 * {@code TARGET_ONLY} and back. Every call that returned is in the acknowledged-write oracle; a
 * refused call must have written nothing. At each stage, with the writers paused and the queue
 * drained, the sides that should hold the data must hold what the oracle allows, and the verifier
 * must be clean while both sides are written.
 */
class PlainJdbcUserTest {
    private static final int WRITERS = 4;
    private static final long[] HOT = {1, 2, 3, 4};
    private static final long[] PAIR = {5, 6};
    private static final String ACTOR = "plain-jdbc-user";
    /** The application's add-to-qty update: parameter 1 the amount, parameter 2 the id. */
    private static final String DEPOSIT = "UPDATE items SET qty = qty + ? WHERE id = ?";
    /** The application's insert that leaves the id to the database. */
    private static final String GENERATED_INSERT = "INSERT INTO items (status, qty, note) VALUES (?, ?, ?)";
    /** How long the writers run in each stage: a few seconds in the soak, a short burst in mvn -B verify. */
    private static final Duration STAGE_TRAFFIC = Boolean.getBoolean("cutover.soak") ? Duration.ofSeconds(4)
            : Duration.ofMillis(1000);

    /** One row's state; {@link #ABSENT} stands for no row. */
    record Row(boolean present, String status, long qty, String note) {
        static final Row ABSENT = new Row(false, null, 0, null);

        Row plus(long delta) {
            return present ? new Row(true, status, qty + delta, note) : this;
        }

        Row withNote(String newNote) {
            return present ? new Row(true, status, qty, newNote) : this;
        }

        Row withStatus(String newStatus) {
            return present ? new Row(true, newStatus, qty, note) : this;
        }
    }

    static Stream<Arguments> pairs() {
        return Stream.of(
                Arguments.of(Engine.MARIADB, Engine.POSTGRESQL),
                Arguments.of(Engine.POSTGRESQL, Engine.MARIADB),
                Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL));
    }

    /**
     * The walks: each pair with new connections per call and with long-lived ones in the soak; in a
     * normal run one cross-engine walk, which keeps mvn -B verify within its time.
     */
    static Stream<Arguments> walks() {
        if (!Boolean.getBoolean("cutover.soak")) {
            return Stream.of(Arguments.of(Engine.MARIADB, Engine.POSTGRESQL, false));
        }
        return pairs().flatMap(pair -> Stream.of(false, true)
                .map(longLived -> Arguments.of(pair.get()[0], pair.get()[1], longLived)));
    }

    /**
     * Four writers through every stage and back. With {@code longLived}, each writer holds one
     * connection of the wrapper for the whole run (a connection per thread, auto-commit off,
     * statements prepared once), as older JDBC code does: a flip takes effect on the next transaction,
     * so each transaction after a move of the primary must behave as before it (its rollback undoes
     * it, its settings hold).
     */
    @ParameterizedTest(name = "{0} -> {1}, long-lived connections {2}")
    @MethodSource("walks")
    void plainJdbcApplicationWalksEveryStageAndBack(Engine sourceEngine, Engine targetEngine, boolean longLived)
            throws Exception {
        walk(sourceEngine, targetEngine, longLived);
    }

    /**
     * An application that runs its transactions at {@code REPEATABLE READ} or {@code SERIALIZABLE}
     * (setTransactionIsolation on the wrapper's connection) writes one hot row from four threads in
     * auto-commit. Each write commits on the source; its copy must then reach the target inside the
     * call, as it does at the driver's default isolation, not fail because of the isolation the
     * application chose for its own transactions and go to the retry-queue.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("strictIsolations")
    void copiesOfWritesAtStrictIsolationAreNotQueued(int isolation) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "isosrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "isotgt")) {
            createSchemaWithHotRow(sourceDb, targetDb);
            try (Cutover cutover = Cutover.builder(sourceDb.defaultPool(10), targetDb.defaultPool(10)).build()) {
                Migration migration = itemsMigration(cutover);
                DataSource app = migration.dataSource();
                migration.moveTo(Stage.DUAL_WRITE, ACTOR, "start mirroring");
                migration.backfill().build().run();
                AtomicInteger acknowledged = new AtomicInteger();
                List<Object> errors = Collections.synchronizedList(new ArrayList<>());
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < WRITERS; t++) {
                    Thread w = new Thread(() -> {
                        try (Connection c = app.getConnection()) {
                            c.setTransactionIsolation(isolation);
                            try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 1 WHERE id = ?")) {
                                for (int i = 0; i < 100; i++) {
                                    s.setLong(1, 1);
                                    try {
                                        s.executeUpdate();
                                        acknowledged.incrementAndGet();
                                    } catch (SQLException e) {
                                        // PostgreSQL's own answer at these levels to a concurrent update: retry
                                        if (!"40001".equals(e.getSQLState())) {
                                            throw e;
                                        }
                                    }
                                }
                            }
                            if (c.getTransactionIsolation() != isolation) {
                                errors.add(new AssertionError("the connection's isolation is now " + c.getTransactionIsolation()));
                            }
                        } catch (SQLException | RuntimeException e) {
                            errors.add(e);
                        }
                    });
                    writers.add(w);
                    w.start();
                }
                for (Thread w : writers) {
                    w.join();
                }
                assertTrue(errors.isEmpty(), "a single-statement write in auto-commit failed: " + errors);
                assertTrue(cutover.drain(Duration.ofSeconds(30)), "the queue did not drain");
                assertTrue(read(sourceDb.dataSource(1)).equals(read(targetDb.dataSource(1))), "sides differ after the drain");
                assertEquals(0, migration.counters().mirrorFailures(),
                        acknowledged.get() + " acknowledged writes at isolation " + isolation + ": "
                                + migration.counters().mirrorFailures() + " copies failed and "
                                + migration.counters().enqueued() + " keys went to the retry-queue");
            }
        }
    }

    /**
     * A write sent on a connection marked read-only (code that forgot to switch it back), in auto-commit
     * and in a transaction, while reads are all on the target: it runs on the primary and is copied, or
     * the database or Cutover refuses it; it never runs on the target alone.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("pairs")
    void writeOnReadOnlyConnectionIsMirroredOrRefused(Engine sourceEngine, Engine targetEngine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "rosrc");
             TestDatabase targetDb = TestDatabases.create(targetEngine, "rotgt")) {
            createSchemaWithHotRow(sourceDb, targetDb);
            try (Cutover cutover = Cutover.builder(sourceDb.defaultPool(10), targetDb.defaultPool(10)).build()) {
                Migration migration = itemsMigration(cutover);
                DataSource app = migration.dataSourceBuilder().crossDialectReads(true).build();
                migration.moveTo(Stage.DUAL_WRITE, ACTOR, "start mirroring");
                migration.backfill().build().run();
                migration.moveTo(Stage.SHIFT_READS, ACTOR, "reads");
                migration.setTargetReadPercent(100, ACTOR, "all reads on the target");
                List<String> outcomes = new ArrayList<>();
                for (boolean autoCommit : new boolean[] {true, false}) {
                    for (String sql : new String[] {"UPDATE items SET qty = qty + 1 WHERE id = 1",
                            "DELETE FROM items WHERE id = 1"}) {
                        try (Connection c = app.getConnection()) {
                            c.setReadOnly(true);
                            c.setAutoCommit(autoCommit);
                            try (Statement s = c.createStatement()) {
                                int n = s.executeUpdate(sql);
                                if (!autoCommit) {
                                    c.commit();
                                }
                                outcomes.add("autoCommit " + autoCommit + " " + sql + ": ran, " + n + " row(s)");
                            } catch (SQLException e) {
                                outcomes.add("autoCommit " + autoCommit + " " + sql + ": " + e.getClass().getSimpleName()
                                        + "[" + e.getSQLState() + "] " + e.getMessage());
                                if (!autoCommit) {
                                    c.rollback();
                                }
                            }
                        }
                        assertTrue(cutover.drain(Duration.ofSeconds(30)), "the queue did not drain");
                        Map<Long, Row> source = read(sourceDb.dataSource(1));
                        Map<Long, Row> target = read(targetDb.dataSource(1));
                        outcomes.add("  source " + source + " target " + target);
                        if (!source.equals(target)) {
                            fail("sides differ after a write on a read-only connection:\n"
                                    + String.join("\n", outcomes));
                        }
                        // put the row back for the next case, on the source's own pool, then copy it
                        try (Connection c = sourceDb.dataSource(1).getConnection(); Statement s = c.createStatement()) {
                            s.executeUpdate("DELETE FROM items WHERE id = 1");
                            s.executeUpdate("INSERT INTO items (id, status, qty, note) VALUES (1, 'hot', 0, 'init')");
                        }
                        migration.rowCopier().copy("items", "1");
                    }
                }
                System.out.println(sourceEngine + " -> " + targetEngine + " read-only writes:\n" + String.join("\n", outcomes));
            }
        }
    }

    /**
     * PostgreSQL's driver makes a connection marked read-only read-only only in its transactions
     * (pgjdbc's default {@code readOnlyMode=transaction}): an auto-commit write on it runs. Code that
     * relies on that (a connection left read-only by an earlier use) works on the plain pool; through
     * the wrapper it must keep working once writes are mirrored, not start failing at DUAL_WRITE.
     */
    @Test
    void autoCommitWriteOnReadOnlyConnectionWorksAsOnThePlainPool() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "ro2src");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "ro2tgt")) {
            createSchemaWithHotRow(sourceDb, targetDb);
            DataSource sourcePool = sourceDb.defaultPool(10);
            String sql = "UPDATE items SET qty = qty + 1 WHERE id = 1";
            try (Connection c = sourcePool.getConnection(); Statement s = c.createStatement()) {
                c.setReadOnly(true);
                assertEquals(1, s.executeUpdate(sql), "the plain pool's auto-commit write");
            }
            try (Cutover cutover = Cutover.builder(sourcePool, targetDb.defaultPool(10)).build()) {
                Migration migration = itemsMigration(cutover);
                DataSource app = migration.dataSource();
                try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                    c.setReadOnly(true);
                    assertEquals(1, s.executeUpdate(sql), "SOURCE_ONLY");
                }
                migration.moveTo(Stage.DUAL_WRITE, ACTOR, "start mirroring");
                migration.backfill().build().run();
                try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                    c.setReadOnly(true);
                    assertEquals(1, s.executeUpdate(sql), "DUAL_WRITE");
                }
                assertTrue(cutover.drain(Duration.ofSeconds(30)));
                assertEquals(read(sourceDb.dataSource(1)), read(targetDb.dataSource(1)));
                assertEquals(3, read(targetDb.dataSource(1)).get(1L).qty());
            }
        }
    }

    static Stream<Integer> strictIsolations() {
        return Stream.of(Connection.TRANSACTION_READ_COMMITTED, Connection.TRANSACTION_REPEATABLE_READ,
                Connection.TRANSACTION_SERIALIZABLE);
    }

    private void walk(Engine sourceEngine, Engine targetEngine, boolean longLived) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "jdbcsrc");
             TestDatabase targetDb = TestDatabases.create(targetEngine, "jdbctgt")) {
            createSchema(sourceDb);
            createSchema(targetDb);
            DataSource sourcePool = sourceDb.defaultPool(10);
            DataSource targetPool = targetDb.defaultPool(10);
            DataSource sourceCheck = sourceDb.dataSource(2);
            DataSource targetCheck = targetDb.dataSource(2);
            AcknowledgedWriteOracle<Long, Row> oracle = new AcknowledgedWriteOracle<>(Row.ABSENT);
            // History, written before the migration by the application on its old pool.
            try (Connection c = sourcePool.getConnection();
                 PreparedStatement s = c.prepareStatement("INSERT INTO items (id, status, qty, note) VALUES (?, ?, ?, ?)")) {
                for (long id = 1; id <= 8; id++) {
                    Row row = new Row(true, id % 2 == 1 && id < 7 ? "hot" : "cold", 0, "init");
                    AcknowledgedWriteOracle<Long, Row>.Write w = oracle.begin(id, "history", Effect.requiring(r -> !r.present(), r -> row));
                    bindRow(s, id, row);
                    s.executeUpdate();
                    w.acknowledged();
                }
            }
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            try (Cutover cutover = Cutover.builder(sourcePool, targetPool).build()) {
                Migration migration = itemsMigration(cutover);
                DataSource app = migration.dataSource();
                Traffic traffic = new Traffic(app, sourceEngine, oracle, longLived);
                traffic.start();
                try {
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "SOURCE_ONLY", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, false, false);

                    move(migration, Stage.DUAL_WRITE);
                    traffic.runFor(Duration.ofSeconds(1));
                    migration.backfill().build().run();
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "DUAL_WRITE", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, true, true);

                    move(migration, Stage.SHIFT_READS);
                    migration.setTargetReadPercent(100, ACTOR, "all reads on the target");
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "SHIFT_READS", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, true, true);

                    move(migration, Stage.TARGET_PRIMARY);
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "TARGET_PRIMARY", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, true, true);

                    move(migration, Stage.TARGET_ONLY);
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "TARGET_ONLY", traffic, cutover, migration, oracle, sourceCheck, targetCheck, false, true, false);

                    // README, Runbook: back from TARGET_ONLY, flip to TARGET_PRIMARY, wait for every instance, then
                    // migration.verify() repairs the source from the target.
                    move(migration, Stage.TARGET_PRIMARY);
                    traffic.runFor(Duration.ofSeconds(2));
                    migration.verify();
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "TARGET_PRIMARY (back)", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, true, true);

                    move(migration, Stage.SHIFT_READS);
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "SHIFT_READS (back)", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, true, true);

                    move(migration, Stage.DUAL_WRITE);
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "DUAL_WRITE (back)", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, true, true);

                    move(migration, Stage.SOURCE_ONLY);
                    traffic.runFor(STAGE_TRAFFIC);
                    check(problems, "SOURCE_ONLY (back)", traffic, cutover, migration, oracle, sourceCheck, targetCheck, true, false, false);
                } finally {
                    traffic.stop();
                }
                problems.addAll(traffic.problems);
                System.out.printf("%s -> %s (long-lived " + longLived + "): %d acknowledged, %d failed; ops %s; longest call %d ms (%s)%n",
                        sourceEngine, targetEngine, oracle.acknowledged(), oracle.maybe(), traffic.opCounts,
                        traffic.longestNanos.get() / 1_000_000, traffic.longestOp);
                traffic.failures.forEach((k, v) -> System.out.println("  failure x" + v + ": " + k));
            }
            assertTrue(problems.isEmpty(), sourceEngine + " -> " + targetEngine + ": " + problems.size()
                    + " problem(s):\n" + String.join("\n", problems));
        }
    }

    private static void move(Migration migration, Stage stage) {
        migration.moveTo(stage, ACTOR, "walk to " + stage);
    }

    private static void check(List<String> problems, String stage, Traffic traffic, Cutover cutover, Migration migration,
                              AcknowledgedWriteOracle<Long, Row> oracle, DataSource sourceCheck, DataSource targetCheck,
                              boolean sourceHolds, boolean targetHolds, boolean verify) throws Exception {
        traffic.pause();
        try {
            if (!cutover.drain(Duration.ofSeconds(30))) {
                problems.add(stage + ": queue did not drain: " + migration.queueDepth());
            }
            Map<Long, Row> source = read(sourceCheck);
            Map<Long, Row> target = read(targetCheck);
            List<String> violations;
            if (sourceHolds && targetHolds) {
                violations = oracle.violations(source, target);
            } else if (sourceHolds) {
                violations = oracle.violations(source, source);
            } else {
                violations = oracle.violations(target, target);
            }
            for (String v : violations) {
                problems.add(stage + " (" + (sourceHolds ? "source" : "") + (targetHolds ? " target" : "") + "): " + v);
            }
            if (verify) {
                VerificationReport report = migration.verify();
                if (!report.isClean()) {
                    problems.add(stage + ": verify() not clean after the drain with writers paused: " + report.toJson());
                    cutover.drain(Duration.ofSeconds(30));
                    migration.verify();
                    cutover.drain(Duration.ofSeconds(30));
                }
            }
            System.out.printf("checked %s: source %d rows, target %d rows, %d violations, queue %s%n", stage,
                    source.size(), target.size(), violations.size(), migration.queueDepth());
        } finally {
            traffic.resume();
        }
    }

    private static Map<Long, Row> read(DataSource ds) throws SQLException {
        Map<Long, Row> rows = new TreeMap<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, status, qty, note FROM items")) {
            while (rs.next()) {
                rows.put(rs.getLong(1), new Row(true, rs.getString(2), rs.getLong(3), rs.getString(4)));
            }
        }
        return rows;
    }

    /** Both sides' schemas, and the one hot row on the source that the single-row tests write. */
    private static void createSchemaWithHotRow(TestDatabase sourceDb, TestDatabase targetDb) {
        createSchema(sourceDb);
        createSchema(targetDb);
        sourceDb.execute("INSERT INTO items (id, status, qty, note) VALUES (1, 'hot', 0, 'init')");
    }

    /** The migration of the items table, as every test here maps it. */
    private static Migration itemsMigration(Cutover cutover) {
        return cutover.migration("items", TableMapping.builder("items")
                .key("id", Long.class)
                .columns("status", "qty", "note")
                .build());
    }

    private static void createSchema(TestDatabase db) {
        if (db.engine() == Engine.MARIADB) {
            db.execute("CREATE TABLE items (id BIGINT AUTO_INCREMENT PRIMARY KEY, status VARCHAR(20) NOT NULL,"
                            + " qty BIGINT NOT NULL, note VARCHAR(100)) AUTO_INCREMENT = 1000",
                    "CREATE PROCEDURE bump(IN k BIGINT, IN d BIGINT) UPDATE items SET qty = qty + d WHERE id = k");
        } else {
            db.execute("CREATE TABLE items (id BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,"
                            + " status VARCHAR(20) NOT NULL, qty BIGINT NOT NULL, note VARCHAR(100))",
                    "CREATE PROCEDURE bump(k BIGINT, d BIGINT) LANGUAGE sql AS $$ UPDATE items SET qty = qty + d WHERE id = k $$");
        }
    }

    /** Binds a row without its id to {@link #GENERATED_INSERT}. */
    private static void bindGenerated(PreparedStatement s, Row row) throws SQLException {
        s.setString(1, row.status());
        s.setLong(2, row.qty());
        s.setString(3, row.note());
    }

    /** Adds {@code d} to row {@code k}'s qty with a statement prepared from {@link #DEPOSIT}. */
    private static void deposit(PreparedStatement deposit, long k, long d) throws SQLException {
        deposit.setLong(1, d);
        deposit.setLong(2, k);
        deposit.executeUpdate();
    }

    /** Moves {@code d} from row {@code from} to row {@code to}, both with the one {@link #DEPOSIT} statement. */
    private static void transfer(PreparedStatement deposit, long from, long to, long d) throws SQLException {
        deposit(deposit, from, -d);
        deposit(deposit, to, d);
    }

    /** Reads row {@code k}'s qty FOR UPDATE (on the primary) and writes it back plus {@code add}; no row, no write. */
    private static void readModifyWrite(Connection c, long k, long add) throws SQLException {
        Long qty = null;
        try (PreparedStatement s = c.prepareStatement("SELECT qty FROM items WHERE id = ? FOR UPDATE")) {
            s.setLong(1, k);
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    qty = rs.getLong(1);
                }
            }
        }
        if (qty != null) {
            try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = ? WHERE id = ?")) {
                s.setLong(1, qty + add);
                s.setLong(2, k);
                s.executeUpdate();
            }
        }
    }

    /** Runs {@code work} on {@code c}, auto-commit already off, and commits; on a SQLException rolls back and rethrows. */
    private static void commitOrRollback(Connection c, SqlWork work) throws SQLException {
        try {
            work.run();
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    /**
     * {@link #commitOrRollback} on a long-lived connection: one on auto-commit is switched out of it for the
     * transaction and back after it.
     */
    private static void inTransaction(Connection c, boolean autoCommit, SqlWork work) throws SQLException {
        if (autoCommit) {
            c.setAutoCommit(false);
        }
        try {
            commitOrRollback(c, work);
        } finally {
            if (autoCommit) {
                c.setAutoCommit(true);
            }
        }
    }

    /** JDBC work on a connection the caller holds. */
    interface SqlWork {
        void run() throws SQLException;
    }

    private static void bindRow(PreparedStatement s, long id, Row row) throws SQLException {
        s.setLong(1, id);
        s.setString(2, row.status());
        s.setLong(3, row.qty());
        s.setString(4, row.note());
    }

    /** The application's writers: each loops over JDBC features on the shared rows. */
    static final class Traffic {
        final DataSource app;
        final Engine sourceEngine;
        final AcknowledgedWriteOracle<Long, Row> oracle;
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        final Map<String, Integer> failures = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> opCounts = new ConcurrentHashMap<>();
        final AtomicLong longestNanos = new AtomicLong();
        volatile String longestOp = "";
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean paused = new AtomicBoolean();
        final AtomicInteger idle = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();
        final AtomicInteger noteSeq = new AtomicInteger();

        final boolean longLived;

        Traffic(DataSource app, Engine sourceEngine, AcknowledgedWriteOracle<Long, Row> oracle, boolean longLived) {
            this.app = app;
            this.longLived = longLived;
            this.sourceEngine = sourceEngine;
            this.oracle = oracle;
        }

        void start() {
            for (int i = 0; i < WRITERS; i++) {
                int n = i;
                Thread t = new Thread(() -> {
                    if (longLived) {
                        longLivedLoop(n);
                    } else {
                        loop(n);
                    }
                }, "jdbc-writer-" + n);
                threads.add(t);
                t.start();
            }
        }

        void runFor(Duration d) throws InterruptedException {
            Thread.sleep(d.toMillis());
        }

        void pause() throws InterruptedException {
            paused.set(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (idle.get() < threads.size() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (idle.get() < threads.size()) {
                problems.add("writers did not pause within 120 s: " + stacks());
            }
        }

        private String stacks() {
            StringBuilder b = new StringBuilder();
            for (Thread t : threads) {
                b.append('\n').append(t.getName());
                for (StackTraceElement e : t.getStackTrace()) {
                    b.append("\n  at ").append(e);
                }
            }
            return b.toString();
        }

        void resume() {
            paused.set(false);
        }

        void stop() throws InterruptedException {
            stop.set(true);
            paused.set(false);
            for (Thread t : threads) {
                t.join(60_000);
            }
        }

        private void loop(int n) {
            Random random = new Random(n * 7919L);
            ExecutorService helper = Executors.newSingleThreadExecutor();
            try {
                while (!stop.get()) {
                    if (waitedWhilePaused()) {
                        continue;
                    }
                    int op = random.nextInt(23);
                    long started = System.nanoTime();
                    String name = "op" + op;
                    try {
                        name = run(op, random, helper);
                    } catch (SQLException | RuntimeException e) {
                        name = name + "!";
                    } catch (Exception e) {
                        problems.add("writer " + n + ": unexpected " + e);
                    }
                    counted(name, started);
                }
            } finally {
                helper.shutdownNow();
            }
        }

        /** While the writers are paused, counts this one as idle and waits; whether it waited. */
        private boolean waitedWhilePaused() {
            if (!paused.get()) {
                return false;
            }
            idle.incrementAndGet();
            while (paused.get() && !stop.get()) {
                sleep(5);
            }
            idle.decrementAndGet();
            return true;
        }

        /** Counts a call by its name and keeps the longest one. */
        private void counted(String name, long started) {
            long took = System.nanoTime() - started;
            opCounts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            if (took > longestNanos.get()) {
                longestNanos.set(took);
                longestOp = name;
            }
        }

        /** A writer that keeps one connection of the wrapper, auto-commit off, its statements prepared once. */
        private void longLivedLoop(int n) {
            Random r = new Random(n * 104729L);
            Connection c = null;
            PreparedStatement deposit = null;
            PreparedStatement genInsert = null;
            boolean autoCommit = n % 2 == 1;
            try {
                while (!stop.get()) {
                    if (waitedWhilePaused()) {
                        continue;
                    }
                    if (c == null) {
                        try {
                            c = app.getConnection();
                            c.setAutoCommit(autoCommit);
                            if (n == 2) {
                                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                            }
                            deposit = c.prepareStatement(DEPOSIT);
                            genInsert = c.prepareStatement(GENERATED_INSERT,
                                    Statement.RETURN_GENERATED_KEYS);
                        } catch (SQLException e) {
                            failed("open long-lived connection", e);
                            closeQuietly(c);
                            c = null;
                            sleep(100);
                            continue;
                        }
                    }
                    Connection conn = c;
                    PreparedStatement dep = deposit;
                    PreparedStatement gen = genInsert;
                    int op = r.nextInt(6);
                    long started = System.nanoTime();
                    String name = "long" + op;
                    try {
                        long k = hot(r);
                        long d = 1 + r.nextInt(9);
                        switch (op) {
                            case 0 -> write("long-lived deposit", on(k, plus(d)), () -> {
                                deposit(dep, k, d);
                                if (!autoCommit) {
                                    conn.commit();
                                }
                            });
                            case 1 -> {
                                if (autoCommit) {
                                    // a transaction of its own on the auto-commit connection
                                    write("long-lived tx rolled back", on(k, same()), () -> {
                                        conn.setAutoCommit(false);
                                        try {
                                            deposit(dep, k, 1000);
                                            conn.rollback();
                                        } finally {
                                            conn.setAutoCommit(true);
                                        }
                                    });
                                } else {
                                    write("long-lived rolled back", on(k, same()), () -> {
                                        deposit(dep, k, 1000);
                                        conn.rollback();
                                    });
                                }
                            }
                            case 2 -> {
                                long k2 = k == 4 ? 1 : k + 1;
                                write("long-lived transfer", on(k, plus(-d), k2, plus(d)),
                                        () -> inTransaction(conn, autoCommit, () -> transfer(dep, k, k2, d)));
                            }
                            case 3 -> {
                                String note = "ll" + noteSeq.incrementAndGet();
                                write("long-lived statement", on(k, x -> x.withNote(note)), () -> {
                                    try (Statement s = conn.createStatement()) {
                                        s.executeUpdate("UPDATE items SET note = '" + note + "' WHERE id = " + k);
                                    }
                                    if (!autoCommit) {
                                        conn.commit();
                                    }
                                });
                            }
                            case 4 -> {
                                // read, then write what was read, in one transaction (FOR UPDATE: on the primary)
                                write("long-lived read-modify-write", on(k, plus(5)),
                                        () -> inTransaction(conn, autoCommit, () -> readModifyWrite(conn, k, 5)));
                            }
                            default -> {
                                Row row = new Row(true, "gen", r.nextInt(100), "lg" + noteSeq.incrementAndGet());
                                bindGenerated(gen, row);
                                long id;
                                try {
                                    gen.executeUpdate();
                                    try (ResultSet keys = gen.getGeneratedKeys()) {
                                        keys.next();
                                        id = keys.getLong(1);
                                    }
                                    if (!autoCommit) {
                                        conn.commit();
                                    }
                                } catch (SQLException e) {
                                    failed("long-lived generated-key insert", e);
                                    throw e;
                                }
                                oracle.begin(id, "long-lived generated-key insert", insert(row)).acknowledged();
                            }
                        }
                    } catch (SQLException | RuntimeException e) {
                        name = name + "!";
                        try {
                            if (!conn.getAutoCommit()) {
                                conn.rollback();
                            }
                        } catch (SQLException again) {
                            failed("long-lived rollback after a failure", again);
                            closeQuietly(conn);
                            c = null;
                        }
                    } catch (Exception e) {
                        problems.add("writer " + n + ": unexpected " + e);
                    }
                    counted(name, started);
                }
            } finally {
                closeQuietly(c);
            }
        }

        private static void closeQuietly(Connection c) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing a broken connection
                }
            }
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void failed(String op, Throwable e) {
            String text = e.getClass().getSimpleName()
                    + (e instanceof SQLException sql ? "[" + sql.getSQLState() + "]" : "") + " " + op + ": "
                    + String.valueOf(e.getMessage()).replaceAll("\\d+", "#");
            if (text.length() > 600) {
                text = text.substring(0, 600);
            }
            failures.merge(text, 1, Integer::sum);
        }

        /** Whether a failure is Cutover refusing a statement before it ran (it must have written nothing). */
        static boolean refusal(Throwable e) {
            String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
            return m.contains("refus") || m.contains("cutover");
        }

        /**
         * An effect that is the identity when the call was refused: the refusal is known only after the
         * call, and the oracle looks at effects only in its check.
         */
        static Effect<Row> unlessRefused(AtomicBoolean refused, Effect<Row> effect) {
            return new Effect<>() {
                @Override
                public Row apply(Row state) {
                    return refused.get() ? state : effect.apply(state);
                }

                @Override
                public boolean possibleIn(Row state) {
                    return refused.get() || effect.possibleIn(state);
                }
            };
        }

        /** Runs a write recorded in the oracle with the given per-key effects. */
        private void write(String op, Map<Long, Effect<Row>> effects, SqlCall call) throws Exception {
            AtomicBoolean refused = new AtomicBoolean();
            Map<Long, Effect<Row>> guarded = new LinkedHashMap<>();
            effects.forEach((k, e) -> guarded.put(k, unlessRefused(refused, e)));
            AcknowledgedWriteOracle<Long, Row>.Write w = oracle.begin(op, guarded);
            try {
                call.run();
                w.acknowledged();
            } catch (Exception e) {
                refused.set(refusal(e));
                w.failed(e);
                failed(op, e);
                throw e;
            }
        }

        interface SqlCall {
            void run() throws Exception;
        }

        private static Effect<Row> plus(long d) {
            return r -> r.plus(d);
        }

        private static Effect<Row> same() {
            return r -> r;
        }

        private static Effect<Row> set(Row row) {
            return r -> row;
        }

        private static Effect<Row> insert(Row row) {
            return Effect.requiring(r -> !r.present(), r -> row);
        }

        private static Map<Long, Effect<Row>> on(long k, Effect<Row> e) {
            Map<Long, Effect<Row>> m = new LinkedHashMap<>();
            m.put(k, e);
            return m;
        }

        private static Map<Long, Effect<Row>> on(long k1, Effect<Row> e1, long k2, Effect<Row> e2) {
            Map<Long, Effect<Row>> m = on(k1, e1);
            m.put(k2, e2);
            return m;
        }

        private long hot(Random r) {
            return HOT[r.nextInt(HOT.length)];
        }

        private String run(int op, Random r, ExecutorService helper) throws Exception {
            switch (op) {
                case 0: {
                    long k = hot(r);
                    long d = 1 + r.nextInt(9);
                    write("autocommit deposit", on(k, plus(d)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement(DEPOSIT)) {
                            deposit(s, k, d);
                        }
                    });
                    return "autocommitDeposit";
                }
                case 1: {
                    long k1 = hot(r);
                    long k2 = k1 == 4 ? 1 : k1 + 1;
                    long d = 1 + r.nextInt(9);
                    write("transfer", on(k1, plus(-d), k2, plus(d)), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement s = c.prepareStatement(DEPOSIT)) {
                                transfer(s, k1, k2, d);
                                c.commit();
                            } catch (SQLException e) {
                                c.rollback();
                                throw e;
                            }
                        }
                    });
                    return "transfer";
                }
                case 2: {
                    long k = hot(r);
                    write("rolled back", on(k, same()), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 1000 WHERE id = ?")) {
                                s.setLong(1, k);
                                s.executeUpdate();
                            }
                            c.rollback();
                        }
                    });
                    return "rollback";
                }
                case 3: {
                    long k1 = 1;
                    long k2 = 2;
                    long k3 = 3;
                    String note = "sp" + noteSeq.incrementAndGet();
                    write("savepoint", Map.of(k1, plus(1), k2, same(), k3, (Effect<Row>) x -> x.withNote(note)), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement up = c.prepareStatement(DEPOSIT);
                                 PreparedStatement nt = c.prepareStatement("UPDATE items SET note = ? WHERE id = ?")) {
                                deposit(up, k1, 1);
                                Savepoint sp = c.setSavepoint();
                                deposit(up, k2, 100);
                                c.rollback(sp);
                                nt.setString(1, note);
                                nt.setLong(2, k3);
                                nt.executeUpdate();
                                c.commit();
                            } catch (SQLException e) {
                                c.rollback();
                                throw e;
                            }
                        }
                    });
                    return "savepoint";
                }
                case 4: {
                    boolean autoCommit = r.nextBoolean();
                    Map<Long, Effect<Row>> effects = new LinkedHashMap<>();
                    for (long k : HOT) {
                        effects.put(k, plus(k));
                    }
                    write("prepared batch", effects, () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(autoCommit);
                            try (PreparedStatement s = c.prepareStatement(DEPOSIT)) {
                                for (long k : HOT) {
                                    s.setLong(1, k);
                                    s.setLong(2, k);
                                    s.addBatch();
                                }
                                s.executeBatch();
                                if (!autoCommit) {
                                    c.commit();
                                }
                            } catch (SQLException e) {
                                if (!autoCommit) {
                                    c.rollback();
                                }
                                throw e;
                            }
                        }
                    });
                    return autoCommit ? "psBatchAuto" : "psBatchTx";
                }
                case 5: {
                    String note = "b" + noteSeq.incrementAndGet();
                    write("statement batch", on(1, x -> x.withNote(note), 2, plus(2)), () -> {
                        try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                            s.addBatch("UPDATE items SET note = '" + note + "' WHERE id = 1");
                            s.addBatch("UPDATE items SET qty = qty + 2 WHERE id = 2");
                            s.executeBatch();
                        }
                    });
                    return "stmtBatch";
                }
                case 6: {
                    long k = hot(r);
                    String status = r.nextBoolean() ? "hot" : "cold";
                    write("status flip", on(k, x -> x.withStatus(status)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement("UPDATE items SET status = ? WHERE id = ?")) {
                            s.setString(1, status);
                            s.setLong(2, k);
                            s.executeUpdate();
                        }
                    });
                    return "statusFlip";
                }
                case 7: {
                    Map<Long, Effect<Row>> effects = new LinkedHashMap<>();
                    for (long k = 1; k <= 6; k++) {
                        effects.put(k, x -> "hot".equals(x.status()) ? x.plus(10) : x);
                    }
                    write("update where status", effects, () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 10 WHERE status = ?")) {
                            s.setString(1, "hot");
                            s.executeUpdate();
                        }
                    });
                    return "updateByStatus";
                }
                case 8: {
                    write("range delete", on(3, set(Row.ABSENT), 4, set(Row.ABSENT)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement("DELETE FROM items WHERE id >= ? AND id <= ?")) {
                            s.setLong(1, 3);
                            s.setLong(2, 4);
                            s.executeUpdate();
                        }
                    });
                    return "rangeDelete";
                }
                case 9: {
                    long k = r.nextBoolean() ? 3 : 4;
                    Row row = new Row(true, r.nextBoolean() ? "hot" : "cold", 100, "re" + noteSeq.incrementAndGet());
                    write("reinsert", on(k, insert(row)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement("INSERT INTO items (id, status, qty, note) VALUES (?, ?, ?, ?)")) {
                            bindRow(s, k, row);
                            s.executeUpdate();
                        }
                    });
                    return "reinsert";
                }
                case 10: {
                    long k = PAIR[r.nextInt(2)];
                    Row row = new Row(true, "cold", 7, "isel" + noteSeq.incrementAndGet());
                    write("insert select", on(k, insert(row)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement(
                                     "INSERT INTO items (id, status, qty, note) SELECT ?, ?, ?, ?")) {
                            bindRow(s, k, row);
                            s.executeUpdate();
                        }
                    });
                    return "insertSelect";
                }
                case 11: {
                    Row a = new Row(true, r.nextBoolean() ? "hot" : "cold", 50, "mr" + noteSeq.incrementAndGet());
                    Row b = new Row(true, r.nextBoolean() ? "hot" : "cold", 60, "mr" + noteSeq.incrementAndGet());
                    boolean deleteOnly = r.nextInt(3) == 0;
                    long only = PAIR[r.nextInt(2)];
                    if (deleteOnly) {
                        write("delete one pair key", on(only, set(Row.ABSENT)), () -> {
                            try (Connection c = app.getConnection();
                                 PreparedStatement s = c.prepareStatement("DELETE FROM items WHERE id IN (?)")) {
                                s.setLong(1, only);
                                s.executeUpdate();
                            }
                        });
                        return "deletePairKey";
                    }
                    write("delete + multi-row values", on(5, set(a), 6, set(b)), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement d = c.prepareStatement("DELETE FROM items WHERE id IN (?, ?)");
                                 PreparedStatement s = c.prepareStatement(
                                         "INSERT INTO items (id, status, qty, note) VALUES (?, ?, ?, ?), (?, ?, ?, ?)")) {
                                d.setLong(1, 5);
                                d.setLong(2, 6);
                                d.executeUpdate();
                                bindRow(s, 5, a);
                                s.setLong(5, 6);
                                s.setString(6, b.status());
                                s.setLong(7, b.qty());
                                s.setString(8, b.note());
                                s.executeUpdate();
                                c.commit();
                            } catch (SQLException e) {
                                c.rollback();
                                throw e;
                            }
                        }
                    });
                    return "multiRowValues";
                }
                case 12: {
                    long k = PAIR[r.nextInt(2)];
                    long d = 1 + r.nextInt(5);
                    String sql = sourceEngine == Engine.MARIADB
                            ? "INSERT INTO items (id, status, qty, note) VALUES (?, 'hot', ?, 'ups') ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty), note = 'ups'"
                            : "INSERT INTO items (id, status, qty, note) VALUES (?, 'hot', ?, 'ups') ON CONFLICT (id) DO UPDATE SET qty = items.qty + EXCLUDED.qty, note = 'ups'";
                    boolean inTx = r.nextBoolean();
                    long other = hot(r);
                    Effect<Row> upsert = x -> x.present() ? new Row(true, x.status(), x.qty() + d, "ups") : new Row(true, "hot", d, "ups");
                    if (!inTx) {
                        write("upsert", on(k, upsert), () -> {
                            try (Connection c = app.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
                                s.setLong(1, k);
                                s.setLong(2, d);
                                s.executeUpdate();
                            }
                        });
                        return "upsert";
                    }
                    // In a transaction that already wrote; the application catches the failure of the
                    // upsert and commits the rest.
                    AtomicBoolean upsertRefused = new AtomicBoolean();
                    AtomicBoolean upsertFailed = new AtomicBoolean();
                    Effect<Row> upsertUnlessFailed = new Effect<>() {
                        @Override
                        public Row apply(Row state) {
                            return upsertFailed.get() ? state : upsert.apply(state);
                        }
                    };
                    write("update + caught upsert + commit", on(other, plus(1), k, upsertUnlessFailed), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement up = c.prepareStatement("UPDATE items SET qty = qty + 1 WHERE id = ?")) {
                                up.setLong(1, other);
                                up.executeUpdate();
                                try (PreparedStatement s = c.prepareStatement(sql)) {
                                    s.setLong(1, k);
                                    s.setLong(2, d);
                                    s.executeUpdate();
                                } catch (SQLException e) {
                                    failed("upsert in tx (caught)", e);
                                    upsertFailed.set(true);
                                    upsertRefused.set(refusal(e));
                                    if (!upsertRefused.get()) {
                                        // a database error aborts the transaction on PostgreSQL
                                        throw e;
                                    }
                                }
                                c.commit();
                            } catch (SQLException e) {
                                c.rollback();
                                throw e;
                            }
                        }
                    });
                    return "upsertInTx";
                }
                case 13: {
                    long k = hot(r);
                    long d = 1 + r.nextInt(5);
                    write("callable bump", on(k, plus(d)), () -> {
                        try (Connection c = app.getConnection(); CallableStatement s = c.prepareCall("CALL bump(?, ?)")) {
                            s.setLong(1, k);
                            s.setLong(2, d);
                            s.execute();
                        }
                    });
                    return "callable";
                }
                case 14: {
                    long k = hot(r);
                    String note = "x" + noteSeq.incrementAndGet();
                    write("statement execute", on(k, x -> x.withNote(note)), () -> {
                        try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                            s.execute("UPDATE items SET note = '" + note + "' WHERE id = " + k);
                        }
                    });
                    return "stmtExecute";
                }
                case 15: {
                    long k1 = hot(r);
                    long k2 = k1 == 1 ? 2 : 1;
                    write("two threads", on(k1, plus(3), k2, plus(4)), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try {
                                try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 3 WHERE id = ?")) {
                                    s.setLong(1, k1);
                                    s.executeUpdate();
                                }
                                Future<?> f = helper.submit(() -> {
                                    try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 4 WHERE id = ?")) {
                                        s.setLong(1, k2);
                                        s.executeUpdate();
                                        c.commit();
                                    }
                                    return null;
                                });
                                try {
                                    f.get(120, TimeUnit.SECONDS);
                                } catch (java.util.concurrent.ExecutionException e) {
                                    if (e.getCause() instanceof SQLException sql) {
                                        throw sql;
                                    }
                                    throw new RuntimeException(e.getCause());
                                }
                            } catch (SQLException | RuntimeException e) {
                                c.rollback();
                                throw e;
                            }
                        }
                    });
                    return "twoThreads";
                }
                case 16: {
                    long k = hot(r);
                    write("read-only then write", on(k, plus(1)), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setReadOnly(true);
                            c.setAutoCommit(false);
                            try (PreparedStatement s = c.prepareStatement("SELECT qty FROM items WHERE id = ?")) {
                                s.setLong(1, k);
                                try (ResultSet rs = s.executeQuery()) {
                                    rs.next();
                                }
                            }
                            c.commit();
                            c.setAutoCommit(true);
                            c.setReadOnly(false);
                            try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 1 WHERE id = ?")) {
                                s.setLong(1, k);
                                s.executeUpdate();
                            }
                        }
                    });
                    return "readOnly";
                }
                case 17: {
                    long k = hot(r);
                    int level = r.nextBoolean() ? Connection.TRANSACTION_SERIALIZABLE : Connection.TRANSACTION_REPEATABLE_READ;
                    write("isolation read-modify-write", on(k, plus(5)), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setTransactionIsolation(level);
                            c.setAutoCommit(false);
                            commitOrRollback(c, () -> readModifyWrite(c, k, 5));
                        }
                    });
                    return "isolation";
                }
                case 18: {
                    long k = hot(r);
                    write("closed without commit", on(k, same()), () -> {
                        try (Connection c = app.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 500 WHERE id = ?")) {
                                s.setLong(1, k);
                                s.executeUpdate();
                            }
                        }
                    });
                    return "closeNoCommit";
                }
                case 19: {
                    // A Statement batch with a statement Cutover refuses while both sides are written: refused
                    // before anything of it is written, or run. In a transaction: whole or nothing.
                    boolean autoCommit = r.nextBoolean();
                    String note = "mix" + noteSeq.incrementAndGet();
                    Row row = new Row(true, "cold", 9, note);
                    if (autoCommit) {
                        // In auto-commit each entry stands alone, so each key is written by one entry; key 8 is
                        // freed first by a call of its own.
                        write("delete 8", on(8, set(Row.ABSENT)), () -> {
                            try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                                s.executeUpdate("DELETE FROM items WHERE id = 8");
                            }
                        });
                        write("mixed statement batch, auto-commit", on(7, plus(1), 8, insert(row)), () -> {
                            try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                                s.addBatch("UPDATE items SET qty = qty + 1 WHERE id = 7");
                                s.addBatch("INSERT INTO items (id, status, qty, note) SELECT 8, 'cold', 9, '" + note + "'");
                                s.executeBatch();
                            }
                        });
                        return "mixedStmtBatchAuto";
                    }
                    long k = PAIR[r.nextInt(2)];
                    write("mixed statement batch", on(1, x -> x.withNote(note), k, set(row)), () -> {
                        try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                            c.setAutoCommit(false);
                            try {
                                s.addBatch("DELETE FROM items WHERE id = " + k);
                                s.addBatch("UPDATE items SET note = '" + note + "' WHERE id = 1");
                                s.addBatch("INSERT INTO items (id, status, qty, note) SELECT " + k + ", 'cold', 9, '" + note + "'");
                                s.executeBatch();
                                c.commit();
                            } catch (SQLException e) {
                                c.rollback();
                                throw e;
                            }
                        }
                    });
                    return "mixedStmtBatchTx";
                }
                case 20: {
                    // A prepared batch of inserts whose second entry may hit an existing key, in auto-commit:
                    // the entries before it stand; whatever stands must be on both sides.
                    Row a = new Row(true, "cold", 11, "pb" + noteSeq.incrementAndGet());
                    Row b = new Row(true, "cold", 12, "pb" + noteSeq.incrementAndGet());
                    long first = r.nextBoolean() ? 5 : 6;
                    long second = first == 5 ? 6 : 5;
                    write("insert batch, auto-commit", on(first, insert(a), second, insert(b)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement("INSERT INTO items (id, status, qty, note) VALUES (?, ?, ?, ?)")) {
                            bindRow(s, first, a);
                            s.addBatch();
                            bindRow(s, second, b);
                            s.addBatch();
                            s.executeBatch();
                        }
                    });
                    return "insertBatchAuto";
                }
                default: {
                    // Generated keys: a row of this thread's own, inserted, updated, maybe deleted.
                    Row row = new Row(true, "gen", r.nextInt(100), "g" + noteSeq.incrementAndGet());
                    boolean byName = r.nextBoolean();
                    long id;
                    try (Connection c = app.getConnection();
                         PreparedStatement s = byName
                                 ? c.prepareStatement(GENERATED_INSERT, new String[] {"id"})
                                 : c.prepareStatement(GENERATED_INSERT, Statement.RETURN_GENERATED_KEYS)) {
                        bindGenerated(s, row);
                        s.executeUpdate();
                        try (ResultSet keys = s.getGeneratedKeys()) {
                            if (!keys.next()) {
                                problems.add("no generated key returned");
                                return "genKeys";
                            }
                            id = keys.getLong(1);
                        }
                    } catch (SQLException e) {
                        failed("generated-key insert", e);
                        // Unknown key: nothing to record; a row it may have left is found as an invented row.
                        throw e;
                    }
                    oracle.begin(id, "generated-key insert", insert(row)).acknowledged();
                    write("update generated row", on(id, plus(1)), () -> {
                        try (Connection c = app.getConnection();
                             PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 1 WHERE id = ?")) {
                            s.setLong(1, id);
                            s.executeUpdate();
                        }
                    });
                    if (r.nextBoolean()) {
                        write("delete generated row", on(id, set(Row.ABSENT)), () -> {
                            try (Connection c = app.getConnection();
                                 PreparedStatement s = c.prepareStatement("DELETE FROM items WHERE id = ?")) {
                                s.setLong(1, id);
                                s.executeUpdate();
                            }
                        });
                    }
                    return byName ? "genKeysByName" : "genKeys";
                }
            }
        }
    }
}
