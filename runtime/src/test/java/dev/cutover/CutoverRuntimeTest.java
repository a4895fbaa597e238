package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.CutoverException;
import dev.cutover.dualwrite.LateWriteException;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.FlagsNotConfirmedException;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.StageTransitionException;
import dev.cutover.queue.QueueDepth;
import dev.cutover.queue.RetryQueue;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The runtime as a new user wires it: defaults everywhere (HikariCP's default pools, the runtime's
 * own tables created at build), one mapping, one DAO, and every stage.
 */
class CutoverRuntimeTest {
    private static final String DDL = "CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)";

    /** The DAO an application already has. */
    public interface AccountDao {
        @SqlUpdate("INSERT INTO accounts (id, balance) VALUES (:id, 0)")
        void open(@RoutingKey @Bind("id") long id);

        @SqlUpdate("UPDATE accounts SET balance = balance + :amount WHERE id = :id")
        int deposit(@RoutingKey @Bind("id") long id, @Bind("amount") long amount);

        @SqlUpdate("DELETE FROM accounts WHERE id = :id")
        int close(@RoutingKey @Bind("id") long id);

        @SqlQuery("SELECT balance FROM accounts WHERE id = :id")
        Optional<Long> balance(@RoutingKey @Bind("id") long id);
    }

    private static final TableMapping ACCOUNTS = TableMapping.builder("accounts").key("id", Long.class)
            .columns("balance").build();

    static Stream<Engine> sourceEngines() {
        return TestDatabases.serverEngines();
    }

    /**
     * Concurrent writers on a few shared accounts while the migration walks every stage, moving the
     * primary to the target and back: each side must hold exactly what the acknowledged writes did.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void concurrentWritesThroughEveryStageLoseNothing(Engine sourceEngine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "runtimesrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "runtimetgt")) {
            sourceDb.execute(DDL);
            targetDb.execute(DDL);
            DataSource source = sourceDb.defaultPool(8);
            DataSource target = targetDb.defaultPool(8);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            AcknowledgedWriteOracle<Long, Optional<Long>> oracle = new AcknowledgedWriteOracle<>(Optional.empty());
            try (Cutover cutover = Cutover.builder(source, target).meterRegistry(registry).build()) {
                Migration accounts = cutover.migration("accounts", ACCOUNTS);
                AccountDao dao = accounts.repository(AccountDao.class, dao(source), dao(target));

                AtomicBoolean running = new AtomicBoolean(true);
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Random random = new Random(t);
                    writers.add(startThread(() -> {
                        while (running.get()) {
                            write(dao, oracle, random);
                        }
                    }));
                }
                Stage[] walk = {Stage.DUAL_WRITE, Stage.SHIFT_READS, Stage.TARGET_PRIMARY, Stage.SHIFT_READS,
                        Stage.TARGET_PRIMARY};
                for (Stage stage : walk) {
                    Thread.sleep(300);
                    accounts.moveTo(stage, "test", "walk");
                    if (stage == Stage.SHIFT_READS) {
                        accounts.setTargetReadPercent(50, "test", "half the reads");
                    }
                }
                Thread.sleep(300);
                running.set(false);
                for (Thread writer : writers) {
                    writer.join();
                }
                assertTrue(cutover.drain(Duration.ofSeconds(30)), "the retry-queue did not drain");
                assertEquals(Stage.TARGET_PRIMARY, accounts.stage());
                assertTrue(oracle.acknowledged() > 0, "no write was acknowledged");
                oracle.check(balances(source), balances(target));
                assertTrue(accounts.verify().isClean());
                assertTrue(accounts.counters().primaryWrites() > 0);
                assertTrue(registry.find("cutover.flags.stage").tag("migration", "accounts").gauge() != null,
                        "the flags' meters are not bound");
                assertEquals(Stage.TARGET_PRIMARY.ordinal(),
                        registry.get("cutover.flags.stage").tag("migration", "accounts").gauge().value());
            }
        }
    }

    private static void write(AccountDao dao, AcknowledgedWriteOracle<Long, Optional<Long>> oracle, Random random) {
        long id = 1 + random.nextInt(5);
        int op = random.nextInt(10);
        try {
            if (op < 2) {
                oracle.call(id, "open " + id, Effect.requiring(Optional::isEmpty, s -> Optional.of(0L)),
                        () -> dao.open(id));
            } else if (op < 9) {
                long amount = 1 + random.nextInt(100);
                oracle.call(id, "deposit " + id + " " + amount, s -> s.map(b -> b + amount),
                        () -> dao.deposit(id, amount));
            } else {
                oracle.call(id, "close " + id, s -> Optional.empty(), () -> dao.close(id));
            }
        } catch (RuntimeException e) {
            // A duplicate open, a write refused during a handover or too late for its copy window: the call
            // failed, and the oracle takes it as applied whole or not at all.
            if (!(e instanceof HandoverException || e instanceof LateWriteException
                    || e instanceof FlagsNotConfirmedException || e.getCause() instanceof SQLException)) {
                throw e;
            }
        }
    }

    /**
     * One DataSource over two registered migrations: each table mirrored under its own migration's
     * stage, and their primary moved together through the runtime, audited per migration.
     */
    @Test
    void oneDataSourceCarriesTwoMigrations_andTheRuntimeMovesTheirPrimaryTogether() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "twosrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "twotgt")) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute(DDL, "CREATE TABLE orders (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
            }
            DataSource source = sourceDb.dataSource(4);
            DataSource target = targetDb.dataSource(4);
            TableMapping orders = TableMapping.builder("orders").key("id", Long.class).columns("balance").build();
            try (Cutover cutover = Cutover.builder(source, target).flags(f -> f.refreshInterval(Duration.ofMillis(50))
                    .handoverPause(Duration.ofMillis(200))).build()) {
                cutover.migration("accounts", ACCOUNTS);
                cutover.migration("orders", orders);
                DataSource wrapped = cutover.dataSource("accounts", "orders");
                cutover.migration("accounts").moveTo(Stage.DUAL_WRITE, "ops", "mirror accounts");
                execute(wrapped, "INSERT INTO accounts (id, balance) VALUES (1, 10)");
                execute(wrapped, "INSERT INTO orders (id, balance) VALUES (1, 20)");
                assertEquals(List.of(10L), column(target, "SELECT balance FROM accounts"));
                assertEquals(List.of(), column(target, "SELECT balance FROM orders"), "orders is still SOURCE_ONLY");

                assertThrows(IllegalArgumentException.class, () -> cutover.moveTogether(Set.of("accounts", "typo"),
                        Stage.SHIFT_READS, "ops", "x"));
                assertEquals(Stage.DUAL_WRITE, cutover.migration("accounts").stage(), "nothing moved");
                execute(wrapped, "DELETE FROM orders WHERE id = 1"); // orders is SOURCE_ONLY: on the source only
                assertEquals(List.of(), column(source, "SELECT balance FROM orders"));
                cutover.migration("orders").moveTo(Stage.DUAL_WRITE, "ops", "mirror orders");
                cutover.moveTogether(Set.of("accounts", "orders"), Stage.SHIFT_READS, "ops", "shift both");
                cutover.moveTogether(Set.of("accounts", "orders"), Stage.TARGET_PRIMARY, "ops", "move both");
                execute(wrapped, "UPDATE accounts SET balance = 11 WHERE id = 1");
                execute(wrapped, "INSERT INTO orders (id, balance) VALUES (2, 30)");
                assertEquals(List.of(11L), column(source, "SELECT balance FROM accounts"), "mirrored back");
                assertEquals(List.of(30L), column(source, "SELECT balance FROM orders"), "mirrored back");
                assertEquals("move both", cutover.flags().audit("orders", 1).get(0).reason());
                assertEquals("move both", cutover.flags().audit("accounts", 1).get(0).reason());
            }
        }
    }

    private static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    /** A rolling deploy: instance B knows only m1, A knows m1 and m2; both share one retry table. */
    @Test
    void anInstanceClaimsOnlyTheMigrationsItRegistered() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.H2, "rollsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.H2, "rolltgt")) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute(DDL, "CREATE TABLE orders (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
            }
            sourceDb.execute("INSERT INTO accounts VALUES (1, 10)", "INSERT INTO orders VALUES (7, 70)");
            DataSource source = sourceDb.dataSource(4);
            DataSource target = targetDb.dataSource(4);
            TableMapping orders = TableMapping.builder("orders").key("id", Long.class).columns("balance").build();
            try (Cutover b = Cutover.builder(source, target).retryQueue(q -> q.pollInterval(Duration.ofMillis(20)))
                    .build()) {
                b.migration("m1", ACCOUNTS);
                RetryQueue queue = b.retryQueue();
                queue.enqueue(CopyReplayHandler.entry("m1", "accounts", "1", Side.SOURCE));
                queue.enqueue(CopyReplayHandler.entry("m2", "orders", "7", Side.SOURCE));
                Await.until("B replays m1's entry", () -> column(target, "SELECT balance FROM accounts").equals(List.of(10L))
                        && entries(queue, "m1") == 0);
                Thread.sleep(200); // ten polls in which B could claim m2's entry, if it would
                assertEquals(1, entries(queue, "m2"), "B touched m2's entry");
                assertEquals(List.of(), queue.parked(10), "B parked an entry it cannot replay");

                try (Cutover a = Cutover.builder(source, target).retryQueue(q -> q.pollInterval(Duration.ofMillis(20)))
                        .build()) {
                    a.migration("m1", ACCOUNTS);
                    a.migration("m2", orders);
                    Await.until("A replays m2's entry", () -> column(target, "SELECT balance FROM orders").equals(List.of(70L)));
                    assertTrue(a.drain(Duration.ofSeconds(20)));
                    assertEquals(0, entries(queue, "m2"));
                }
            }
        }
    }

    /** @return how many entries of the migration the queue's store holds, pending or parked */
    private static long entries(RetryQueue queue, String migration) {
        QueueDepth stats = queue.depthByMigration().get(migration);
        return stats == null ? 0 : stats.pending() + stats.parked();
    }

    /**
     * Instances of a rolling deploy start together on a database without Cutover's tables: every one
     * of them builds its runtime, though they all create the tables at once.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void instancesStartingTogetherAllCreateTheTablesAndStart(Engine engine) throws Exception {
        int instances = 4;
        for (int round = 0; round < 3; round++) {
            try (TestDatabase sourceDb = TestDatabases.create(engine, "startsrc");
                 TestDatabase targetDb = TestDatabases.create(engine, "starttgt")) {
                DataSource source = sourceDb.dataSource(instances + 1);
                DataSource target = targetDb.dataSource(2);
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(instances);
                List<java.util.concurrent.Future<Cutover>> started = new ArrayList<>();
                java.util.concurrent.ExecutorService starter = java.util.concurrent.Executors.newFixedThreadPool(instances);
                try {
                    for (int i = 0; i < instances; i++) {
                        started.add(starter.submit(() -> {
                            together.await();
                            return Cutover.builder(source, target).build();
                        }));
                    }
                    for (java.util.concurrent.Future<Cutover> instance : started) {
                        instance.get().close();
                    }
                } finally {
                    starter.shutdownNow();
                }
            }
        }
    }

    /** A database user that may not create tables gets the fix: the scripts, and createTables(false). */
    @Test
    void aUserWhoMayNotCreateTablesIsToldHowToCreateThem() throws Exception {
        String role = "cutover_nocreate_" + Long.toString(System.nanoTime(), 36);
        try (TestDatabase db = TestDatabases.create(Engine.POSTGRESQL, "nocreate")) {
            // PostgreSQL 15 and later let only the database owner create tables in schema public; older
            // servers let everyone, so the role is denied it explicitly.
            db.execute("CREATE ROLE " + role + " LOGIN", "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
            try {
                String url = db.jdbcUrl().replaceFirst("user=[^&]*", "user=" + role);
                PGSimpleDataSource restricted = new PGSimpleDataSource();
                restricted.setURL(url);
                try (TestDatabase target = TestDatabases.create(Engine.H2, "nocreatetgt")) {
                    String message = assertThrows(CutoverException.class,
                            () -> Cutover.builder(restricted, target.dataSource(2)).build()).getMessage();
                    assertTrue(message.contains("cutover_flag_state") && message.contains("createTables(false)")
                            && message.contains("dev/cutover/flags/<dialect>.sql"), message);
                }
            } finally {
                db.execute("DROP OWNED BY " + role, "DROP ROLE " + role);
            }
        }
    }

    @Test
    void misuseIsRefusedWithTheFix() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.H2, "misusesrc");
             TestDatabase targetDb = TestDatabases.create(Engine.H2, "misusetgt")) {
            DataSource source = sourceDb.dataSource(2);
            DataSource target = targetDb.dataSource(2);
            assertTrue(assertThrows(CutoverConfigurationException.class, () -> Cutover.builder(source, source))
                    .getMessage().contains("same DataSource"));
            assertThrows(CutoverConfigurationException.class, () -> Cutover.builder(source, target).tablePrefix("x; DROP"));
            Cutover cutover = Cutover.builder(source, target).tablePrefix("mig_").build();
            assertTrue(assertThrows(IllegalStateException.class, cutover::retryQueue).getMessage()
                    .contains("register one"));
            Migration accounts = cutover.migration("accounts", ACCOUNTS);
            assertSame(accounts, cutover.migration("accounts"));
            assertTrue(assertThrows(CutoverConfigurationException.class, () -> cutover.migration("accounts", ACCOUNTS))
                    .getMessage().contains("already registered"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> cutover.migration("nope"))
                    .getMessage().contains("Register it with"));
            assertThrows(CutoverConfigurationException.class, () -> cutover.migration("bad name!", ACCOUNTS));
            assertEquals(List.of(0L), column(source, "SELECT COUNT(*) FROM mig_retry_entry"));
            cutover.close();
            cutover.close();
            assertFalse(accounts.router().toString().isEmpty());
            assertThrows(IllegalStateException.class, () -> cutover.migration("other", ACCOUNTS));
        }
    }

    /**
     * A mapping that does not fit the databases (a mistyped column, a target table not created yet)
     * would have every copy fail into the retry-queue once both sides are written; the move into
     * DUAL_WRITE is refused instead, naming each problem, and goes through once they are fixed.
     */
    @ParameterizedTest
    @MethodSource("sourceEngines")
    void aMoveIntoDualWrites_isRefusedWhileTheMappingDoesNotFitTheDatabases(Engine sourceEngine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "fitsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "fittgt")) {
            sourceDb.execute(DDL);
            try (Cutover cutover = Cutover.builder(sourceDb.defaultPool(2), targetDb.defaultPool(2)).build()) {
                Migration misspelt = cutover.migration("misspelt", TableMapping.builder("accounts").key("id", Long.class)
                        .columns("balanse").build());
                String message = assertThrows(StageTransitionException.class,
                        () -> misspelt.moveTo(Stage.DUAL_WRITE, "test", "start")).getMessage();
                assertTrue(message.contains("column balanse is not in the source table accounts"), message);
                assertTrue(message.contains("target table accounts of accounts does not exist"), message);
                assertEquals(Stage.SOURCE_ONLY, misspelt.stage(), "nothing moved");

                Migration accounts = cutover.migration("accounts", ACCOUNTS);
                assertThrows(StageTransitionException.class, () -> cutover.moveTogether(Set.of("accounts"),
                        Stage.DUAL_WRITE, "test", "start"));
                targetDb.execute(DDL);
                accounts.moveTo(Stage.DUAL_WRITE, "test", "the target table exists now");
                assertEquals(Stage.DUAL_WRITE, accounts.stage());
                // Moves between stages that both write both sides are not checked again.
                accounts.moveTo(Stage.SHIFT_READS, "test", "reads");
            }
        }
    }

    /** What an operator's progress line reads: this migration's pending and parked copies, and the lag. */
    @Test
    void queueStatsCountThisMigrationsEntriesAndTheRowCopierCustomizerApplies() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.H2, "qstatsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.H2, "qstattgt")) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute(DDL);
            }
            sourceDb.execute("INSERT INTO accounts VALUES (1, 10)");
            DataSource source = sourceDb.dataSource(4);
            DataSource target = targetDb.dataSource(4);
            // A bad row-copier setting is refused at build(), as every other setting is.
            assertTrue(assertThrows(CutoverConfigurationException.class, () -> Cutover.builder(source, target)
                    .rowCopier(r -> r.statementTimeout(Duration.ofMillis(10))).build())
                    .getMessage().contains("statementTimeout"), "the customizer was not applied");
            TableMapping orders = TableMapping.builder("orders").key("id", Long.class).columns("balance").build();
            try (Cutover sneaky = Cutover.builder(source, target).rowCopier(r -> r.mapping(orders)).build()) {
                assertTrue(assertThrows(CutoverConfigurationException.class, () -> sneaky.migration("m1", ACCOUNTS))
                        .getMessage().contains("pass every table to migration"));
            }
            try (Cutover cutover = Cutover.builder(source, target)
                    .rowCopier(r -> r.copyBudget(Duration.ofSeconds(2)))
                    .retryQueue(q -> q.pollInterval(Duration.ofMillis(20)))
                    .build()) {
                Migration m1 = cutover.migration("m1", ACCOUNTS);
                Migration m2 = cutover.migration("m2", orders);
                assertEquals(new QueueDepth(0, 0, Optional.empty()), m1.queueDepth());
                RetryQueue queue = cutover.retryQueue();
                queue.stop();
                queue.enqueue(CopyReplayHandler.entry("m1", "accounts", "1", Side.SOURCE));
                queue.enqueue(CopyReplayHandler.entry("m1", "no_such_entity", "1", Side.SOURCE));
                QueueDepth waiting = m1.queueDepth();
                assertEquals(2, waiting.pending(), waiting.toString());
                assertTrue(waiting.oldestPendingCreatedAt().isPresent(), waiting.toString());
                assertEquals(new QueueDepth(0, 0, Optional.empty()), m2.queueDepth());

                queue.start();
                Await.until("m1's entries are replayed or parked", () -> m1.queueDepth().pending() == 0);
                assertEquals(new QueueDepth(0, 1, Optional.empty()), m1.queueDepth());
                assertEquals(List.of(10L), column(target, "SELECT balance FROM accounts"));
            }
        }
    }

    /**
     * A container (the Spring Boot starter) builds the runtime and registers migrations while it wires
     * the application, and starts the workers only once it is wired: nothing replays before that.
     */
    @Test
    void queueWorkersDeferredToStartQueueWorkersReplayOnlyFromThen() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.H2, "deferSrc");
             TestDatabase targetDb = TestDatabases.create(Engine.H2, "deferTgt")) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute(DDL);
            }
            sourceDb.execute("INSERT INTO accounts VALUES (1, 10)");
            DataSource target = targetDb.dataSource(4);
            try (Cutover cutover = Cutover.builder(sourceDb.dataSource(4), target).startQueueWorkers(false)
                    .retryQueue(q -> q.pollInterval(Duration.ofMillis(20))).build()) {
                Migration m1 = cutover.migration("m1", ACCOUNTS);
                cutover.retryQueue().enqueue(CopyReplayHandler.entry("m1", "accounts", "1", Side.SOURCE));
                Thread.sleep(200); // ten polls in which running workers would have replayed it
                assertFalse(cutover.queueWorkersRunning());
                assertEquals(1, m1.queueDepth().pending(), "replayed before startQueueWorkers()");

                cutover.startQueueWorkers();
                assertTrue(cutover.queueWorkersRunning());
                assertTrue(cutover.drain(Duration.ofSeconds(20)));
                assertEquals(List.of(10L), column(target, "SELECT balance FROM accounts"));
                cutover.stopQueueWorkers();
                assertFalse(cutover.queueWorkersRunning());
                assertEquals(Stage.SOURCE_ONLY, m1.stage(), "the runtime stays open after stopQueueWorkers()");
            }
        }
    }

    /**
     * A migration set to the asynchronous mirror on its own: its repositories all read a pending key
     * from the primary, and closing the runtime copies the pending keys before its copier stops.
     */
    @Test
    void oneMigrationMirrorsAsynchronously_andCloseCopiesItsPendingKeysAndStopsItsCopier() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.H2, "asyncrtsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.H2, "asyncrttgt")) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute(DDL);
            }
            DataSource source = sourceDb.dataSource(4);
            DataSource targetPool = targetDb.dataSource(4);
            java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> gate =
                    new java.util.concurrent.atomic.AtomicReference<>(new java.util.concurrent.CountDownLatch(0));
            DataSource target = (DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                        if (method.getName().equals("getConnection")) {
                            gate.get().await(30, java.util.concurrent.TimeUnit.SECONDS);
                        }
                        try {
                            return method.invoke(targetPool, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            assertThrows(CutoverConfigurationException.class, () -> Cutover.builder(source, target).mirrorMode("no way", MirrorMode.ASYNC));
            TableMapping orders = TableMapping.builder("orders").key("id", Long.class).columns("balance").build();
            Cutover cutover = Cutover.builder(source, target).mirrorMode("m1", MirrorMode.ASYNC).build();
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            try {
                Migration m1 = cutover.migration("m1", ACCOUNTS);
                assertEquals(MirrorMode.ASYNC, m1.rowCopier().mirrorMode());
                assertEquals(MirrorMode.SYNC, cutover.migration("m2", orders).rowCopier().mirrorMode(),
                        "the mode is set for m1 only");
                AccountDao writer = m1.repository(AccountDao.class, dao(source), dao(target));
                // Its target answers at once, stale: the router would not fall back to the source for it.
                AccountDao reader = m1.repository(AccountDao.class, dao(source), dao(targetPool));
                m1.moveTo(Stage.DUAL_WRITE, "test", "mirror");
                m1.moveTo(Stage.SHIFT_READS, "test", "read the target");
                m1.setTargetReadPercent(100, "test", "every read on the target");
                java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
                // The first write also runs the handover of this instance's first sight of the
                // migration, which reads the target's sequences: it goes through before the gate shuts.
                writer.open(2);
                Await.until("the first write's copy", () -> column(targetPool, "SELECT id FROM accounts").equals(List.of(2L)));
                gate.set(release);
                writer.open(1);
                writer.deposit(1, 5);
                List<Thread> copier = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> !before.contains(t) && t.getName().startsWith("cutover-async-")).toList();
                assertEquals(2, copier.size(), "the first write starts m1's copier and its fence: " + copier);
                assertEquals(Optional.of(5L), reader.balance(1),
                        "a key pending in the migration is read from the source through any of its repositories");

                Thread closer = new Thread(cutover::close, "closer");
                closer.start();
                while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
                    Thread.sleep(1);
                }
                assertTrue(closer.isAlive(), "close waits for the pending keys");
                release.countDown();
                closer.join();
                for (Thread thread : copier) {
                    assertFalse(thread.isAlive(), thread.getName() + " still runs after close");
                }
                assertEquals(List.of(5L), column(targetPool, "SELECT balance FROM accounts WHERE id = 1"),
                        "close copied the pending key");
            } finally {
                release.countDown();
                cutover.close();
            }
        }
    }

    private static Thread startThread(Runnable body) {
        Thread thread = new Thread(body, "writer");
        thread.start();
        return thread;
    }

    private static AccountDao dao(DataSource dataSource) {
        return Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin()).onDemand(AccountDao.class);
    }

    private static Map<Long, Optional<Long>> balances(DataSource dataSource) throws SQLException {
        Map<Long, Optional<Long>> balances = new HashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, balance FROM accounts")) {
            while (rs.next()) {
                balances.put(rs.getLong(1), Optional.of(rs.getLong(2)));
            }
        }
        return balances;
    }

    private static List<Long> column(DataSource dataSource, String sql) {
        List<Long> values = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return values;
    }
}
