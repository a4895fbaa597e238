package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash-safe writes during a target outage: every write records a write-ahead intent, and the
 * intents of a hot key used to pile up, one per write, each replayed one after the other once the
 * target was back. Coalesced, a key keeps one intent, due after its latest write, and the target
 * still catches up with every write. The same workload runs once through a store that does not
 * coalesce (as before) and once through the real one, and the drain times of both are logged.
 */
class CrashSafeIntentCoalescingTest {
    private static final Logger LOG = LoggerFactory.getLogger(CrashSafeIntentCoalescingTest.class);
    private static final Duration INTENT_DELAY = Duration.ofMillis(100);
    private static final int ACCOUNTS = 5;
    private static final int THREADS = 4;
    private static final int WRITES_PER_THREAD = Integer.getInteger("cutover.soak.intentWrites", 100);

    @Test
    void writesDuringATargetOutage_keepOneIntentPerKey_andTheTargetStillCatchesUpWithEveryWrite() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "coalescesrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "coalescetgt")) {
            JdbcLedger.createTables(source, target);
            JdbcRetryStore store = RetryStore.jdbc(source.dataSource(4), CrashSafeTest.QUEUE_PREFIX);
            store.createTables();

            Run before = run(source, target, store, notCoalescing(store), 0);
            Run now = run(source, target, store, store, ACCOUNTS);
            LOG.info("{} crash-safe writes on {} keys during a target outage: without coalescing {} intents drained in"
                    + " {} ms; coalesced {} intents drained in {} ms", THREADS * WRITES_PER_THREAD, ACCOUNTS,
                    before.entries(), before.drainMillis(), now.entries(), now.drainMillis());

            // Without coalescing, two intents per write: the one before it, and the one recorded again after its
            // copy failed (the first may have replayed before a slow write committed).
            assertEquals(ACCOUNTS + 2 * THREADS * WRITES_PER_THREAD, before.entries(), "two intents per write");
            assertEquals(ACCOUNTS, now.entries(), "one intent per key");
        }
    }

    private record Run(long entries, long drainMillis) {
    }

    /**
     * Opens the accounts, cuts the target, writes from several threads, heals the target, then starts
     * the queue and times its drain; the sides must be equal afterwards.
     */
    private static Run run(TestDatabase source, TestDatabase target, JdbcRetryStore store, RetryStore intents,
            int firstAccount) throws Exception {
        Faults faults = new Faults();
        DataSource faultyTarget = faults.wrap(target.dataSource(8));
        RowCopier resync = RowCopier.builder(source.dataSource(8), faultyTarget).mapping(JdbcLedger.mapping())
                .statementTimeout(Duration.ofSeconds(2)).build();
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build();
                ReadRouter router = ReadRouter.builder(flags, LedgerFixture.MIGRATION).build();
                RetryQueue queue = RetryQueue.create(store, CopyReplayHandler.of(LedgerFixture.MIGRATION, resync),
                        RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).workerCount(2).build())) {
            flags.forceMoveTo(LedgerFixture.MIGRATION, Stage.DUAL_WRITE, "test", "test");
            Ledger ledger = DualWrite.repository(Ledger.class)
                    .source(JdbcLedger.source(source.dataSource(8)))
                    .target(JdbcLedger.target(faultyTarget))
                    .migration(LedgerFixture.MIGRATION)
                    .flags(flags)
                    .router(router)
                    .retryQueue(queue)
                    .rowCopier(resync, "accounts")
                    .routingKey("transfer", args -> List.of(args[0], args[1]))
                    .crashSafe(intents, INTENT_DELAY)
                    .build();
            for (long id = firstAccount + 1; id <= firstAccount + ACCOUNTS; id++) {
                ledger.open(id, "owner" + id);
            }
            faults.enable(1, 1.0);
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch done = new CountDownLatch(THREADS);
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(t);
                new Thread(() -> {
                    try {
                        for (int i = 0; i < WRITES_PER_THREAD; i++) {
                            ledger.deposit(firstAccount + 1 + random.nextInt(ACCOUNTS), 1 + random.nextInt(100));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    } finally {
                        done.countDown();
                    }
                }, "intent-writer-" + t).start();
            }
            done.await();
            faults.disable();
            assertEquals(List.of(), List.copyOf(errors), "writes during the outage succeed");
            long entries = store.pendingCount();
            Thread.sleep(INTENT_DELAY.toMillis() * 2);
            long started = System.nanoTime();
            queue.start();
            // Only a hang bound: the soak's uncoalesced run drains some 8,000 entries, and how fast depends
            // on what else the machine runs (three test classes at a time in this module).
            assertTrue(queue.drain(Duration.ofMinutes(10)), "the queue drains");
            long drainMillis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(RowCopierTest.rows(source, "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id"),
                    RowCopierTest.rows(target, "SELECT " + LedgerFixture.TARGET_COLUMNS
                            + " FROM accounts ORDER BY account_id"), "the target caught up with every write");
            return new Run(entries, drainMillis);
        }
    }

    /** The store as it was before intents were coalesced: every intent is a new entry. */
    private static RetryStore notCoalescing(RetryStore store) {
        return (RetryStore) Proxy.newProxyInstance(RetryStore.class.getClassLoader(), new Class<?>[] {OwnRetryStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("enqueueCoalescing")) {
                        return store.enqueue((NewRetryEntry) args[0], (Instant) args[1]);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
