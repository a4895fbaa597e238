package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A crash-safe write slower than its intent's delay: the intent is replayed before the write
 * commits, copying the row as it was, and then the write's own copy fails. The intent was taken to
 * cover every failed copy, so nothing was queued and the target kept the row without the write, an
 * acknowledged write lost. The oracle property found it on a machine at load 20, where writes took
 * longer than its 100 ms intent delay; here the interleaving is forced.
 */
class SlowCrashSafeWriteTest {
    @Test
    void aWriteWhoseIntentReplayedBeforeItCommitted_isQueuedWhenItsCopyFails() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "scsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "sctgt")) {
            LedgerFixture.createTables(source, target, Style.REPOSITORY);
            CountDownLatch writeStalled = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            LedgerFixture fixture = new LedgerFixture(source, target, Interpose.connections(source.dataSource(8),
                    connection -> Interpose.before(Connection.class, connection, method -> {
                        if (method.equals("prepareStatement") && Thread.currentThread().getName().equals("depositor")
                                && writeStalled.getCount() > 0) {
                            writeStalled.countDown();
                            release.await(10, TimeUnit.SECONDS);
                        }
                    })), target.dataSource(8), true, Style.REPOSITORY);
            try {
                fixture.moveTo(Stage.DUAL_WRITE);
                fixture.ledger.open(1, "ada");

                AtomicReference<Exception> failure = new AtomicReference<>();
                Thread depositing = new Thread(() -> {
                    try {
                        fixture.ledger.deposit(1, 10);
                    } catch (Exception e) {
                        failure.set(e);
                    }
                }, "depositor");
                depositing.start();
                assertTrue(writeStalled.await(10, TimeUnit.SECONDS), "the deposit never reached its statement");
                // The deposit's intent (100 ms) becomes due and is replayed, copying the row without the deposit.
                assertTrue(fixture.queue.drain(Duration.ofSeconds(10)), "the intent was replayed");
                fixture.faults.enable(1, 1.0);
                release.countDown();
                depositing.join(10_000);
                fixture.faults.disable();

                assertEquals(null, failure.get(), "the deposit is acknowledged: its copy failed, and was queued");
                assertTrue(fixture.queue.drain(Duration.ofSeconds(10)), "the queue drains");
                assertEquals(1, fixture.sourceRows().size(), "the account is there");
                assertEquals(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()),
                        "the target holds the deposit");
            } finally {
                fixture.close();
            }
        }
    }
}
