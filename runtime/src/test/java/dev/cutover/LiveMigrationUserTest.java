package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.LateWriteException;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.LogCapture;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.TableReport;
import dev.cutover.verifier.VerificationReport;
import java.io.Closeable;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole migration of an existing, populated table, as an operations team runs it, held to the
 * acknowledged-write oracle. The source already holds a few thousand rows written before Cutover
 * existed (NULLs, long texts, extreme numbers and dates among them); the target is empty. Four
 * writers of one application keep updating, inserting and deleting the same rows (a few hot rows,
 * rows around the backfill's position, rows anywhere) through a JDBI DAO wrapped by the runtime, at
 * default settings (HikariCP's default pools, the runtime's defaults, the JVM's own time zone),
 * while the team:
 * <ol>
 *   <li>moves to {@code DUAL_WRITE} and runs the built-in backfill;
 *   <li>finds rows on the target that someone changed by hand and runs the verifier with repair while
 *       the writers write; with the writers paused, the verifier is clean and both sides hold the
 *       fold of the acknowledged writes, the rows from before Cutover included;
 *   <li>shifts reads to the target and cuts the target's network, then stalls it, with the mirror
 *       synchronous (instance A);
 *   <li>rolls the application to instances with the asynchronous mirror (instance B, two instances
 *       writing the same rows in different modes meanwhile), checks read-your-writes there, and cuts
 *       and stalls the target again; during the stall rolls it back to the synchronous mirror
 *       (instance C), closing B while it still owes copies: C drains everything;
 *   <li>moves the primary to the target, back, to the target again, and finishes at {@code TARGET_ONLY}.
 * </ol>
 * While the source is primary no call may fail (a duplicate insert is the application's own error);
 * moves of the primary may fail calls only as the README says ({@code LateWriteException},
 * {@code HandoverException}).
 */
class LiveMigrationUserTest {
    private static final Logger LOG = LoggerFactory.getLogger(LiveMigrationUserTest.class);
    private static final boolean SOAK = Boolean.getBoolean("cutover.soak");
    private static final String MIGRATION = "accounts";
    private static final int WRITERS = 4;
    /** Rows written before Cutover existed. */
    private static final int ROWS = SOAK ? 20_000 : 3_000;
    /** Keys past the history that the writers insert. */
    private static final int NEW_KEYS = 300;
    private static final int HOT = 12;
    /** One key per writer that only it writes and reads back, for read-your-writes; pre-existing too. */
    private static final long PRIVATE_BASE = 1_000_000;
    /** A row only the target has (someone inserted it by hand): the repair must delete it. */
    private static final long STRAY = 5_000_000;
    private static final double HOLD = SOAK ? 3 : 1;
    /**
     * Phases in which a synchronous mirror's keys are queued: README, Guarantees, "a read served by the
     * target right after a write sees the write when the copy was made directly ... and may not while
     * the key is queued". Everywhere else a writer must read its own write back, from either side.
     */
    private static final Set<String> SYNC_OUTAGE_PHASES = Set.of("target cut, sync", "after the cut, sync",
            "target stalled, sync", "after the stall, sync", "target stalled, rolling to sync");

    static final TableMapping ACCOUNTS = TableMapping.builder("accounts").key("id", Long.class)
            .columns("balance", "amount", "note", "flag", "due", "seen", "version").build();

    /** The application's DAO, the same SQL on both sides. */
    public interface AccountDao {
        @SqlUpdate("INSERT INTO accounts (id, balance, amount, note, flag, due, seen, version) "
                + "VALUES (:id, :balance, :amount, :note, :flag, :due, :seen, 0)")
        void insert(@RoutingKey @Bind("id") long id, @Bind("balance") long balance, @Bind("amount") BigDecimal amount,
                @Bind("note") String note, @Bind("flag") Boolean flag, @Bind("due") LocalDate due,
                @Bind("seen") LocalDateTime seen);

        /** Moves the balance towards zero by {@code d} (so that the extreme balances never overflow). */
        @SqlUpdate("UPDATE accounts SET balance = CASE WHEN balance > 0 THEN balance - :d ELSE balance + :d END,"
                + " version = version + 1 WHERE id = :id")
        int deposit(@RoutingKey @Bind("id") long id, @Bind("d") long d);

        @SqlUpdate("UPDATE accounts SET note = :note, version = version + 1 WHERE id = :id")
        int setNote(@RoutingKey @Bind("id") long id, @Bind("note") String note);

        @SqlUpdate("UPDATE accounts SET amount = NULL, flag = NULL, seen = NULL, version = version + 1 WHERE id = :id")
        int clear(@RoutingKey @Bind("id") long id);

        @SqlUpdate("DELETE FROM accounts WHERE id = :id")
        int delete(@RoutingKey @Bind("id") long id);

        @SqlQuery("SELECT version FROM accounts WHERE id = :id")
        Optional<Long> version(@RoutingKey @Bind("id") long id);
    }

    /** One row as the application reads it. */
    record Acct(long balance, BigDecimal amount, String note, Boolean flag, LocalDate due, LocalDateTime seen,
            long version) {
        Acct deposited(long d) {
            return new Acct(balance > 0 ? balance - d : balance + d, amount, note, flag, due, seen, version + 1);
        }

        Acct noted(String n) {
            return new Acct(balance, amount, n, flag, due, seen, version + 1);
        }

        Acct cleared() {
            return new Acct(balance, null, note, null, due, null, version + 1);
        }

        @Override
        public String toString() {
            String n = note == null ? "null" : note.length() > 40 ? "<" + note.length() + " chars>" : "'" + note + "'";
            return "Acct[" + balance + ", " + amount + ", " + n + ", " + flag + ", " + due + ", " + seen + ", v"
                    + version + "]";
        }
    }

    private static final String LONG_TEXT = "Grüße, 日本語 und 🚀 ".repeat(1_200) + "end  ";
    private static final String[] NOTES = {"", null, "ünïcödé 日本語 🚀 ", "  trailing  ", "it's \\ \"quoted\"\t", LONG_TEXT};

    /** A row written before Cutover existed: NULLs, long texts, extreme numbers, dates and times. */
    static Acct seed(long id) {
        long balance = id % 97 == 0 ? Long.MAX_VALUE : id % 89 == 0 ? Long.MIN_VALUE : id * 10;
        BigDecimal amount = id % 5 == 0 ? null : id % 71 == 0 ? new BigDecimal("999999999999999.9999")
                : id % 73 == 0 ? new BigDecimal("-999999999999999.9999") : BigDecimal.valueOf(id * 37 + 1, 4);
        String note = id % 7 == 0 ? null : id % 11 == 0 ? "" : id % 13 == 0 ? LONG_TEXT
                : id % 17 == 0 ? "it's \\ \"quoted\"\t" : "Grüße 🚀 #" + id + "  ";
        Boolean flag = id % 3 == 0 ? null : id % 2 == 0;
        LocalDate due = id % 6 == 0 ? null : id % 101 == 0 ? LocalDate.of(1000, 1, 1)
                : id % 103 == 0 ? LocalDate.of(9999, 12, 31) : LocalDate.of(2000, 1, 1).plusDays(id);
        LocalDateTime seen = id % 4 == 0 ? null : id % 107 == 0 ? LocalDateTime.of(1000, 1, 1, 0, 0)
                : id % 109 == 0 ? LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000)
                : id % 113 == 0 ? LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000)
                : id % 127 == 0 ? LocalDateTime.of(2021, 3, 28, 2, 30)
                : LocalDateTime.of(2024, 1, 1, 0, 0).plusMinutes(id).plusNanos(id % 1000 * 1000);
        return new Acct(balance, amount, note, flag, due, seen, 0);
    }

    /** A row the application inserts now: values JDBI binds the same in every zone (no far past, no DST gap). */
    static Acct fresh(Random random) {
        int r = random.nextInt(1_000_000);
        return new Acct(r - 500_000, r % 4 == 0 ? null : BigDecimal.valueOf(r, 4), NOTES[r % NOTES.length],
                r % 3 == 0 ? null : r % 2 == 0, r % 5 == 0 ? null : LocalDate.of(2030, 6, 1).plusDays(r % 400),
                r % 7 == 0 ? null : LocalDateTime.of(2025, 1, 15, 12, 0).plusSeconds(r).plusNanos(r % 997 * 1000L), 0);
    }

    static Stream<Engine> sourceEngines() {
        List<Engine> servers = TestDatabases.serverEngines().toList();
        if (SOAK) {
            return servers.stream();
        }
        // One pair in a normal run: the cross-engine one where this machine has MariaDB.
        return Stream.of(servers.contains(Engine.MARIADB) ? Engine.MARIADB : Engine.POSTGRESQL);
    }

    private static void createTable(TestDatabase db) {
        if (db.engine() == Engine.MARIADB) {
            db.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL, amount DECIMAL(19,4),"
                    + " note MEDIUMTEXT, flag BOOLEAN, due DATE, seen DATETIME(6), version BIGINT NOT NULL)"
                    + " DEFAULT CHARSET=utf8mb4");
        } else {
            db.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL, amount NUMERIC(19,4),"
                    + " note TEXT, flag BOOLEAN, due DATE, seen TIMESTAMP(6), version BIGINT NOT NULL)");
        }
    }

    /** The history, written by the application before Cutover, in plain JDBC; each row an acknowledged write. */
    private static void writeHistory(TestDatabase source, AcknowledgedWriteOracle<Long, Optional<Acct>> oracle)
            throws SQLException {
        List<Long> ids = new ArrayList<>();
        for (long id = 1; id <= ROWS; id++) {
            ids.add(id);
        }
        for (int t = 0; t < WRITERS; t++) {
            ids.add(PRIVATE_BASE + t);
        }
        try (Connection c = source.connect(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO accounts (id, balance, amount, note, flag, due, seen, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            c.setAutoCommit(false);
            List<AcknowledgedWriteOracle<Long, Optional<Acct>>.Write> batch = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                long id = ids.get(i);
                Acct row = seed(id);
                batch.add(oracle.begin(id, "history " + id, Effect.requiring(Optional::isEmpty, s -> Optional.of(row))));
                insert.setLong(1, id);
                insert.setLong(2, row.balance());
                insert.setBigDecimal(3, row.amount());
                insert.setString(4, row.note());
                if (row.flag() == null) {
                    insert.setNull(5, Types.BOOLEAN);
                } else {
                    insert.setBoolean(5, row.flag());
                }
                insert.setObject(6, row.due());
                insert.setObject(7, row.seen());
                insert.setLong(8, row.version());
                insert.addBatch();
                if (batch.size() == 500 || i == ids.size() - 1) {
                    insert.executeBatch();
                    c.commit();
                    batch.forEach(AcknowledgedWriteOracle.Write::acknowledged);
                    batch.clear();
                }
            }
        }
    }

    static Map<Long, Optional<Acct>> rows(TestDatabase db) throws SQLException {
        Map<Long, Optional<Acct>> rows = new TreeMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, balance, amount, note, flag, due, seen, version FROM accounts")) {
            while (rs.next()) {
                boolean flag = rs.getBoolean(5);
                Boolean f = rs.wasNull() ? null : flag;
                rows.put(rs.getLong(1), Optional.of(new Acct(rs.getLong(2), rs.getBigDecimal(3), rs.getString(4), f,
                        rs.getObject(6, LocalDate.class), rs.getObject(7, LocalDateTime.class), rs.getLong(8))));
            }
        }
        return rows;
    }

    /** One application instance: its pools, its runtime, its wrapped DAO. */
    record Instance(String name, DataSource source, DataSource target, Cutover cutover, Migration migration,
            AccountDao accounts) {
        static Instance start(String name, TestDatabase sourceDb, TestDatabase targetDb, TcpForwarder forwarder,
                MirrorMode mode) {
            DataSource source = sourceDb.defaultPool(10);
            DataSource target = targetDb.defaultPoolVia(forwarder, 10);
            Cutover.Builder builder = Cutover.builder(source, target);
            if (mode == MirrorMode.ASYNC) {
                builder.mirrorMode(MIGRATION, MirrorMode.ASYNC);
            }
            Cutover cutover = builder.build();
            Migration migration = cutover.migration(MIGRATION, ACCOUNTS);
            AccountDao accounts = migration.repository(AccountDao.class, jdbi(source).onDemand(AccountDao.class),
                    jdbi(target).onDemand(AccountDao.class));
            LOG.info("Instance {} up ({} mirror)", name, mode);
            return new Instance(name, source, target, cutover, migration, accounts);
        }

        /** Shuts the instance down as the application does: the runtime, then its pools. */
        void stop() throws IOException {
            cutover.close();
            ((Closeable) source).close();
            ((Closeable) target).close();
            LOG.info("Instance {} down", name);
        }
    }

    private static Jdbi jdbi(DataSource dataSource) {
        return Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin());
    }

    /** The four writers, the oracle and what they saw. */
    static final class Traffic {
        final AcknowledgedWriteOracle<Long, Optional<Acct>> oracle = new AcknowledgedWriteOracle<>(Optional.empty());
        final AtomicReferenceArray<Instance> assigned = new AtomicReferenceArray<>(WRITERS);
        /** The instance each writer's current or last call went to. */
        final AtomicReferenceArray<Instance> using = new AtomicReferenceArray<>(WRITERS);
        final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        /** Read-your-writes reads that did not see the reader's own write, by phase. */
        final Map<String, List<String>> stale = new ConcurrentHashMap<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean paused = new AtomicBoolean();
        final AtomicInteger idle = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();
        /** The next key the backfill copies, while it runs; 0 otherwise. */
        volatile long frontier;
        volatile String phase = "SOURCE_ONLY";
        /** Whether the primary may move under the writers: only then may a write fail as the README says. */
        volatile boolean primaryMoves;

        void start(Instance instance) {
            for (int t = 0; t < WRITERS; t++) {
                assigned.set(t, instance);
                int n = t;
                Thread thread = new Thread(() -> loop(n), "writer-" + t);
                threads.add(thread);
                thread.start();
            }
        }

        /**
         * Sends the writers' next calls to {@code instance}, as a load balancer does, and waits until
         * each has started one there: none is then still in a call of the instance it left.
         */
        void reassign(Instance instance, int... writers) throws InterruptedException {
            for (int t : writers) {
                assigned.set(t, instance);
            }
            for (int t : writers) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (using.get(t) != instance && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                assertTrue(using.get(t) == instance, "writer " + t + " did not move to " + instance.name());
            }
        }

        void pause() throws InterruptedException {
            if (stop.get()) {
                return;
            }
            paused.set(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (idle.get() < threads.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(threads.size(), idle.get(), "writers did not pause");
        }

        void resume() {
            paused.set(false);
        }

        void stop() throws InterruptedException {
            stop.set(true);
            paused.set(false);
            for (Thread thread : threads) {
                thread.join(120_000);
            }
        }

        /** Starts a phase, logging where the live instances' reads went in the one that ends. */
        void enter(String next) {
            Set<Instance> live = new LinkedHashSet<>();
            for (int t = 0; t < WRITERS; t++) {
                live.add(assigned.get(t));
            }
            for (Instance instance : live) {
                if (instance != null) {
                    ReadRouterCounts reads = instance.migration().router().counts();
                    LOG.info("End of phase '{}' on {}: {} reads on the source, {} on the target, {} fallbacks", phase,
                            instance.name(), reads.sourceReads(), reads.targetReads(), reads.fallbacks());
                }
            }
            phase = next;
        }

        private void loop(int t) {
            Random random = new Random(31L * t + 7);
            long mine = PRIVATE_BASE + t;
            long myVersion = 0;
            boolean myVersionKnown = true;
            while (!stop.get()) {
                if (paused.get()) {
                    idle.incrementAndGet();
                    while (paused.get() && !stop.get()) {
                        sleep(2);
                    }
                    idle.decrementAndGet();
                    continue;
                }
                Instance instance = assigned.get(t);
                using.set(t, instance);
                AccountDao dao = instance.accounts();
                String phaseNow = phase;
                int op = random.nextInt(100);
                long id = key(random);
                boolean insert = false;
                try {
                    if (op < 10) {
                        // Read-your-writes: this writer's own row, which nobody else writes.
                        long d = 1 + random.nextInt(5);
                        oracle.call(mine, "deposit " + mine + " " + d, s -> s.map(r -> r.deposited(d)),
                                () -> dao.deposit(mine, d));
                        myVersion++;
                        Optional<Long> read = dao.version(mine);
                        count(phaseNow + " read-your-writes");
                        if (myVersionKnown && !read.equals(Optional.of(myVersion))) {
                            stale.computeIfAbsent(phaseNow, p -> Collections.synchronizedList(new ArrayList<>()))
                                    .add("key " + mine + " read version " + read + " after writing " + myVersion);
                        }
                    } else if (op < 30) {
                        insert = true;
                        Acct row = fresh(random);
                        oracle.call(id, "insert " + id + " " + row,
                                Effect.requiring(Optional::isEmpty, s -> Optional.of(row)),
                                () -> dao.insert(id, row.balance(), row.amount(), row.note(), row.flag(), row.due(),
                                        row.seen()));
                    } else if (op < 60) {
                        long d = 1 + random.nextInt(100);
                        oracle.call(id, "deposit " + id + " " + d, s -> s.map(r -> r.deposited(d)),
                                () -> dao.deposit(id, d));
                    } else if (op < 72) {
                        String note = random.nextInt(8) == 0 ? "note " + random.nextInt(1000)
                                : NOTES[random.nextInt(NOTES.length)];
                        oracle.call(id, "note " + id, s -> s.map(r -> r.noted(note)), () -> dao.setNote(id, note));
                    } else if (op < 77) {
                        oracle.call(id, "clear " + id, s -> s.map(Acct::cleared), () -> dao.clear(id));
                    } else if (op < 92) {
                        oracle.call(id, "delete " + id, s -> Optional.empty(), () -> dao.delete(id));
                    } else {
                        dao.version(id);
                    }
                    count(phaseNow + " ok");
                } catch (RuntimeException e) {
                    if (op < 10) {
                        // The write of the private row failed (a move of the primary): it may or may not have landed.
                        myVersionKnown = false;
                    }
                    failed(phaseNow, insert, e);
                }
            }
        }

        private long key(Random random) {
            int p = random.nextInt(100);
            if (p < 30) {
                return 1 + random.nextInt(HOT);
            }
            long f = frontier;
            if (p < 60 && f > 0) {
                // Rows just behind and just ahead of the backfill: deleted, re-inserted and updated as it passes.
                return Math.max(1, f - 20 + random.nextInt(100));
            }
            return 1 + random.nextInt(ROWS + NEW_KEYS);
        }

        private void failed(String phaseNow, boolean insert, RuntimeException e) {
            if (insert && sqlState(e, "23505", "23000")) {
                count(phaseNow + " duplicate insert");
                return;
            }
            if (sqlState(e, "40001")) {
                // InnoDB deadlocks a DELETE or INSERT of a row against other INSERTs of it through the
                // duplicate-key check's shared lock, with the application's statements alone (seen
                // without Cutover too): the statement is rolled back whole, which the oracle allows.
                count(phaseNow + " deadlock");
                return;
            }
            if (primaryMoves && (e instanceof LateWriteException || e instanceof HandoverException)) {
                count(phaseNow + " " + e.getClass().getSimpleName());
                return;
            }
            count(phaseNow + " UNEXPECTED " + e.getClass().getSimpleName());
            if (unexpected.size() < 50) {
                unexpected.add(phaseNow + ": " + e);
                LOG.warn("Unexpected failure in {}", phaseNow, e);
            }
        }

        /** Whether the DAO's own statement failed with one of these SQL states (not Cutover's copy). */
        private static boolean sqlState(RuntimeException e, String... states) {
            if (!(e instanceof UnableToExecuteStatementException) || !(e.getCause() instanceof SQLException s)) {
                return false;
            }
            return List.of(states).contains(s.getSQLState());
        }

        private void count(String what) {
            counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void hold(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * HOLD * 1000));
    }

    /**
     * Writers paused, queue drained: the verifier is clean and both sides (or the target alone, once
     * the source is no longer written) hold exactly what the acknowledged writes left.
     */
    private static void checkpoint(String name, Traffic traffic, Instance instance, TestDatabase sourceDb,
            TestDatabase targetDb, List<String> problems, boolean sourceToo) throws Exception {
        traffic.pause();
        try {
            if (!instance.cutover().drain(Duration.ofSeconds(90))) {
                problems.add(name + ": the retry-queue did not drain: " + instance.migration().queueDepth());
            }
            if (sourceToo) {
                VerificationReport report = instance.migration().verify();
                if (!report.isClean()) {
                    problems.add(name + ": verify() not clean with the writers paused and the queue drained: "
                            + report.toJson());
                }
            }
            Map<Long, Optional<Acct>> target = rows(targetDb);
            Map<Long, Optional<Acct>> source = sourceToo ? rows(sourceDb) : target;
            List<String> violations = traffic.oracle.violations(source, target);
            if (!violations.isEmpty()) {
                problems.add(name + ": " + violations.size() + " key(s) differ from the acknowledged writes:\n"
                        + String.join("\n", violations.subList(0, Math.min(5, violations.size()))));
            }
            LOG.info("Checkpoint {}: {} rows on the target, {} acknowledged writes so far, {} violations", name,
                    target.size(), traffic.oracle.acknowledged(), violations.size());
        } finally {
            traffic.resume();
        }
    }

    /** Cuts the target's network, then stalls it, while the writers write through the instance. */
    private static void outage(TcpForwarder forwarder, Traffic traffic, String mode) throws InterruptedException {
        traffic.enter("target cut, " + mode);
        forwarder.cut();
        hold(2);
        forwarder.restore();
        traffic.enter("after the cut, " + mode);
        hold(0.5);
        traffic.enter("target stalled, " + mode);
        forwarder.stall();
        hold(2);
        forwarder.restore();
        traffic.enter("after the stall, " + mode);
    }

    /** A DAO whose reads bind values besides the routing key, as many do. */
    public interface NotesDao {
        @SqlQuery("SELECT version FROM accounts WHERE id = :id AND (note IS NULL OR note <> :unless)")
        Optional<Long> versionUnlessNoted(@RoutingKey @Bind("id") long id, @Bind("unless") String unless);
    }

    /**
     * README, Data in logs: Cutover's own log lines and the texts it stores name keys, tables and
     * columns, never row values. A JDBI DAO's exception message carries every bound argument
     * ({@code arguments:{positional:{0:..., 1:...}}}); when the target fails under a routed read, the
     * fallback's WARN line quoted that message whole.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void aFailedTargetReadOfAJdbiDaoLogsNoBoundValue(Engine sourceEngine) throws Exception {
        String marker = "Marker-Secret-4711";
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "boundsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "boundtgt");
             TcpForwarder forwarder = TcpForwarder.in(targetDb)) {
            createTable(sourceDb);
            createTable(targetDb);
            sourceDb.execute("INSERT INTO accounts (id, balance, version) VALUES (1, 0, 0)");
            DataSource source = sourceDb.defaultPool(10);
            DataSource target = targetDb.defaultPoolVia(forwarder, 10);
            List<String> logged;
            try (Cutover cutover = Cutover.builder(source, target).build(); LogCapture logs = new LogCapture()) {
                Migration migration = cutover.migration(MIGRATION, ACCOUNTS);
                NotesDao notes = migration.repository(NotesDao.class, jdbi(source).onDemand(NotesDao.class),
                        jdbi(target).onDemand(NotesDao.class));
                migration.moveTo(Stage.DUAL_WRITE, "ops", "mirror");
                migration.backfill().build().run();
                migration.moveTo(Stage.SHIFT_READS, "ops", "reads");
                migration.setTargetReadPercent(100, "ops", "all reads");
                assertEquals(Optional.of(0L), notes.versionUnlessNoted(1, marker));
                forwarder.cut();
                // While the source is primary a failed target read is answered by the source.
                assertEquals(Optional.of(0L), notes.versionUnlessNoted(1, marker));
                forwarder.restore();
                logged = logs.lines();
            }
            // The read took the connection its first call used, which the cut reset: the DAO threw.
            assertTrue(logged.stream().anyMatch(l -> l.contains("answered by the source because the target failed")),
                    "the target read did not fail with the DAO's exception");
            List<String> leaks = new ArrayList<>();
            boolean cutoverEntry = false;
            for (String line : logged) {
                java.util.regex.Matcher header = java.util.regex.Pattern
                        .compile("^(?:\\S+ )?\\[[^\\]]*] (TRACE|DEBUG|INFO|WARN|ERROR) (\\S+) - ").matcher(line);
                if (header.find()) {
                    cutoverEntry = header.group(2).startsWith("dev.cutover.") && !header.group(2).contains("LiveMigration");
                }
                if (cutoverEntry && line.contains(marker)) {
                    leaks.add("log: " + line);
                }
            }
            assertTrue(leaks.isEmpty(), "a bound value reached Cutover's log lines:\n" + String.join("\n", leaks));
        }
    }

    @ParameterizedTest
    @MethodSource("sourceEngines")
    void aPopulatedTableMigratesUnderTrafficOutagesAndRollingRestartsLosingNothing(Engine sourceEngine)
            throws Exception {
        List<String> problems = new ArrayList<>();
        Traffic traffic = new Traffic();
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "livesrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "livetgt");
             TcpForwarder forwarder = TcpForwarder.in(targetDb)) {
            createTable(sourceDb);
            createTable(targetDb);
            writeHistory(sourceDb, traffic.oracle);

            // 1. Instance A, the mirror synchronous (the default); the history is on the source only.
            Instance a = Instance.start("A", sourceDb, targetDb, forwarder, MirrorMode.SYNC);
            Instance b = null;
            Instance c = null;
            try {
                Migration migration = a.migration();
                // Mistakes an operator makes first are refused and write nothing.
                assertThrows(RuntimeException.class, () -> migration.backfill().build().run(),
                        "a backfill in SOURCE_ONLY");
                assertThrows(RuntimeException.class, () -> migration.moveTo(Stage.SHIFT_READS, "ops", "skip a stage"));
                assertEquals(Map.of(), rows(targetDb), "a refused call wrote to the target");
                traffic.start(a);
                hold(0.5);

                // 2. DUAL_WRITE and the backfill, the writers on the rows it copies.
                traffic.enter("backfill");
                migration.moveTo(Stage.DUAL_WRITE, "ops", "start mirroring writes");
                CompletableFuture<BackfillProgress> running = migration.backfill()
                        .listener(p -> traffic.frontier = p.ended() ? 0 : p.rowsDone() + 1).build().start();
                BackfillProgress done = running.get(5, TimeUnit.MINUTES);
                traffic.frontier = 0;
                LOG.info("Backfill: {}", done);
                assertEquals(BackfillProgress.Phase.FINISHED, done.phase(), done.toString());

                // 3. Someone changed the target by hand; the verifier repairs while the writers write.
                traffic.enter("verify under traffic");
                long cold = ROWS / 2;
                targetDb.execute("UPDATE accounts SET note = 'by hand', version = version + 1000 WHERE id BETWEEN "
                                + cold + " AND " + (cold + 9) + " OR id <= 4",
                        "DELETE FROM accounts WHERE id BETWEEN " + (cold + 20) + " AND " + (cold + 25) + " OR id = 5",
                        "UPDATE accounts SET amount = NULL, seen = NULL WHERE id BETWEEN " + (cold + 30) + " AND "
                                + (cold + 35),
                        "INSERT INTO accounts (id, balance, version) VALUES (" + STRAY + ", 1, 0)");
                VerificationReport underTraffic = migration.verify();
                TableReport table = underTraffic.table("accounts");
                LOG.info("Verify under traffic: {} differences, {} repairs queued, {} transient", table.differenceCount(),
                        table.repairsQueued(), table.transientDifferences());
                assertTrue(table.repairsQueued() >= 10, "the rows changed by hand were not all found: "
                        + underTraffic.toJson());
                hold(0.5);
                checkpoint("after the backfill and the repair", traffic, a, sourceDb, targetDb, problems, true);

                // 4. Reads shift to the target; the target's network fails under the synchronous mirror.
                traffic.enter("SHIFT_READS, sync");
                migration.moveTo(Stage.SHIFT_READS, "ops", "start shifting reads");
                migration.setTargetReadPercent(100, "ops", "all reads on the target");
                hold(0.5);
                outage(forwarder, traffic, "sync");
                hold(0.5);
                checkpoint("after the outage, sync", traffic, a, sourceDb, targetDb, problems, true);

                // 5. A rolling deploy to the asynchronous mirror: A and B write the same rows meanwhile.
                traffic.enter("rolling to async");
                b = Instance.start("B", sourceDb, targetDb, forwarder, MirrorMode.ASYNC);
                traffic.reassign(b, 0, 1);
                hold(1);
                traffic.reassign(b, 2, 3);
                a.stop();
                a = null;
                traffic.enter("SHIFT_READS, async");
                long targetReadsBefore = b.migration().router().counts().targetReads();
                hold(1);
                // Else the read-your-writes check of the asynchronous mirror would have seen nothing.
                assertTrue(b.migration().router().counts().targetReads() > targetReadsBefore,
                        "no read reached the target in SHIFT_READS at 100 %");
                traffic.enter("target cut, async");
                forwarder.cut();
                hold(2);
                forwarder.restore();
                traffic.enter("after the cut, async");
                hold(1.5);
                // The application rolls back to the synchronous mirror (C). The target hangs while the
                // writers move to C, and B is shut down while it still owes copies.
                c = Instance.start("C", sourceDb, targetDb, forwarder, MirrorMode.SYNC);
                traffic.enter("target stalled, async");
                forwarder.stall();
                hold(1);
                traffic.enter("target stalled, rolling to sync");
                traffic.reassign(c, 0, 1, 2, 3);
                Instance closing = b;
                b = null;
                CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
                    try {
                        closing.stop();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                hold(1.5);
                forwarder.restore();
                traffic.enter("after the stall, sync");
                closed.get(2, TimeUnit.MINUTES);
                hold(0.5);
                checkpoint("after the rolling restarts", traffic, c, sourceDb, targetDb, problems, true);

                // 6. The primary moves to the target and back, and on to TARGET_ONLY.
                Migration last = c.migration();
                traffic.primaryMoves = true;
                traffic.enter("TARGET_PRIMARY");
                last.moveTo(Stage.TARGET_PRIMARY, "ops", "the target is the system of record");
                hold(2.5);
                traffic.enter("SHIFT_READS again");
                last.moveTo(Stage.SHIFT_READS, "ops", "roll back");
                hold(2.5);
                traffic.enter("TARGET_PRIMARY again");
                last.moveTo(Stage.TARGET_PRIMARY, "ops", "the target again");
                hold(2.5);
                checkpoint("target primary", traffic, c, sourceDb, targetDb, problems, true);
                traffic.enter("TARGET_ONLY");
                last.moveTo(Stage.TARGET_ONLY, "ops", "done");
                hold(1);
                traffic.stop();
                checkpoint("TARGET_ONLY", traffic, c, sourceDb, targetDb, problems, false);
            } finally {
                traffic.stop();
                for (Instance instance : new Instance[] {a, b, c}) {
                    if (instance != null) {
                        instance.stop();
                    }
                }
            }
        }
        LOG.info("Calls: {}", new TreeMap<>(traffic.counts));
        traffic.stale.forEach((phase, reads) -> LOG.info("Stale read-your-writes reads in {}: {} e.g. {}", phase,
                reads.size(), reads.get(0)));
        problems.addAll(traffic.unexpected);
        traffic.stale.forEach((phase, reads) -> {
            if (!SYNC_OUTAGE_PHASES.contains(phase)) {
                problems.add("read-your-writes failed " + reads.size() + " times in " + phase + ", e.g. " + reads.get(0));
            }
        });
        assertTrue(traffic.oracle.acknowledged() > 1_000, "too few writes: " + traffic.oracle.acknowledged());
        assertTrue(problems.isEmpty(), problems.size() + " problem(s):\n" + String.join("\n", problems));
    }
}
