package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.LogCapture;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Shadowing every read with a comparison pool far slower than the readers (issue #17, item 1). */
@Timeout(120)
class ShadowBackPressureTest {
    private static final String M = "orders";
    private static final int READERS = 4;
    private static final int READS_PER_READER = 1_500;
    private static final int SHADOW_THREADS = 2;
    private static final int QUEUE = 20;

    @Test
    void everyShadowReadTakenOnIsCompared_theBacklogStaysBounded_andBackPressureIsReported() throws Exception {
        ReadRouterConfig config = ReadRouterConfig.custom().shadowThreads(SHADOW_THREADS).shadowQueueCapacity(QUEUE)
                .mismatchLogInterval(java.time.Duration.ofMillis(1)).build();
        AtomicLong highestBacklog = new AtomicLong();
        AtomicBoolean pressureSeen = new AtomicBoolean();
        Set<String> shadowThreadNames = ConcurrentHashMap.newKeySet();
        Set<String> readerThreadNames = ConcurrentHashMap.newKeySet();
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build();
             LogCapture log = new LogCapture()) {
            flags.moveTo(M, Stage.DUAL_WRITE, "test", "back-pressure test");
            flags.setShadowReadPercent(M, 100, "test", "shadow every read");
            ExecutorService readers = Executors.newFixedThreadPool(READERS);
            try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
                // The target read is the slow part of each comparison: the pool cannot keep up with the readers.
                ReadCall<String> slowTarget = () -> {
                    shadowThreadNames.add(Thread.currentThread().getName());
                    Thread.sleep(1);
                    return "row";
                };
                List<Future<?>> done = new ArrayList<>();
                for (int r = 0; r < READERS; r++) {
                    done.add(readers.submit(() -> {
                        readerThreadNames.add(Thread.currentThread().getName());
                        for (int i = 0; i < READS_PER_READER; i++) {
                            assertEquals("row", router.read("findOrder", "order-" + i, () -> "row", slowTarget));
                            ReadRouterCounts stats = router.counts();
                            highestBacklog.accumulateAndGet(stats.shadowBacklog(), Math::max);
                            if (stats.shadowBackPressure()) {
                                pressureSeen.set(true);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                ReadRouterCounts during = router.counts();
                assertTrue(during.shadowThrottled() > 0, "the pool fell behind, so fewer reads were shadowed: " + during);
                assertTrue(pressureSeen.get(), "the back-pressure state was visible while it lasted");

                Await.until("the backlog drained", () -> router.counts().shadowBacklog() == 0
                        && !router.counts().shadowBackPressure());
                ReadRouterCounts after = router.counts();
                long reads = (long) READERS * READS_PER_READER;
                assertEquals(0, after.shadowDropped(), after.toString());
                assertEquals(0, after.shadowErrors(), after.toString());
                assertEquals(reads, after.compared() + after.shadowThrottled(),
                        "each read drawn for shadowing was either compared or, up front, not shadowed: " + after);
                assertEquals(after.compared(), after.matched());
                assertTrue(highestBacklog.get() <= SHADOW_THREADS + QUEUE, "backlog " + highestBacklog.get());
                assertTrue(shadowThreadNames.stream().allMatch(n -> n.startsWith("cutover-shadow-read-" + M)),
                        "comparisons ran on the shadow threads only: " + shadowThreadNames);
                assertTrue(shadowThreadNames.stream().noneMatch(readerThreadNames::contains));
                assertNotNull(log.find("WARN", M, "back-pressure on"), "entering the state is logged");
                assertNotNull(log.find("WARN", M, "back-pressure off"), "leaving the state is logged");
            } finally {
                readers.shutdownNow();
            }
        }
    }
}
