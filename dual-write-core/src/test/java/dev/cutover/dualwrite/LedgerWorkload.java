package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverException;
import dev.cutover.flags.Stage;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A random concurrent ledger workload against a {@link LedgerFixture}: threads doing opens,
 * deposits, renames, closes, transfers and reads on a few overlapping accounts, each thread through
 * its own application instance (proxy and KeyResync), target faults, and flips among the dual-write stages; then faults stop, the queue drains and every row is compared.
 */
final class LedgerWorkload {
    private static final Stage[] DUAL_STAGES = {Stage.DUAL_WRITE, Stage.SHIFT_READS, Stage.TARGET_PRIMARY};

    final AtomicInteger applicationErrors = new AtomicInteger();
    final AtomicInteger flips = new AtomicInteger();

    /**
     * Runs one workload and checks that the target equals the source after the drain.
     *
     * @param fixture a fixture with empty tables and an empty queue
     * @param seed drives every random choice but the thread interleaving
     * @param threads writer threads
     * @param opsPerThread operations per thread
     * @param keys distinct accounts
     * @param faultProbability chance of a fault at each target statement, commit and connection
     */
    void runAndCompare(LedgerFixture fixture, long seed, int threads, int opsPerThread, int keys,
            double faultProbability) throws Exception {
        Random random = new Random(seed);
        fixture.moveTo(DUAL_STAGES[random.nextInt(DUAL_STAGES.length)]);
        fixture.faults.enable(random.nextLong(), faultProbability);
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(threads);
        AtomicBoolean running = new AtomicBoolean(true);
        for (int t = 0; t < threads; t++) {
            long threadSeed = random.nextLong();
            Ledger instance = fixture.newInstance();
            Thread worker = new Thread(() -> {
                try {
                    work(instance, new Random(threadSeed), opsPerThread, keys);
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    done.countDown();
                }
            }, "ledger-writer-" + t);
            worker.start();
        }
        long flipSeed = random.nextLong();
        Thread flipper = new Thread(() -> {
            Random r = new Random(flipSeed);
            Stage current = null;
            while (running.get()) {
                Stage next = DUAL_STAGES[r.nextInt(DUAL_STAGES.length)];
                fixture.moveTo(next);
                flips.incrementAndGet();
                // After a primary move writes pause for the handover: give them room before the next one.
                boolean moved = current != null && current.primary() != next.primary();
                current = next;
                sleep(r.nextInt(4) + (moved ? 2 * LedgerFixture.HANDOVER_PAUSE.toMillis() : 0));
            }
        }, "ledger-flipper");
        flipper.start();
        boolean finished = done.await(120, TimeUnit.SECONDS);
        running.set(false);
        flipper.join();
        assertTrue(finished, "the writers did not finish within 120 s");
        assertTrue(unexpected.isEmpty(), () -> "unexpected failures: " + List.copyOf(unexpected));

        fixture.faults.disable();
        assertTrue(fixture.queue.drain(Duration.ofSeconds(60)), "the retry-queue did not drain within 60 s");
        assertEquals(List.of(), fixture.queue.parked(10), "no entry may be parked");
        assertEquals(fixture.sourceRows(), fixture.targetRows(), "target must equal source, seed " + seed);
    }

    private void work(Ledger ledger, Random r, int ops, int keys) {
        for (int i = 0; i < ops; i++) {
            long key = 1 + r.nextInt(keys);
            int op = r.nextInt(100);
            try {
                if (op < 20) {
                    ledger.open(key, "owner" + r.nextInt(10));
                } else if (op < 50) {
                    ledger.deposit(key, r.nextInt(200) - 50);
                } else if (op < 60) {
                    ledger.rename(key, "owner" + r.nextInt(10));
                } else if (op < 72) {
                    ledger.close(key);
                } else if (op < 90) {
                    long other = 1 + r.nextInt(keys);
                    if (other != key) {
                        ledger.transfer(key, other, r.nextInt(100));
                    }
                } else {
                    ledger.balance(key);
                }
            } catch (SQLException | CutoverException e) {
                // A primary failure (injected, a duplicate open, a lock timeout), or a write that came too late
                // for its copy window around a primary move, fails the call; that is allowed.
                applicationErrors.incrementAndGet();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
