package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The target's network fails during a load of writes: the application sees no error, and the queue
 * repairs the target; the cut runs over both wrapping styles. A cut fails the target's connections at once; a stall holds their bytes back
 * silently, which only a network timeout turns into a failure.
 */
class TargetOutageTest {
    private static final int THREADS = 4;
    private static final int ACCOUNTS = 50;

    @ParameterizedTest
    @EnumSource(Style.class)
    void cutTarget_duringALoadOf10000Writes_theApplicationSeesNoErrorAndTheTargetCatchesUp(Style style) throws Exception {
        runLoadThrough(style, 2_500, TcpForwarder::cut);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void stalledTarget_duringWrites_doesNotHangTheWriters_andTheTargetCatchesUp(Style style) throws Exception {
        // Without a network timeout on the copy's connections the writers would wait for the stall to
        // end, and the load below, which heals the stall only after more writes, would never finish.
        runLoadThrough(style, 250, TcpForwarder::stall);
    }

    private static void runLoadThrough(Style style, int writesPerThread, Consumer<TcpForwarder> outage)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "outagesrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "outagetgt");
                TcpForwarder forwarder = TcpForwarder.in(target)) {
            LedgerFixture.createTables(source, target, style);
            try (LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(12),
                    target.dataSourceVia(forwarder, 12), false, style)) {
                fixture.moveTo(Stage.DUAL_WRITE);
                AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
                Ledger opener = new RecordedLedger(fixture.ledger, oracle);
                for (long id = 1; id <= ACCOUNTS; id++) {
                    opener.open(id, "owner" + id);
                }
                AtomicInteger written = new AtomicInteger();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                CountDownLatch done = new CountDownLatch(THREADS);
                for (int t = 0; t < THREADS; t++) {
                    Ledger instance = new RecordedLedger(fixture.newInstance(), oracle);
                    Random random = new Random(t);
                    new Thread(() -> {
                        try {
                            for (int i = 0; i < writesPerThread; i++) {
                                long id = 1 + random.nextInt(ACCOUNTS);
                                if (random.nextInt(5) == 0) {
                                    instance.transfer(id, 1 + (id % ACCOUNTS), random.nextInt(10));
                                } else {
                                    instance.deposit(id, random.nextInt(100));
                                }
                                written.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        } finally {
                            done.countDown();
                        }
                    }, "outage-writer-" + t).start();
                }
                int total = THREADS * writesPerThread;
                awaitWritten(written, total / 5);
                outage.accept(forwarder);
                int writtenAtOutage = written.get();
                awaitWritten(written, writtenAtOutage + total / 2);
                forwarder.restore();

                assertTrue(done.await(120, TimeUnit.SECONDS), "the writers did not finish within 120 s");
                assertEquals(List.of(), List.copyOf(errors), "the application must see no error");
                assertEquals(total, written.get());
                assertTrue(fixture.stats.enqueued() > 0, "mirrors were queued during the outage");
                assertTrue(fixture.queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(List.of(), fixture.queue.parked(10));
                assertEquals(fixture.sourceRows(), fixture.targetRows());
                // Equal is not enough: both sides must hold every acknowledged deposit and transfer.
                oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
            }
        }
    }

    private static void awaitWritten(AtomicInteger written, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (written.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(written.get() >= count, "fewer than " + count + " writes within 120 s");
    }
}
