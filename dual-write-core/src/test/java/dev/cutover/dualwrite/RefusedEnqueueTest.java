package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A write whose key overflows the asynchronous backlog is queued inside its call; when the retry-queue's
 * store refuses the entry, the call must fail, since no copy was tried and nothing owes the target the
 * write. The benchmark's paired throughput run lost 8 acknowledged writes this way, on MariaDB deadlocks
 * in the retry table; here the store simply refuses the enqueue.
 */
class RefusedEnqueueTest {

    @Test
    void anOverflowingWrite_whoseEnqueueFails_isNotAcknowledgedAsSafe() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "ovfsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "ovftgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            CountDownLatch gate = new CountDownLatch(1);
            // Held only once the repository has written once: the first write's handover reads the target too.
            AtomicBoolean hold = new AtomicBoolean();
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = target.dataSource(4);
            DataSource heldTarget = Interpose.before(DataSource.class, targetPool, method -> {
                if (method.equals("getConnection") && hold.get()) {
                    gate.await(30, TimeUnit.SECONDS);
                }
            });
            LedgerFixture fixture = new LedgerFixture(source, target, sourcePool, targetPool, false, Style.REPOSITORY,
                    false, false);
            AtomicBoolean refuse = new AtomicBoolean();
            RetryStore failing = refusingEnqueues(refuse, "simulated: Deadlock found when trying to get lock");
            fixture.moveTo(Stage.DUAL_WRITE);
            RowCopier oneKey = RowCopier.builder(sourcePool, heldTarget).mapping(JdbcLedger.mapping())
                    .mirrorMode(MirrorMode.ASYNC).asyncBacklog(1).build();
            try (RetryQueue queue = RetryQueue.create(failing, CopyReplayHandler.of(LedgerFixture.MIGRATION, oneKey),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).build())) {
                Ledger ledger = DualWrite.repository(Ledger.class)
                        .source(JdbcLedger.source(sourcePool)).target(JdbcLedger.target(heldTarget))
                        .migration(LedgerFixture.MIGRATION).flags(fixture.flags).router(fixture.router)
                        .retryQueue(queue).rowCopier(oneKey, "accounts")
                        .routingKey("transfer", args -> List.of(args[0], args[1]))
                        .counters(fixture.stats).build();
                ledger.open(100, "warm-up");
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "the warm-up write is copied");
                hold.set(true);
                // Key 1 fills the backlog of one while the copier waits for the target; 2 to 4 overflow.
                ledger.open(1, "owner1");
                refuse.set(true);
                int acknowledged = 2;
                for (long id = 2; id <= 4; id++) {
                    try {
                        ledger.open(id, "owner" + id);
                        acknowledged++;
                    } catch (SQLException | RuntimeException e) {
                        // Refusing the call is the safe outcome: its write is not acknowledged.
                    }
                }
                refuse.set(false);
                gate.countDown();
                queue.start();
                assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(30)), "the copies finish");
                assertTrue(queue.drain(Duration.ofSeconds(30)), "the queue drains");
                assertEquals(acknowledged, fixture.targetRows().size(), "every acknowledged key reached the target ("
                        + fixture.stats.enqueueFailures() + " enqueue failures, " + fixture.stats.asyncOverflows()
                        + " overflows): " + fixture.targetRows());
            } finally {
                gate.countDown();
                oneKey.close();
                fixture.close();
            }
        }
    }

    @Test
    void aSynchronousWrite_whoseCopyAndEnqueueBothFail_failsItsCall() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "unqsrc");
             TestDatabase target = TestDatabases.create(Engine.H2, "unqtgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = target.dataSource(4);
            AtomicBoolean cut = new AtomicBoolean();
            DataSource cutTarget = Interpose.before(DataSource.class, targetPool, method -> {
                if (method.equals("getConnection") && cut.get()) {
                    throw new SQLException("simulated: target unreachable", "08001");
                }
            });
            LedgerFixture fixture = new LedgerFixture(source, target, sourcePool, targetPool, false, Style.REPOSITORY,
                    false, false);
            AtomicBoolean refuse = new AtomicBoolean();
            RetryStore failing = refusingEnqueues(refuse, "simulated: the retry table is unreachable");
            fixture.moveTo(Stage.DUAL_WRITE);
            RowCopier resync = RowCopier.builder(sourcePool, cutTarget).mapping(JdbcLedger.mapping()).build();
            try (RetryQueue queue = RetryQueue.create(failing, CopyReplayHandler.of(LedgerFixture.MIGRATION, resync),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).build())) {
                Ledger ledger = DualWrite.repository(Ledger.class)
                        .source(JdbcLedger.source(sourcePool)).target(JdbcLedger.target(cutTarget))
                        .migration(LedgerFixture.MIGRATION).flags(fixture.flags).router(fixture.router)
                        .retryQueue(queue).rowCopier(resync, "accounts")
                        .routingKey("transfer", args -> List.of(args[0], args[1]))
                        .counters(fixture.stats).build();
                ledger.open(1, "owner1");
                cut.set(true);
                refuse.set(true);
                UnmirroredWriteException refused = org.junit.jupiter.api.Assertions.assertThrows(
                        UnmirroredWriteException.class, () -> ledger.open(2, "owner2"));
                assertTrue(refused.getMessage().contains("accounts/2"), refused.getMessage());
                assertEquals(1, fixture.stats.enqueueFailures());
            } finally {
                resync.close();
                fixture.close();
            }
        }
    }

    /** An in-memory retry store whose enqueues fail while {@code refuse} is set. */
    private static RetryStore refusingEnqueues(AtomicBoolean refuse, String failure) {
        return Interpose.before(OwnRetryStore.class, (OwnRetryStore) RetryStore.inMemory(), method -> {
            if (method.startsWith("enqueue") && refuse.get()) {
                throw new IllegalStateException(failure);
            }
        });
    }
}
