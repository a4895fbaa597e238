package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RoutingTest {
    private static final String M = "orders";
    private static final int KEYS = 100_000;

    private final MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build();

    @AfterEach
    void closeFlags() {
        flags.close();
    }

    private ReadRouter router(ReadRouterConfig config) {
        return ReadRouter.builder(flags, M).config(config).build();
    }

    private static Side readSide(ReadRouter router, String key) throws Exception {
        return router.read("findOrder", key, () -> Side.SOURCE, () -> Side.TARGET);
    }

    @Test
    void keyedReads_atThirtyPercent_landOnTheTargetWithinHalfAPoint_stickily_andFiftyPercentMovesNoKeyBack() throws Exception {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "routing test");
        flags.setTargetReadPercent(M, 30, "test", "30 percent");
        try (ReadRouter router = router(ReadRouterConfig.ofDefaults())) {
            Side[] at30 = new Side[KEYS];
            int onTarget = 0;
            for (int i = 0; i < KEYS; i++) {
                at30[i] = readSide(router, "customer-" + i);
                onTarget += at30[i] == Side.TARGET ? 1 : 0;
            }
            assertEquals(30.0, 100.0 * onTarget / KEYS, 0.5, "target share at 30%");
            assertEquals(onTarget, router.counts().targetReads());
            assertEquals(KEYS - onTarget, router.counts().sourceReads());

            for (int i = 0; i < KEYS; i++) {
                assertEquals(at30[i], readSide(router, "customer-" + i), "key customer-" + i + " changed side");
            }

            flags.setTargetReadPercent(M, 50, "test", "50 percent");
            int onTargetAt50 = 0;
            for (int i = 0; i < KEYS; i++) {
                Side side = readSide(router, "customer-" + i);
                if (at30[i] == Side.TARGET) {
                    assertEquals(Side.TARGET, side, "key customer-" + i + " moved back to the source");
                }
                onTargetAt50 += side == Side.TARGET ? 1 : 0;
            }
            assertEquals(50.0, 100.0 * onTargetAt50 / KEYS, 0.5, "target share at 50%");
            assertEquals(0, router.counts().fallbacks());
        }
    }

    /**
     * A key given as a value routes as its text does, is rendered only in the stages that write both
     * sides, and is still required when the configuration requires one.
     */
    @Test
    void aKeyGivenAsAValue_routesAsItsText_andIsNotRenderedInSingleSideStages() throws Exception {
        AtomicInteger rendered = new AtomicInteger();
        Object countingKey = new Object() {
            @Override
            public String toString() {
                rendered.incrementAndGet();
                return "customer-7";
            }
        };
        try (ReadRouter router = router(ReadRouterConfig.custom().requireRoutingKey(true).build())) {
            for (Stage stage : new Stage[] {Stage.SOURCE_ONLY, Stage.TARGET_ONLY}) {
                flags.forceMoveTo(M, stage, "test", "single side");
                assertEquals(stage.primary(), router.read("findOrder", countingKey, () -> Side.SOURCE, () -> Side.TARGET));
                assertThrows(MissingRoutingKeyException.class,
                        () -> router.read("findOrder", (Object) null, () -> Side.SOURCE, () -> Side.TARGET));
            }
            assertEquals(0, rendered.get(), "key text made in a single-side stage");

            flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "routing test");
            flags.setTargetReadPercent(M, 30, "test", "30 percent");
            for (long id = 0; id < 1_000; id++) {
                assertEquals(readSide(router, String.valueOf(id)),
                        router.read("findOrder", (Object) id, () -> Side.SOURCE, () -> Side.TARGET), "id " + id);
            }
            assertEquals(readSide(router, "customer-7"), router.read("findOrder", countingKey, () -> Side.SOURCE, () -> Side.TARGET));
            assertEquals(1, rendered.get());
        }
    }

    @Test
    void keylessReads_areSplitAtRandom() throws Exception {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "routing test");
        flags.setTargetReadPercent(M, 50, "test", "half");
        try (ReadRouter router = router(ReadRouterConfig.ofDefaults())) {
            int onTarget = 0;
            for (int i = 0; i < 10_000; i++) {
                onTarget += readSide(router, null) == Side.TARGET ? 1 : 0;
            }
            // 10 standard deviations either side: a fair split never fails, a fixed side always does.
            assertTrue(onTarget > 4_500 && onTarget < 5_500, "keyless reads on target: " + onTarget);
        }
    }

    @Test
    void missingKey_failsNamingTheOperationAndTheFix_whenKeysAreRequired() {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "routing test");
        try (ReadRouter router = router(ReadRouterConfig.custom().requireRoutingKey(true).build())) {
            MissingRoutingKeyException e = assertThrows(MissingRoutingKeyException.class,
                    () -> router.read("SELECT * FROM orders WHERE id = ?", null, () -> 1, () -> 2));
            assertTrue(e.getMessage().contains("SELECT * FROM orders WHERE id = ?"), e.getMessage());
            assertTrue(e.getMessage().contains("requireRoutingKey"), e.getMessage());
            assertThrows(MissingRoutingKeyException.class, () -> router.route(null));
        }
    }

    @Test
    void stagesAndCanaries_decideTheSide() throws Exception {
        try (ReadRouter router = router(ReadRouterConfig.ofDefaults())) {
            assertEquals(Side.SOURCE, readSide(router, "a"), "a migration never flipped reads the source");
            flags.update(M, "test", "canaries", b -> b.stage(Stage.DUAL_WRITE).targetKeys(List.of("canary")));
            assertEquals(Side.TARGET, readSide(router, "canary"));
            assertEquals(Side.SOURCE, readSide(router, "other"));
            flags.update(M, "test", "canaries", b -> b.stage(Stage.SHIFT_READS).targetReadPercent(100)
                    .targetKeys(List.of()).sourceKeys(List.of("vip")));
            assertEquals(Side.SOURCE, readSide(router, "vip"));
            assertEquals(Side.TARGET, readSide(router, "other"));
            assertEquals(Side.TARGET, router.route("other"));
            flags.moveTo(M, Stage.TARGET_PRIMARY, "test", "target primary");
            assertEquals(Side.TARGET, readSide(router, "other"));
            assertEquals(Side.SOURCE, readSide(router, "vip"));
        }
    }

    @Test
    void readPrimary_readsTheStagesPrimaryOnly_withoutShadow() throws Exception {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "routing test");
        flags.update(M, "test", "all reads on target, all shadowed", b -> b.targetReadPercent(100).shadowReadPercent(100));
        AtomicInteger targetCalls = new AtomicInteger();
        List<Runnable> shadowWork = new ArrayList<>();
        try (ReadRouter router = ReadRouter.builder(flags, M).shadowExecutor(shadowWork::add).build()) {
            assertEquals("source", router.readPrimary("inTx", () -> "source", () -> "target" + targetCalls.incrementAndGet()));
            flags.moveTo(M, Stage.TARGET_PRIMARY, "test", "target primary");
            AtomicInteger sourceCalls = new AtomicInteger();
            assertEquals("target1", router.readPrimary("inTx", () -> "source" + sourceCalls.incrementAndGet(),
                    () -> "target" + targetCalls.incrementAndGet()));
            assertEquals(List.of(), shadowWork, "readPrimary must not shadow");
            assertEquals(0, sourceCalls.get());
            assertEquals(1, targetCalls.get());
            router.read("outsideTx", "k", () -> "source", () -> "target");
            assertEquals(1, shadowWork.size(), "the same flags shadow a plain read");
        }
    }

    @Test
    void primarySidesException_reachesTheCallerUnchanged() {
        SQLException sourceFailure = new SQLException("source down");
        SQLException targetFailure = new SQLException("target down");
        AtomicInteger sourceCalls = new AtomicInteger();
        try (ReadRouter router = router(ReadRouterConfig.ofDefaults())) {
            assertSame(sourceFailure, assertThrows(SQLException.class,
                    () -> router.read("find", "k", () -> {
                        throw sourceFailure;
                    }, () -> "target")));
            flags.forceMoveTo(M, Stage.TARGET_PRIMARY, "test", "target primary");
            assertSame(targetFailure, assertThrows(SQLException.class,
                    () -> router.read("find", "k", () -> "source" + sourceCalls.incrementAndGet(), () -> {
                        throw targetFailure;
                    })));
            assertEquals(0, sourceCalls.get(), "no fallback to the source while the target is primary");
            assertEquals(0, router.counts().fallbacks());
        }
    }

    @Test
    void concurrentReaders_getConsistentSidesAndCounts() throws Exception {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "routing test");
        flags.setTargetReadPercent(M, 30, "test", "30 percent");
        int threads = 8;
        int readsPerThread = 3_000;
        Map<String, Set<Side>> sidesByKey = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (ReadRouter router = router(ReadRouterConfig.ofDefaults())) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < readsPerThread; i++) {
                        String key = "k" + (i % 500);
                        sidesByKey.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(readSide(router, key));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertEquals(threads * readsPerThread, router.counts().sourceReads() + router.counts().targetReads());
            sidesByKey.forEach((key, sides) -> assertEquals(1, sides.size(), key + " read from " + sides));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedRouter_refusesReads() {
        ReadRouter router = router(ReadRouterConfig.ofDefaults());
        router.close();
        router.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> readSide(router, "k"));
        assertTrue(e.getMessage().contains(M), e.getMessage());
    }
}
