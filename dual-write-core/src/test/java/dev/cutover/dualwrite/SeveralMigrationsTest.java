package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link CutoverDataSource} carrying two migrations, {@code ledger} (table {@code account}) and
 * {@code stock} (table {@code stock}), each with its own stage (issue #14, several migrations).
 */
class SeveralMigrationsTest {
    private static final Logger LOG = LoggerFactory.getLogger(SeveralMigrationsTest.class);
    private static final Duration REFRESH = Duration.ofMillis(100);
    private static final Duration PAUSE = Duration.ofMillis(400);
    private static final int ACCOUNTS = 20;
    private static final int ITEMS = 20;
    private static final Long ABSENT = Long.MIN_VALUE;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestDatabase source;
    private TestDatabase target;
    private MigrationFlags flags;
    private RetryQueue queue;
    private CutoverDataSource dataSource;
    private final List<Instance> instances = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        resources.add(resource);
        return resource;
    }

    private static TableMapping accounts() {
        return TableMapping.builder("accounts").sourceTable("account").key("id", Long.class).column("balance").build();
    }

    private static TableMapping items() {
        return TableMapping.builder("items").sourceTable("stock").key("sku", Long.class).column("qty").build();
    }

    /** Both databases with both tables and a pass-through table, and one instance's data source over them. */
    private void start(Engine engine) {
        start(engine, 1);
    }

    /** As {@link #start(Engine)}, with several instances sharing the flag and retry stores. */
    private void start(Engine engine, int instanceCount) {
        source = closing(TestDatabases.create(engine, "multisrc"));
        target = closing(TestDatabases.create(engine, "multitgt"));
        for (TestDatabase db : List.of(source, target)) {
            db.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)",
                    "CREATE TABLE stock (sku BIGINT PRIMARY KEY, qty BIGINT NOT NULL)",
                    "CREATE TABLE audit_log (id BIGINT PRIMARY KEY, note VARCHAR(40))");
        }
        DataSource sourcePool = source.dataSource(16);
        DataSource targetPool = target.dataSource(16);
        FlagStore flagStore = FlagStore.inMemory();
        RetryStore retryStore = RetryStore.inMemory();
        for (int i = 0; i < instanceCount; i++) {
            instances.add(instance(flagStore, retryStore, sourcePool, targetPool));
            if (i + 1 < instanceCount) {
                sleep(REFRESH.toMillis() / 2); // their background loads run apart, so they see each flip apart
            }
        }
        flags = instances.get(0).flags();
        queue = instances.get(0).queue();
        dataSource = instances.get(0).dataSource();
    }

    /** One application instance: its own flags over the shared store, queue workers, routers and data source. */
    private record Instance(MigrationFlags flags, RetryQueue queue, CutoverDataSource dataSource) {
    }

    private Instance instance(FlagStore flagStore, RetryStore retryStore, DataSource sourcePool, DataSource targetPool) {
        MigrationFlags flags = closing(MigrationFlags.builder(flagStore).refreshInterval(REFRESH).handoverPause(PAUSE)
                .maxHandoverWait(Duration.ofSeconds(10)).build());
        RowCopier ledger = RowCopier.builder(sourcePool, targetPool).mapping(accounts())
                .statementTimeout(Duration.ofSeconds(2)).build();
        RowCopier stock = RowCopier.builder(sourcePool, targetPool).mapping(items())
                .statementTimeout(Duration.ofSeconds(2)).build();
        RetryQueue queue = closing(RetryQueue.create(retryStore,
                CopyReplayHandler.of(Map.of("ledger", ledger, "stock", stock), flags),
                RetryQueueConfig.custom().workerCount(2).pollInterval(Duration.ofMillis(5))
                        .initialBackoff(Duration.ofMillis(2)).maxBackoff(Duration.ofMillis(50)).maxAttempts(1_000)
                        .pendingCacheTtl(Duration.ofMillis(20)).build()));
        queue.start();
        ReadRouter ledgerRouter = closing(ReadRouter.builder(flags, "ledger").build());
        ReadRouter stockRouter = closing(ReadRouter.builder(flags, "stock").build());
        return new Instance(flags, queue, DualWrite.dataSource(sourcePool, targetPool).migration("ledger").flags(flags)
                .router(ledgerRouter).retryQueue(queue).rowCopier(ledger)
                .addMigration("stock", stockRouter, stock, new DualWriteCounters()).passThrough("audit_log").build());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void both(String migrationStage, Stage ledger, Stage stock) {
        flags.forceMoveTo("ledger", ledger, "test", migrationStage);
        flags.forceMoveTo("stock", stock, "test", migrationStage);
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void writersOnBothMigrations_throughPerMigrationFlipsAndAGroupPrimaryMoveAndBack_loseNoAcknowledgedWrite(
            Engine engine) throws Exception {
        writeThroughFlipsAndGroupMoves(engine, 1);
    }

    @Test
    void writersOnBothMigrations_ofTwoInstancesSeeingTheGroupMovesApart_loseNoAcknowledgedWrite() throws Exception {
        writeThroughFlipsAndGroupMoves(Engine.POSTGRESQL, 2);
    }

    private void writeThroughFlipsAndGroupMoves(Engine engine, int instanceCount) throws Exception {
        start(engine, instanceCount);
        both("start", Stage.DUAL_WRITE, Stage.DUAL_WRITE);
        AcknowledgedWriteOracle<String, Long> oracle = new AcknowledgedWriteOracle<>(ABSENT);
        for (long id = 1; id <= ACCOUNTS; id++) {
            long key = id;
            oracle.call("a" + id, "open account " + id, Effect.requiring(s -> s.equals(ABSENT), s -> 0L),
                    () -> update("INSERT INTO account (id, balance) VALUES (?, 0)", key));
        }
        for (long sku = 1; sku <= ITEMS; sku++) {
            long key = sku;
            oracle.call("s" + sku, "stock item " + sku, Effect.requiring(s -> s.equals(ABSENT), s -> 0L),
                    () -> update("INSERT INTO stock (sku, qty) VALUES (?, 0)", key));
        }

        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
            DataSource through = instances.get(w % instanceCount).dataSource();
            Thread writer = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                    long id = 1 + random.nextInt(ACCOUNTS);
                    long sku = 1 + random.nextInt(ITEMS);
                    long delta = 1 + random.nextInt(99);
                    try {
                        switch (random.nextInt(3)) {
                            case 0 -> oracle.call("a" + id, "deposit " + delta, s -> s + delta,
                                    () -> update(through, "UPDATE account SET balance = balance + ? WHERE id = ?", delta,
                                            id));
                            case 1 -> oracle.call("s" + sku, "restock " + delta, s -> s + delta,
                                    () -> update(through, "UPDATE stock SET qty = qty + ? WHERE sku = ?", delta, sku));
                            default -> oracle.call("buy", Map.of("a" + id, (Effect<Long>) s -> s - delta,
                                    "s" + sku, (Effect<Long>) s -> s - 1), () -> buy(through, id, sku, delta));
                        }
                    } catch (SQLException e) {
                        // Recorded as failed: a refused or fenced write, which the oracle allows whole or not at all.
                    }
                }
            }, "multi-writer-" + w);
            writers.add(writer);
            writer.start();
        }
        long between = PAUSE.toMillis() + REFRESH.toMillis() + 200;
        Thread.sleep(between);
        // Per migration, keeping the primary: the ledger shifts reads while stock still only dual-writes.
        flags.moveTo("ledger", Stage.SHIFT_READS, "test", "ledger first");
        Thread.sleep(between);
        flags.moveTo("stock", Stage.SHIFT_READS, "test", "stock follows");
        Thread.sleep(between);
        flags.moveTogether(Set.of("ledger", "stock"), Stage.TARGET_PRIMARY, "test", "to the target together");
        Thread.sleep(2 * between);
        instances.get(instanceCount - 1).flags().moveTogether(Set.of("ledger", "stock"), Stage.SHIFT_READS, "test",
                "back together");
        Thread.sleep(2 * between);
        stop.set(true);
        for (Thread writer : writers) {
            writer.join();
        }
        for (Instance instance : instances) {
            assertTrue(instance.queue().drain(Duration.ofSeconds(30)), "the queue drains");
        }

        LOG.info("{} instance(s) on {}: {} writes acknowledged, {} failed or refused", instanceCount, engine,
                oracle.acknowledged(), oracle.maybe());
        Map<String, Long> onSource = states(source);
        Map<String, Long> onTarget = states(target);
        oracle.check(onSource, onTarget);
        assertTrue(oracle.acknowledged() > 200, "the writers kept writing: " + oracle.acknowledged() + " acknowledged");
        assertEquals(4, flags.audit("ledger", 10).size(), "ledger: start, shift reads, and two group moves");
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void whileTheMigrationsDisagreeAboutThePrimary_writesAreRefusedBeforeAnythingIsWritten_andGoOnOnceMovedTogether(
            Engine engine) throws Exception {
        start(engine);
        both("start", Stage.SHIFT_READS, Stage.SHIFT_READS);
        update("INSERT INTO account (id, balance) VALUES (1, 10)");
        update("INSERT INTO stock (sku, qty) VALUES (1, 5)");
        flags.moveTo("ledger", Stage.TARGET_PRIMARY, "test", "moved alone by mistake");

        List<String> writes = List.of("UPDATE account SET balance = 99 WHERE id = 1",
                "UPDATE stock SET qty = 99 WHERE sku = 1", "INSERT INTO audit_log (id, note) VALUES (1, 'x')",
                "INSERT INTO stock (sku, qty) VALUES (2, 1)");
        for (String sql : writes) {
            SQLException refused = assertThrows(SQLException.class, () -> update(sql), sql);
            assertEquals("55000", refused.getSQLState(), refused.getMessage());
            assertTrue(refused.getMessage().contains("ledger (TARGET_PRIMARY)")
                    && refused.getMessage().contains("stock (SHIFT_READS)")
                    && refused.getMessage().contains("moveTogether(Set.of(\"stock\"), Stage.TARGET_PRIMARY")
                    && refused.getMessage().contains("moveTogether(Set.of(\"ledger\"), Stage.SHIFT_READS"),
                    refused.getMessage());
        }
        // In a transaction too, also when an earlier statement of it only read.
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT 1").close();
                assertThrows(SQLException.class, () -> s.executeUpdate("UPDATE stock SET qty = 7 WHERE sku = 1"));
                SQLException batch = assertThrows(SQLException.class, () -> {
                    s.addBatch("UPDATE account SET balance = 7 WHERE id = 1");
                    s.executeBatch();
                });
                assertEquals("55000", batch.getSQLState());
            }
            c.rollback();
        }
        for (TestDatabase db : List.of(source, target)) {
            assertEquals(Map.of("a1", 10L, "s1", 5L), states(db), "nothing was written on " + db);
            assertEquals(0L, count(db, "audit_log"));
        }
        // Reads go on: each migration's router reads its own table by its own stage.
        assertEquals(10L, queryLong("SELECT balance FROM account WHERE id = 1"));
        assertEquals(5L, queryLong("SELECT qty FROM stock WHERE sku = 1"));

        // The fix the message names: stock joins the ledger on the target, as a group.
        flags.moveTogether(Set.of("stock"), Stage.TARGET_PRIMARY, "test", "join the ledger");
        update("UPDATE account SET balance = 11 WHERE id = 1");
        update("UPDATE stock SET qty = 6 WHERE sku = 1");
        assertTrue(queue.drain(Duration.ofSeconds(30)));
        assertEquals(Map.of("a1", 11L, "s1", 6L), states(target));
        assertEquals(Map.of("a1", 11L, "s1", 6L), states(source), "the target primary's writes are mirrored back");
    }

    /**
     * Two transactions began on the source, each holding one migration's write permit, when both
     * move to the target together: each one's write of the other migration is refused at once,
     * rather than waiting for a handover that waits for the other transaction's permit.
     */
    @Test
    void transactionsHoldingEachOthersOldPermits_areRefusedAtOnceWhenThePrimaryMoves_notHeldUpByEachOther()
            throws Exception {
        start(Engine.POSTGRESQL);
        both("start", Stage.SHIFT_READS, Stage.SHIFT_READS);
        update("INSERT INTO account (id, balance) VALUES (1, 10)");
        update("INSERT INTO stock (sku, qty) VALUES (1, 5)");
        try (Connection a = dataSource.getConnection(); Connection b = dataSource.getConnection();
                Statement onA = a.createStatement(); Statement onB = b.createStatement()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            onA.executeUpdate("UPDATE account SET balance = 11 WHERE id = 1");
            onB.executeUpdate("UPDATE stock SET qty = 6 WHERE sku = 1");

            flags.moveTogether(Set.of("ledger", "stock"), Stage.TARGET_PRIMARY, "test", "move both");

            SQLException first = assertThrows(SQLException.class,
                    () -> onA.executeUpdate("UPDATE stock SET qty = 7 WHERE sku = 1"));
            SQLException second = assertThrows(SQLException.class,
                    () -> onB.executeUpdate("UPDATE account SET balance = 12 WHERE id = 1"));
            for (SQLException refused : List.of(first, second)) {
                assertEquals("40001", refused.getSQLState());
                assertTrue(refused.getMessage().contains("moved to the target since this transaction began on the"
                        + " source; this statement wrote nothing"), refused.getMessage());
            }
            a.rollback();
            b.rollback();
        }
        update("UPDATE stock SET qty = 8 WHERE sku = 1");
        assertEquals(Map.of("a1", 10L, "s1", 8L), states(target));
        assertEquals(Map.of("a1", 10L, "s1", 8L), states(source));
    }

    @Test
    void eachTableFollowsItsOwnMigrationsStage_andAJoinOfBothRunsOnThePrimary() throws Exception {
        start(Engine.POSTGRESQL);
        both("start", Stage.DUAL_WRITE, Stage.SOURCE_ONLY);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO account (id, balance) VALUES (1, 10)");
                s.executeUpdate("INSERT INTO stock (sku, qty) VALUES (1, 5)");
            }
            c.commit();
        }
        assertEquals(Map.of("a1", 10L, "s1", 5L), states(source));
        assertEquals(Map.of("a1", 10L), states(target), "stock is SOURCE_ONLY: its row stays on the source");

        // DDL on stock's table is refused while the ledger dual-writes: Cutover cannot prove what it reaches.
        SQLException ddl = assertThrows(SQLException.class, () -> update("TRUNCATE stock, account"));
        assertTrue(ddl.getMessage().contains("ledger DUAL_WRITE, stock SOURCE_ONLY"), ddl.getMessage());
        assertEquals(1L, queryLong("SELECT COUNT(*) FROM account a JOIN stock s ON s.sku = a.id"));

        flags.moveTo("stock", Stage.DUAL_WRITE, "test", "stock dual-writes too");
        update("UPDATE stock SET qty = 4 WHERE sku = 1");
        assertEquals(Map.of("a1", 10L, "s1", 4L), states(target), "stock's writes are mirrored from now on");
        assertEquals(List.of("ledger", "stock"), dataSource.migrations());
    }

    @Test
    void aReadOfOneMigrationsTables_goesThroughItsRouter_andAReadOfSeveralMigrationsTables_runsOnThePrimary()
            throws Exception {
        start(Engine.POSTGRESQL);
        both("start", Stage.SHIFT_READS, Stage.SHIFT_READS);
        flags.setTargetReadPercent("ledger", 100, "test", "the ledger reads the target");
        update("INSERT INTO account (id, balance) VALUES (1, 10)");
        update("INSERT INTO stock (sku, qty) VALUES (1, 5)");
        // Marks which side answers: the target's rows differ from the source's, behind Cutover's back.
        target.execute("UPDATE account SET balance = 1010 WHERE id = 1", "UPDATE stock SET qty = 1005 WHERE sku = 1");

        assertEquals(1010L, queryLong("SELECT balance FROM account WHERE id = 1"), "the ledger's router: the target");
        assertEquals(5L, queryLong("SELECT qty FROM stock WHERE sku = 1"), "stock's router: the source");
        assertEquals(15L, queryLong("SELECT a.balance + s.qty FROM account a JOIN stock s ON s.sku = a.id"
                + " WHERE a.id = 1"), "both migrations' tables: the primary");
    }

    /**
     * With the transactional outbox, a transaction over both migrations' tables records each written
     * key's entry, under its own migration, in the source transaction: while the copies fail (the
     * target's tables are away), those entries are what will copy the keys.
     */
    @Test
    void theTransactionalOutbox_recordsEachMigrationsEntriesInTheSourceTransaction() throws Exception {
        start(Engine.POSTGRESQL);
        both("start", Stage.DUAL_WRITE, Stage.DUAL_WRITE);
        DataSource sourcePool = source.dataSource(4);
        DataSource targetPool = target.dataSource(4);
        JdbcRetryStore store = RetryStore.jdbc(source.dataSource(2), "outbox_");
        store.createTables();
        CutoverDataSource withOutbox = DualWrite.dataSource(sourcePool, targetPool).migration("ledger").flags(flags)
                .router(closing(ReadRouter.builder(flags, "ledger").build())).retryQueue(queue)
                .rowCopier(RowCopier.builder(sourcePool, targetPool).mapping(accounts()).build())
                .addMigration("stock", closing(ReadRouter.builder(flags, "stock").build()),
                        RowCopier.builder(sourcePool, targetPool).mapping(items()).build(), new DualWriteCounters())
                .crashSafe(store, Duration.ofMinutes(10)).build();
        target.execute("ALTER TABLE account RENAME TO account_away", "ALTER TABLE stock RENAME TO stock_away");

        try (Connection c = withOutbox.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.executeUpdate("INSERT INTO account (id, balance) VALUES (1, 10)");
            s.executeUpdate("INSERT INTO stock (sku, qty) VALUES (1, 5)");
            s.executeUpdate("INSERT INTO stock (sku, qty) VALUES (2, 6)");
            c.commit();
        }

        assertEquals(List.of(List.of("ledger", "1", 1L), List.of("stock", "1", 1L), List.of("stock", "2", 1L)),
                RowCopierTest.rows(source, "SELECT migration, routing_key, COUNT(*) FROM outbox_retry_entry"
                        + " GROUP BY migration, routing_key ORDER BY migration, routing_key"));
    }

    @Test
    void aTableMappedByTwoMigrations_isRefusedAtBuild() {
        start(Engine.POSTGRESQL);
        DataSource sourcePool = source.dataSource(2);
        DataSource targetPool = target.dataSource(2);
        RowCopier twice = RowCopier.builder(sourcePool, targetPool).mapping(accounts()).build();
        ReadRouter router = closing(ReadRouter.builder(flags, "other").build());
        CutoverConfigurationException refused = assertThrows(CutoverConfigurationException.class,
                () -> DualWrite.dataSource(sourcePool, targetPool).migration("ledger").flags(flags)
                        .router(closing(ReadRouter.builder(flags, "ledger").build())).retryQueue(queue)
                        .rowCopier(RowCopier.builder(sourcePool, targetPool).mapping(accounts()).build())
                        .addMigration("other", router, twice, new DualWriteCounters()).build());
        assertTrue(refused.getMessage().contains("table account is mapped by migration ledger and by migration other"),
                refused.getMessage());
    }

    private void update(String sql, Object... parameters) throws SQLException {
        update(dataSource, sql, parameters);
    }

    private static void update(DataSource through, String sql, Object... parameters) throws SQLException {
        try (Connection c = through.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            s.executeUpdate();
        }
    }

    /** One transaction over both migrations' tables: pay for an item. */
    private static void buy(DataSource through, long id, long sku, long price) throws SQLException {
        try (Connection c = through.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement pay = c.prepareStatement("UPDATE account SET balance = balance - ? WHERE id = ?");
                    PreparedStatement take = c.prepareStatement("UPDATE stock SET qty = qty - 1 WHERE sku = ?")) {
                pay.setLong(1, price);
                pay.setLong(2, id);
                pay.executeUpdate();
                take.setLong(1, sku);
                take.executeUpdate();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private long queryLong(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery(sql)) {
            assertTrue(rows.next());
            return rows.getLong(1);
        }
    }

    private static long count(TestDatabase db, String table) throws SQLException {
        return ((Number) RowCopierTest.rows(db, "SELECT COUNT(*) FROM " + table).get(0).get(0)).longValue();
    }

    /** Every row of both tables, as {@code a<id>} and {@code s<sku>}. */
    private static Map<String, Long> states(TestDatabase db) throws SQLException {
        Map<String, Long> states = new LinkedHashMap<>();
        for (List<Object> row : RowCopierTest.rows(db, "SELECT id, balance FROM account ORDER BY id")) {
            states.put("a" + row.get(0), ((Number) row.get(1)).longValue());
        }
        for (List<Object> row : RowCopierTest.rows(db, "SELECT sku, qty FROM stock ORDER BY sku")) {
            states.put("s" + row.get(0), ((Number) row.get(1)).longValue());
        }
        return new HashMap<>(states);
    }
}
