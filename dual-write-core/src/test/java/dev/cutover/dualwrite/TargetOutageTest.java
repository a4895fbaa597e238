package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.Stage;
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
import org.junit.jupiter.api.Test;

/**
 * The target's network fails during a load of writes: the application sees no error, and the queue
 * repairs the target. A cut fails the target's connections at once; a stall holds their bytes back
 * silently, which only a network timeout turns into a failure.
 */
class TargetOutageTest {
    private static final int THREADS = 4;
    private static final int ACCOUNTS = 50;

    @Test
    void cutTarget_duringALoadOf10000Writes_theApplicationSeesNoErrorAndTheTargetCatchesUp() throws Exception {
        runLoadThrough(2_500, TcpForwarder::cut);
    }

    @Test
    void stalledTarget_duringWrites_doesNotHangTheWriters_andTheTargetCatchesUp() throws Exception {
        // Without a network timeout on the copy's connections the writers would wait for the stall to
        // end, and the load below, which heals the stall only after more writes, would never finish.
        runLoadThrough(250, TcpForwarder::stall);
    }

    private static void runLoadThrough(int writesPerThread, Consumer<TcpForwarder> outage) throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "outagesrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "outagetgt");
                TcpForwarder forwarder = TcpForwarder.in(target)) {
            JdbcLedger.createTables(source, target);
            try (LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(12),
                    target.dataSourceVia(forwarder, 12))) {
                fixture.moveTo(Stage.DUAL_WRITE);
                for (long id = 1; id <= ACCOUNTS; id++) {
                    fixture.ledger.open(id, "owner" + id);
                }
                AtomicInteger written = new AtomicInteger();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                CountDownLatch done = new CountDownLatch(THREADS);
                for (int t = 0; t < THREADS; t++) {
                    Ledger instance = fixture.newInstance();
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
