package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/** The {@link MirrorMode#ASYNC} mirror: returns before the copy, coalesces, reads its own writes, overflows durably. */
class AsyncMirrorTest {

    /** A pool whose connections are handed out only once the gate opens: holds every copy back. */
    private static DataSource gated(DataSource pool, CountDownLatch gate) {
        return gated(pool, gate, new CountDownLatch(1));
    }

    /** @param arrived counted down by each call that reaches the gate */
    private static DataSource gated(DataSource pool, CountDownLatch gate, CountDownLatch arrived) {
        return Interpose.before(DataSource.class, pool, method -> {
            if (method.equals("getConnection")) {
                arrived.countDown();
                gate.await(30, TimeUnit.SECONDS);
            }
        });
    }

    /** A repository of the fixture's migration over these pools, copying with this row copier. */
    private static Ledger repository(LedgerFixture fixture, DataSource sourcePool, DataSource targetPool,
            RowCopier copier) {
        return DualWrite.repository(Ledger.class)
                .source(JdbcLedger.source(sourcePool)).target(JdbcLedger.target(targetPool))
                .migration(LedgerFixture.MIGRATION).flags(fixture.flags).router(fixture.router)
                .retryQueue(fixture.queue).rowCopier(copier, "accounts")
                .routingKey("transfer", args -> List.of(args[0], args[1]))
                .counters(fixture.stats).build();
    }

    @Test
    void aWrite_returnsBeforeItsCopy_pendingKeysAreReadFromThePrimary_andRepeatedWritesCoalesce() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "asyncsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "asynctgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            CountDownLatch gate = new CountDownLatch(1);
            DataSource targetPool = gated(target.dataSource(4), gate);
            // Flags confirmed for 10 s at a time: the fence would queue the held-back keys (and they
            // would no longer be owed) if a loaded machine delayed a 10 ms refresh past the window.
            LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(4),
                    targetPool, false, Style.REPOSITORY, false, true, Duration.ofSeconds(10));
            try {
                fixture.moveTo(Stage.SHIFT_READS);
                fixture.flags.setTargetReadPercent(LedgerFixture.MIGRATION, 100, "test", "reads on the target");
                fixture.flags.refresh();
                Ledger ledger = fixture.ledger;
                // A second repository of the same migration and row copier, as another DAO would be. Its
                // target answers at once, stale: the router would not fall back to the source for it.
                Ledger sameMigration = repository(fixture, source.dataSource(2), target.dataSource(2), fixture.resync);

                ledger.open(1, "ann");
                for (int i = 0; i < 5; i++) {
                    ledger.deposit(1, 10);
                }

                assertEquals(List.of(), fixture.targetRows(), "no copy may have landed while the target is held back");
                assertEquals(50L, ledger.balance(1), "a pending key is read from the primary, not the stale target");
                assertEquals(50L, sameMigration.balance(1), "so it is through another repository of the migration");
                assertTrue(fixture.stats.asyncCoalesced() >= 4, "writes of a pending key coalesce: "
                        + fixture.stats.asyncCoalesced());
                assertTrue(fixture.stats.asyncBacklog() > 0, "the key is still owed");

                gate.countDown();
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "the copies finish");
                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "the queue drains");
                assertEquals(fixture.sourceRows().get(0).subList(0, 3), fixture.targetRows().get(0).subList(0, 3));
                assertEquals(50L, ledger.balance(1), "the target has the row once the copy landed");
            } finally {
                gate.countDown();
                fixture.close();
            }
        }
    }

    @Test
    void keysBeyondTheBacklog_areQueuedDurablyInsideTheCall() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "asyncbsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "asyncbtgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            CountDownLatch gate = new CountDownLatch(1);
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = gated(target.dataSource(4), gate);
            LedgerFixture fixture = new LedgerFixture(source, target, sourcePool, targetPool, false, Style.REPOSITORY,
                    false, false);
            List<RowCopier> closeLater = new java.util.ArrayList<>();
            try {
                fixture.moveTo(Stage.DUAL_WRITE);
                RowCopier oneKey = RowCopier.builder(sourcePool, targetPool).mapping(JdbcLedger.mapping())
                        .mirrorMode(MirrorMode.ASYNC).asyncBacklog(1).build();
                closeLater.add(oneKey);
                Ledger ledger = repository(fixture, sourcePool, targetPool, oneKey);
                for (long id = 1; id <= 4; id++) {
                    ledger.open(id, "owner" + id);
                }
                assertTrue(fixture.stats.asyncOverflows() >= 2, "keys past the backlog of 1 overflow: "
                        + fixture.stats.asyncOverflows());
                assertTrue(fixture.stats.enqueued() >= fixture.stats.asyncOverflows(), "each overflow is queued");

                gate.countDown();
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "the copies finish");
                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "the queue drains");
                assertEquals(4, fixture.targetRows().size(), "every key reached the target: " + fixture.targetRows());
            } finally {
                gate.countDown();
                closeLater.forEach(RowCopier::close);
                fixture.close();
            }
        }
    }

    /**
     * A batch gathers for {@code asyncGatherDelay} after its oldest key's write unless it fills
     * first: a lone write waits for it, while a full batch is copied at once.
     */
    @Test
    void aBatchGathersForItsDelay_unlessItFills() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "asyncgsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "asyncgtgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = target.dataSource(4);
            LedgerFixture fixture = new LedgerFixture(source, target, sourcePool, targetPool, false, Style.REPOSITORY,
                    false, false);
            // The longest allowed: a loaded machine writes and copies a full batch of three H2 rows well within it.
            Duration gather = Duration.ofSeconds(1);
            RowCopier slowGathering = RowCopier.builder(sourcePool, targetPool).mapping(JdbcLedger.mapping())
                    .mirrorMode(MirrorMode.ASYNC).asyncBatchSize(3).asyncGatherDelay(gather).build();
            try {
                assertEquals(gather, slowGathering.asyncGatherDelay());
                fixture.moveTo(Stage.DUAL_WRITE);
                Ledger ledger = repository(fixture, sourcePool, targetPool, slowGathering);

                long written = System.nanoTime();
                ledger.open(1, "ann");
                Thread.sleep(300);
                if (System.nanoTime() - written < gather.toNanos()) {
                    assertEquals(List.of(), fixture.targetRows(), "a lone key waits for its batch to gather");
                }
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "the gathered batch is copied");
                assertTrue(System.nanoTime() - written >= gather.toNanos(), "not before its gathering delay");
                assertEquals(1, fixture.targetRows().size());

                long full = System.nanoTime();
                for (long id = 2; id <= 4; id++) {
                    ledger.open(id, "owner" + id);
                }
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "a full batch is copied");
                assertTrue(System.nanoTime() - full < gather.toNanos(), "a full batch does not wait for its delay");
                assertEquals(4, fixture.targetRows().size());
            } finally {
                slowGathering.close();
                fixture.close();
            }
        }
    }

    /**
     * The copier checks a batch's keys against the retry-queue once, not key by key: each check was
     * a hand-off to a helper thread and, once the queue held any entry, a query of the store. A key
     * the store holds an entry for (not known to this instance's cache) is still found, and queued
     * behind that entry instead of copied.
     */
    @Test
    void aBatchOfKeys_isCheckedAgainstTheRetryQueueOnce_andAKeyWithAnEntryIsQueuedBehindIt() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "asyncpsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "asyncptgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            CountDownLatch gate = new CountDownLatch(1);
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = gated(target.dataSource(4), gate);
            // Flags confirmed for 10 s at a time, so that the fence does not queue the held-back keys.
            LedgerFixture fixture = new LedgerFixture(source, target, sourcePool, targetPool, false, Style.REPOSITORY,
                    false, false, Duration.ofSeconds(10));
            RetryStore store = RetryStore.inMemory();
            AtomicInteger keyChecks = new AtomicInteger();
            RetryStore counting = (RetryStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {OwnRetryStore.class}, (proxy, method, args) -> {
                        if (method.getName().equals("keysWithEntries")
                                || method.getName().equals("hasEntries") && method.getParameterCount() == 3) {
                            keyChecks.incrementAndGet();
                        }
                        try {
                            return method.invoke(store, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            RowCopier async = RowCopier.builder(sourcePool, targetPool).mapping(JdbcLedger.mapping())
                    .mirrorMode(MirrorMode.ASYNC).build();
            // Not started: its entries stay, so that the migration has entries throughout.
            RetryQueue queue = RetryQueue.create(counting, CopyReplayHandler.of(LedgerFixture.MIGRATION, async,
                    fixture.flags), RetryQueueConfig.custom().pendingCacheTtl(Duration.ofMinutes(1)).build());
            try {
                fixture.moveTo(Stage.DUAL_WRITE);
                Ledger ledger = DualWrite.repository(Ledger.class)
                        .source(JdbcLedger.source(sourcePool)).target(JdbcLedger.target(targetPool))
                        .migration(LedgerFixture.MIGRATION).flags(fixture.flags).router(fixture.router)
                        .retryQueue(queue).rowCopier(async, "accounts")
                        .routingKey("transfer", args -> List.of(args[0], args[1]))
                        .counters(fixture.stats).build();
                queue.enqueue(CopyReplayHandler.entry(LedgerFixture.MIGRATION, "accounts", "999", Side.SOURCE));
                // Another instance's entry: in the store, not in this queue's cache.
                store.enqueue(CopyReplayHandler.entry(LedgerFixture.MIGRATION, "accounts", "7", Side.SOURCE),
                        java.time.Instant.now());
                int keys = 20;
                for (long id = 1; id <= keys; id++) {
                    ledger.open(id, "owner" + id);
                }
                gate.countDown();
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "the copies finish");

                // The first batch is checked, then held at the target while the others gather: two at most.
                assertTrue(keyChecks.get() <= 2, "one check per batch, not one per key: " + keyChecks.get()
                        + " checks for " + keys + " keys");
                assertEquals(1, fixture.stats.queuedBehindPending(), "key 7 waits behind its entry");
                assertTrue(store.hasEntries(LedgerFixture.MIGRATION, "accounts", "7"), "key 7 stays queued");
                List<List<Object>> copied = fixture.targetRows();
                assertEquals(keys - 1, copied.size(), "every other key is copied: " + copied);
                assertTrue(copied.stream().noneMatch(row -> ((Number) row.get(0)).longValue() == 7),
                        "key 7 is not copied ahead of its entry");
            } finally {
                gate.countDown();
                async.close();
                queue.close();
                fixture.close();
            }
        }
    }

    /**
     * Closing the row copier waits for the keys still pending (here held back by the target) to be
     * copied, stops the copier's threads, and later writes are mirrored inside the call.
     */
    @Test
    void closingTheRowCopier_copiesThePendingKeys_stopsItsThreads_andLaterWritesMirrorInTheCall() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "asynccsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "asyncctgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch atGate = new CountDownLatch(1);
            // Flags confirmed for 10 s at a time, so that the fence does not queue the held-back keys.
            LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(4),
                    gated(target.dataSource(4), gate, atGate), false, Style.REPOSITORY, false, true,
                    Duration.ofSeconds(10));
            try {
                fixture.moveTo(Stage.DUAL_WRITE);
                java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
                fixture.ledger.open(1, "ann");
                fixture.ledger.open(2, "bob");
                List<Thread> started = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> !before.contains(t) && t.getName().startsWith("cutover-async-")).toList();
                assertEquals(2, started.size(), "the first write starts the copier and its fence: " + started);
                // Until the copier waits at the gate with keys 1 and 2, or 1 alone. Its state alone does not
                // tell: it also waits, timed, while it gathers keys before taking them.
                assertTrue(atGate.await(10, TimeUnit.SECONDS), "the copier reached the target");
                fixture.ledger.deposit(1, 10);
                fixture.ledger.open(3, "cy");
                assertEquals(4, fixture.stats.asyncBacklog(), "keys 1 and 2 in copy, 1 (written again) and 3 pending");

                Thread closer = new Thread(fixture.resync::close, "closer");
                closer.start();
                while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
                    Thread.sleep(1);
                }
                assertTrue(closer.isAlive(), "close waits for the pending keys");
                assertEquals(List.of(), fixture.targetRows(), "the target is still held back");
                gate.countDown();
                closer.join();

                for (Thread thread : started) {
                    assertTrue(!thread.isAlive(), thread.getName() + " still runs after close");
                }
                assertEquals(0, fixture.stats.asyncBacklog(), "nothing is pending after close");
                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "what close queued is replayed");
                assertEquals(compared(fixture.sourceRows()), compared(fixture.targetRows()), "close copied every pending key");

                long copied = fixture.stats.asyncCopied();
                fixture.ledger.deposit(2, 7);
                assertEquals(compared(fixture.sourceRows()), compared(fixture.targetRows()),
                        "a write after close is mirrored in the call");
                assertEquals(copied, fixture.stats.asyncCopied(), "no asynchronous copy after close");
            } finally {
                gate.countDown();
                fixture.close();
            }
        }
    }

    /** The columns both sides hold alike (id, owner, balance). */
    private static List<List<Object>> compared(List<List<Object>> rows) {
        return rows.stream().map(row -> row.subList(0, 3)).toList();
    }

    static boolean postgresAvailable() {
        return TestDatabases.serverEngines().anyMatch(e -> e == Engine.POSTGRESQL);
    }

    /** One locking read and one multi-row upsert copy the present, unlocked keys; the others are left for one-key copies. */
    @Test
    @EnabledIf("postgresAvailable")
    void aBatchCopy_copiesPresentUnlockedRows_andLeavesAbsentAndLockedKeys() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "asyncbatchsrc");
             TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "asyncbatchtgt")) {
            RowCopierTest.createTables(source, target);
            source.execute("INSERT INTO customer VALUES (1, 'ann', 1.50, NULL)", "INSERT INTO customer VALUES (2, 'bob', 2.00, 'x')",
                    "INSERT INTO customer VALUES (3, 'cy', 3.00, NULL)");
            target.execute("INSERT INTO customers VALUES (2, 'old bob', 0, NULL)");
            RowCopier resync = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(RowCopierTest.customers()).build();
            try (Connection locker = source.connect()) {
                locker.setAutoCommit(false);
                try (Statement lock = locker.createStatement()) {
                    lock.execute("SELECT id FROM customer WHERE id = 3 FOR UPDATE");
                }
                List<String> rest = resync.copyBatch("customers", List.of("1", "2", "3", "4"), Side.SOURCE, null,
                        CopyBudget.start(Duration.ofSeconds(5)), () -> true);
                assertEquals(List.of("3", "4"), rest, "the locked key 3 and the absent key 4 are left");
                locker.rollback();
            }
            assertEquals("[[1, ann, 150, null], [2, bob, 200, x]]",
                    RowCopierTest.rows(target, "SELECT customer_id, name, balance_cents, note FROM customers ORDER BY 1")
                            .toString(), "keys 1 and 2 copied, the stale target row 2 overwritten");

            assertThrows(RowCopier.CopyWindowClosedException.class, () -> resync.copyBatch("customers",
                    List.of("1", "3"), Side.SOURCE, null, CopyBudget.start(Duration.ofSeconds(5)), () -> false));
            assertEquals(2, RowCopierTest.rows(target, "SELECT customer_id FROM customers").size(),
                    "a batch past its copy window commits nothing");
            assertEquals(new BigDecimal("3.00"), RowCopierTest.rows(source,
                    "SELECT balance FROM customer WHERE id = 3").get(0).get(0));
        }
    }

    @Test
    void theDataSourceStyle_refusesTheAsynchronousMode_andTheSettersCheckTheirRanges() throws SQLException {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "asyncdssrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "asyncdstgt")) {
            LedgerFixture.createTables(source, target, Style.DATASOURCE);
            LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(2), target.dataSource(2),
                    false, Style.DATASOURCE);
            try {
                RowCopier async = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                        .mapping(JdbcLedger.sameSchemaMapping()).mirrorMode(MirrorMode.ASYNC).build();
                CutoverConfigurationException refused = assertThrows(CutoverConfigurationException.class,
                        () -> DualWrite.dataSource(source.dataSource(2), target.dataSource(2)).migration(LedgerFixture.MIGRATION)
                                .flags(fixture.flags).router(fixture.router).retryQueue(fixture.queue).rowCopier(async).build());
                assertTrue(refused.getMessage().contains("MirrorMode.ASYNC"), refused.getMessage());
            } finally {
                fixture.close();
            }
        }
        RowCopier.Builder builder = RowCopier.builder(new org.h2.jdbcx.JdbcDataSource(), new org.h2.jdbcx.JdbcDataSource());
        assertThrows(CutoverConfigurationException.class, () -> builder.asyncBacklog(0));
        assertThrows(CutoverConfigurationException.class, () -> builder.asyncBatchSize(1_001));
        assertThrows(CutoverConfigurationException.class, () -> builder.asyncGatherDelay(Duration.ofMillis(-1)));
        assertThrows(CutoverConfigurationException.class, () -> builder.asyncGatherDelay(Duration.ofMillis(1_001)));
    }
}
