package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.TcpForwarder;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
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
 * its own application instance (proxy and RowCopier, and with several {@link Plan#instances} its own
 * flags too), target faults, optional network cuts and stalls of the target, and a walk among the
 * dual-write stages; then faults stop, the queue drains, and both sides must hold exactly what the
 * acknowledged writes leave ({@link AcknowledgedWriteOracle}), not merely equal rows.
 */
final class LedgerWorkload {
    /** Which stages the flipper walks between, one legal move at a time (forward one step or back). */
    enum Walk {
        /** DUAL_WRITE and SHIFT_READS, both ways: the source stays primary. */
        SOURCE_PRIMARY(Stage.DUAL_WRITE, Stage.SHIFT_READS),
        /** TARGET_PRIMARY throughout: the target is primary and its faults fail the application's calls. */
        TARGET_PRIMARY(Stage.TARGET_PRIMARY),
        /**
         * DUAL_WRITE, SHIFT_READS and TARGET_PRIMARY: the primary moves both ways (SHIFT_READS to
         * TARGET_PRIMARY and back) and rollbacks skip back (TARGET_PRIMARY to DUAL_WRITE).
         */
        PRIMARY_MOVES(Stage.DUAL_WRITE, Stage.SHIFT_READS, Stage.TARGET_PRIMARY);

        private final Stage[] stages;

        Walk(Stage... stages) {
            this.stages = stages;
        }

        Stage first(Random random) {
            return stages[random.nextInt(stages.length)];
        }

        /** @return a legal move from the current stage: one step forward or any step back within the walk */
        Stage next(Stage current, Random random) {
            List<Stage> moves = new ArrayList<>();
            for (Stage stage : stages) {
                if (stage.ordinal() == current.ordinal() + 1 || stage.ordinal() < current.ordinal()) {
                    moves.add(stage);
                }
            }
            return moves.isEmpty() ? current : moves.get(random.nextInt(moves.size()));
        }
    }

    /**
     * One run.
     *
     * @param seed drives every random choice but the thread interleaving
     * @param threads writer threads
     * @param opsPerThread operations per thread
     * @param keys distinct accounts
     * @param faultProbability chance of a fault at each target statement, commit and connection
     * @param walk the stages flipped between
     * @param instances 1: every writer shares the fixture's flags, so they all flip at once; more:
     *     writers are spread over that many flag instances on one store, each refreshing on its own
     *     interval, so they see a flip at different moments
     * @param outages a forwarder in front of the target to cut and stall now and then, or null
     */
    record Plan(long seed, int threads, int opsPerThread, int keys, double faultProbability, Walk walk,
            int instances, TcpForwarder outages) {
        @Override
        public String toString() {
            return "seed " + seed + ", " + threads + " threads x " + opsPerThread + " ops on " + keys
                    + " accounts, faults " + faultProbability + ", walk " + walk + ", " + instances + " instance(s)"
                    + (outages == null ? "" : ", target cuts and stalls");
        }
    }

    /**
     * The least time between two moves of the primary in a walk (other flips go on meanwhile). It
     * must stay above the flags' handover pause, which holds the migration's writes after each move.
     */
    static final Duration PRIMARY_MOVE_GAP = Duration.ofMillis(100);

    final AtomicInteger applicationErrors = new AtomicInteger();
    final AtomicInteger flips = new AtomicInteger();
    final AtomicInteger primaryMoves = new AtomicInteger();
    final AtomicInteger outages = new AtomicInteger();
    final AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();

    /**
     * Runs one workload on one flag instance with the old walk among all three dual-write stages.
     *
     * @see #run(LedgerFixture, Plan)
     */
    void runAndCompare(LedgerFixture fixture, long seed, int threads, int opsPerThread, int keys,
            double faultProbability) throws Exception {
        run(fixture, new Plan(seed, threads, opsPerThread, keys, faultProbability, Walk.PRIMARY_MOVES, 1, null));
    }

    /**
     * Runs one workload and checks both sides against the oracle after the drain.
     *
     * @param fixture a fixture with empty tables and an empty queue
     * @param plan what to run
     */
    void run(LedgerFixture fixture, Plan plan) throws Exception {
        if (plan.outages() != null) {
            // A cut resets both ends of a connection at once: a commit the database had already
            // received may complete just after its client saw the reset. Stalls (at most 150 ms)
            // trip no client timeout, so they fail no write whose bytes arrive later.
            oracle.failedWritesMayLandWithin(Duration.ofMillis(100));
        }
        Random random = new Random(plan.seed());
        Stage first = plan.walk().first(random);
        fixture.moveTo(first);
        List<MigrationFlags> extraFlags = new ArrayList<>();
        List<ReadRouter> extraRouters = new ArrayList<>();
        try {
            List<Ledger> instances = new ArrayList<>();
            for (int t = 0; t < plan.threads(); t++) {
                int instance = t % plan.instances();
                if (instance == 0) {
                    instances.add(fixture.newInstance());
                    continue;
                }
                if (extraFlags.size() < instance) {
                    MigrationFlags flags = fixture.newFlags(Duration.ofMillis(10 + random.nextInt(30)));
                    extraFlags.add(flags);
                    extraRouters.add(ReadRouter.builder(flags, LedgerFixture.MIGRATION).build());
                }
                instances.add(fixture.newInstance(extraFlags.get(instance - 1), extraRouters.get(instance - 1)));
            }
            fixture.faults.enable(random.nextLong(), plan.faultProbability());
            runWriters(fixture, plan, random, first, instances);
        } finally {
            extraRouters.forEach(ReadRouter::close);
            extraFlags.forEach(MigrationFlags::close);
        }

        fixture.faults.disable();
        assertTrue(fixture.awaitAsyncCopies(Duration.ofSeconds(60)), "asynchronous copies still pending after 60 s, "
                + plan);
        assertTrue(fixture.queue.drain(Duration.ofSeconds(60)), "the retry-queue did not drain within 60 s, " + plan);
        assertEquals(List.of(), fixture.queue.parked(10), "no entry may be parked, " + plan);
        Throwable violation = null;
        try {
            oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
        } catch (AssertionError e) {
            violation = e;
        }
        if (violation != null) {
            throw new AssertionError(plan + ", " + primaryMoves.get() + " primary moves among " + flips.get()
                    + " flips: " + violation.getMessage());
        }
    }

    private void runWriters(LedgerFixture fixture, Plan plan, Random random, Stage first, List<Ledger> instances)
            throws Exception {
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(plan.threads());
        AtomicBoolean running = new AtomicBoolean(true);
        for (int t = 0; t < plan.threads(); t++) {
            long threadSeed = random.nextLong();
            Ledger instance = new RecordedLedger(instances.get(t), oracle);
            Thread worker = new Thread(() -> {
                try {
                    work(instance, new Random(threadSeed), plan.opsPerThread(), plan.keys());
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    done.countDown();
                }
            }, "ledger-writer-" + t);
            worker.start();
        }
        long flipSeed = random.nextLong();
        // With flags of their own, instances follow a flip only at their next refresh (10 to 40 ms):
        // flips a few refreshes apart let each instance act on every stage.
        int flipPause = plan.instances() > 1 ? 60 : 4;
        Thread flipper = new Thread(() -> {
            Random r = new Random(flipSeed);
            Stage stage = first;
            long lastPrimaryMove = System.nanoTime() - PRIMARY_MOVE_GAP.toNanos();
            while (running.get()) {
                Stage next = plan.walk().next(stage, r);
                if (next.primary() != stage.primary()
                        && System.nanoTime() - lastPrimaryMove < PRIMARY_MOVE_GAP.toNanos()) {
                    // Too soon after the last move of the primary: a move pauses the writes for the
                    // handover, and moves faster than that pause would keep them paused.
                    next = stage;
                }
                if (next.primary() != stage.primary()) {
                    lastPrimaryMove = System.nanoTime();
                }
                if (next != stage) {
                    fixture.flags.moveTo(LedgerFixture.MIGRATION, next, "test", "stage walk");
                    StatementTrace.note("flip to " + next);
                    flips.incrementAndGet();
                    if (next.primary() != stage.primary()) {
                        primaryMoves.incrementAndGet();
                    }
                    stage = next;
                }
                sleep(r.nextInt(flipPause));
            }
        }, "ledger-flipper");
        flipper.start();
        Thread outageMaker = null;
        if (plan.outages() != null) {
            long outageSeed = random.nextLong();
            outageMaker = new Thread(() -> makeOutages(plan.outages(), new Random(outageSeed), running),
                    "ledger-outages");
            outageMaker.start();
        }
        boolean finished = done.await(120, TimeUnit.SECONDS);
        running.set(false);
        flipper.join();
        if (outageMaker != null) {
            outageMaker.join();
        }
        assertTrue(finished, "the writers did not finish within 120 s, " + plan);
        assertTrue(unexpected.isEmpty(), () -> "unexpected failures: " + List.copyOf(unexpected) + ", " + plan);
    }

    /** Cuts or stalls the target's network for 20 to 150 ms every 30 to 100 ms, until told to stop. */
    private void makeOutages(TcpForwarder forwarder, Random random, AtomicBoolean running) {
        try {
            while (running.get()) {
                sleep(30 + random.nextInt(70));
                if (random.nextBoolean()) {
                    forwarder.cut();
                    StatementTrace.note("target cut");
                } else {
                    forwarder.stall();
                    StatementTrace.note("target stalled");
                }
                outages.incrementAndGet();
                sleep(20 + random.nextInt(130));
                forwarder.restore();
                StatementTrace.note("target restored");
            }
        } finally {
            forwarder.restore();
        }
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
            } catch (SQLException | LateWriteException | HandoverException e) {
                // A primary failure (injected, a duplicate open, a lock timeout), a write that came too late for
                // its copy window around a primary move, or one refused while a handover could not finish, fails
                // the call; that is allowed, and the oracle takes such a write as applied whole or not at all.
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
