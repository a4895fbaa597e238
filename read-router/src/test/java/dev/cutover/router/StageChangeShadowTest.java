package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Comparisons that outlive a stage change (issue #17, item 2). */
@Timeout(120)
class StageChangeShadowTest {
    private static final String M = "accounts";

    private final MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build();

    @AfterEach
    void closeFlags() {
        flags.close();
    }

    private void targetPrimaryShadowingEverything() {
        flags.forceMoveTo(M, Stage.TARGET_PRIMARY, "test", "target primary");
        flags.setShadowReadPercent(M, 100, "test", "shadow every read");
    }

    @Test
    void aDifferenceWhoseRecheckWouldRunAfterTheSourceStoppedBeingWritten_isAbandoned_notAMismatch() throws Exception {
        targetPrimaryShadowingEverything();
        AtomicInteger sourceReads = new AtomicInteger();
        // The source read of the first comparison lags behind the target, and the operator moves to
        // TARGET_ONLY before its recheck: from then on the source is not written, so nothing can be confirmed.
        ReadCall<String> staleSourceThenFlip = () -> {
            if (sourceReads.getAndIncrement() == 0) {
                flags.moveTo(M, Stage.TARGET_ONLY, "test", "done");
            }
            return "old";
        };
        List<MismatchEvent> heard = new ArrayList<>();
        try (ReadRouter router = ReadRouter.builder(flags, M).mismatchListener(heard::add).build()) {
            assertEquals("new", router.read("findAccount", "a", staleSourceThenFlip, () -> "new"));
            Await.until(() -> router.counts().shadowBacklog() == 0);
            ReadRouterCounts stats = router.counts();
            assertEquals(1, stats.abandoned(), stats.toString());
            assertEquals(0, stats.mismatched());
            assertEquals(0, stats.compared(), "an abandoned comparison is not a finished one");
            assertEquals(List.of(), heard);
            assertEquals(1, sourceReads.get(), "the sides were not read again in TARGET_ONLY");
        }
    }

    @Test
    void withoutRecheck_aDifferenceFoundAfterTheFlip_isAbandonedToo_whileTheSameDifferenceBeforeItIsAMismatch()
            throws Exception {
        targetPrimaryShadowingEverything();
        ReadRouterConfig noRecheck = ReadRouterConfig.custom().mismatchRecheckDelay(Duration.ZERO).build();
        try (ReadRouter router = ReadRouter.builder(flags, M).config(noRecheck).build()) {
            router.read("findAccount", "a", () -> "old", () -> "new");
            Await.until(() -> router.counts().shadowBacklog() == 0);
            assertEquals(1, router.counts().mismatched(), "both sides written: a real mismatch");

            router.read("findAccount", "a", () -> {
                flags.moveTo(M, Stage.TARGET_ONLY, "test", "done");
                return "old";
            }, () -> "new");
            Await.until(() -> router.counts().shadowBacklog() == 0);
            assertEquals(1, router.counts().mismatched());
            assertEquals(1, router.counts().abandoned());
        }
    }

    @Test
    void aComparisonStillWaitingWhenTheStageStopsDualWrites_isAbandonedBeforeItReadsAnything() throws Exception {
        targetPrimaryShadowingEverything();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger sourceReads = new AtomicInteger();
        ReadRouterConfig oneThread = ReadRouterConfig.custom().shadowThreads(1).build();
        try (ReadRouter router = ReadRouter.builder(flags, M).config(oneThread).build()) {
            router.read("findAccount", "a", () -> {
                started.countDown();
                release.await();
                return "same";
            }, () -> "same");
            started.await();
            router.read("findAccount", "b", () -> {
                sourceReads.incrementAndGet();
                return "old";
            }, () -> "new");
            flags.moveTo(M, Stage.TARGET_ONLY, "test", "done");
            release.countDown();
            Await.until(() -> router.counts().shadowBacklog() == 0);
            assertEquals(1, router.counts().matched(), "the running comparison agreed and counts");
            assertEquals(1, router.counts().abandoned());
            assertEquals(0, sourceReads.get());
        } finally {
            release.countDown();
        }
    }

    @Test
    void inTargetPrimary_aChangedTargetAnswerIsTheWriteInFlight() throws Exception {
        targetPrimaryShadowingEverything();
        // The target is primary: a write lands there first, and the source's mirror copy follows. The row
        // changes on the target between the two reads while the source (unchanged) still lags: in flight.
        AtomicInteger targetReads = new AtomicInteger();
        try (ReadRouter router = ReadRouter.builder(flags, M).build()) {
            router.read("findAccount", "a", () -> "v0", () -> "v" + (1 + targetReads.getAndIncrement()));
            Await.until(() -> router.counts().shadowBacklog() == 0);
            ReadRouterCounts stats = router.counts();
            assertEquals(1, stats.settled(), stats.toString());
            assertEquals(0, stats.mismatched());
            assertEquals(2, targetReads.get());
        }
    }

    /**
     * Two in-memory tables written as dual writes are: the stage's primary first, then, after a short
     * lag, the other side if the stage writes both. The writers learn of a stage change a little before
     * the router does, as an application instance whose flags refreshed first would: for that moment
     * rows written after the move to TARGET_ONLY differ at rest while the router still shadows them.
     */
    private static final class Tables {
        final Map<Integer, Integer> source = new ConcurrentHashMap<>();
        final Map<Integer, Integer> target = new ConcurrentHashMap<>();
        volatile Stage stage = Stage.SOURCE_ONLY;

        Tables(int rows) {
            for (int i = 0; i < rows; i++) {
                source.put(i, 0);
                target.put(i, 0);
            }
        }

        void write(int key, int value) throws InterruptedException {
            Stage stage = this.stage;
            Map<Integer, Integer> primary = stage.primary() == Side.SOURCE ? source : target;
            Map<Integer, Integer> mirror = primary == source ? target : source;
            primary.put(key, value);
            if (stage.dualWrites()) {
                Thread.sleep(0, ThreadLocalRandom.current().nextInt(500_000));
                mirror.put(key, value);
            }
        }
    }

    @Test
    void flippingThroughEveryStage_whileShadowingEveryRead_andWriting_confirmsNoMismatchOnEqualData() throws Exception {
        int rows = 100;
        Tables tables = new Tables(rows);
        flags.setShadowReadPercent(M, 100, "test", "shadow every read");
        // The recheck delay is longer than the writers' head start, as a recheck delay should be longer
        // than the flag refresh interval between instances.
        ReadRouterConfig config = ReadRouterConfig.custom().mismatchRecheckDelay(Duration.ofMillis(100))
                .shadowThreads(8).build();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean writing = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
            for (int r = 0; r < 3; r++) {
                threads.add(new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            int key = ThreadLocalRandom.current().nextInt(rows);
                            router.read("findAccount", "account-" + key, () -> tables.source.get(key),
                                    () -> tables.target.get(key));
                            Thread.sleep(1);
                        }
                    } catch (Exception e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }));
            }
            threads.add(new Thread(() -> {
                int value = 0;
                try {
                    while (!stop.get()) {
                        if (writing.get()) {
                            tables.write(ThreadLocalRandom.current().nextInt(rows), ++value);
                        }
                        // Paced, so that most rows rest for longer than the recheck delay.
                        Thread.sleep(1);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            threads.forEach(Thread::start);

            // Writes start with dual writes, as after a backfill: before that only the source is written.
            for (Stage stage : List.of(Stage.DUAL_WRITE, Stage.SHIFT_READS, Stage.TARGET_PRIMARY, Stage.TARGET_ONLY)) {
                long before = router.counts().compared() + router.counts().abandoned();
                tables.stage = stage;
                Thread.sleep(40);
                flags.moveTo(M, stage, "test", "walk every stage");
                if (stage == Stage.DUAL_WRITE) {
                    writing.set(true);
                }
                if (stage == Stage.SHIFT_READS) {
                    flags.setTargetReadPercent(M, 50, "test", "half the reads on the target");
                }
                if (stage.dualWrites()) {
                    Await.until("comparisons in " + stage, () -> router.counts().compared() + router.counts().abandoned()
                            >= before + 500);
                }
            }
            Await.until("every comparison ended", () -> router.counts().shadowBacklog() == 0);
            stop.set(true);
            for (Thread thread : threads) {
                thread.join();
            }
            ReadRouterCounts stats = router.counts();
            assertEquals(List.of(), failures);
            assertEquals(0, stats.mismatched(), stats + " " + router.recentMismatches());
            assertEquals(0, stats.shadowErrors(), stats.toString());
            assertEquals(0, stats.shadowDropped(), stats.toString());
            assertTrue(stats.settled() > 0, "writes were in flight while reads were compared: " + stats);
            assertTrue(stats.abandoned() > 0, "comparisons outlived the move to TARGET_ONLY: " + stats);
        } finally {
            stop.set(true);
        }
    }
}
