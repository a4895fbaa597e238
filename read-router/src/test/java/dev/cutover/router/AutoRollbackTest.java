package dev.cutover.router;

import dev.cutover.testsupport.Await;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagChange;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AutoRollbackTest {
    private static final String M = "payments";
    private static final int WINDOW = 50;

    private final MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build();

    /**
     * A breaker that never opens here, so that only the rollback thresholds act; the planted
     * differences are permanent, so a short recheck confirms them as fast as a long one.
     */
    private final ReadRouterConfig.Builder config = ReadRouterConfig.custom()
            .circuitBreaker(CircuitBreakerConfig.from(ReadRouterConfig.DEFAULT_CIRCUIT_BREAKER).slidingWindowSize(1_000).minimumNumberOfCalls(1_000).build())
            .autoRollbackWindow(WINDOW).mismatchRecheckDelay(Duration.ofMillis(1));

    @BeforeEach
    void shiftReads() {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "rollback test");
        flags.setTargetReadPercent(M, 100, "test", "all reads on the target");
    }

    @AfterEach
    void closeFlags() {
        flags.close();
    }

    private List<FlagChange> automaticFlips() {
        return flags.audit(M, 100).stream().filter(c -> c.actor().equals("cutover-auto-rollback")).toList();
    }

    @Test
    void failingTarget_rollsTheTargetPercentageBackToZeroWithinOneWindow_andTheAuditSaysWhy() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(false);
        ReadCall<String> target = () -> {
            if (failing.get()) {
                throw new SQLException("target down");
            }
            return "from target";
        };
        try (ReadRouter router = ReadRouter.builder(flags, M)
                .config(config.autoRollback(true).autoRollbackMaxErrorPercent(10).build()).build()) {
            for (int i = 0; i < WINDOW; i++) {
                assertEquals("from target", router.read("pay", "k" + i, () -> "from source", target));
            }
            failing.set(true);
            int failingReads = 0;
            while (flags.state(M).targetReadPercent() > 0 && failingReads < WINDOW) {
                assertEquals("from source", router.read("pay", "k" + failingReads, () -> "from source", target));
                failingReads++;
            }
            assertEquals(0.0, flags.state(M).targetReadPercent(), "rolled back after " + failingReads + " failing reads");

            List<FlagChange> flips = automaticFlips();
            assertEquals(1, flips.size());
            String reason = flips.get(0).reason();
            assertTrue(reason.contains("target read error rate") && reason.contains("exceeds the limit of 10.0%"), reason);
            assertEquals(100.0, flips.get(0).before().targetReadPercent());

            for (int i = 0; i < 3 * WINDOW; i++) {
                assertEquals("from source", router.read("pay", "k" + i, () -> "from source", target));
            }
            assertEquals(1, automaticFlips().size(), "one breach, one rollback");
            assertEquals(1, router.counts().autoRollbacks());
        }
    }

    @Test
    void mismatchingTarget_rollsBackOnceTheMismatchRateExceedsItsLimit() throws Exception {
        flags.update(M, "test", "half the reads on the target, all shadowed", b -> b.targetReadPercent(50).shadowReadPercent(100));
        try (ReadRouter router = ReadRouter.builder(flags, M)
                .config(config.autoRollback(true).autoRollbackMaxMismatchPercent(1).shadowThreads(1).build()).build()) {
            for (int i = 0; i < WINDOW; i++) {
                router.read("pay", "k" + i, () -> "source value", () -> "target value");
            }
            Await.until(() -> flags.state(M).targetReadPercent() == 0);
            assertEquals(0.0, flags.state(M).targetReadPercent());
            List<FlagChange> flips = automaticFlips();
            assertEquals(1, flips.size());
            assertTrue(flips.get(0).reason().contains("mismatch rate 100.0% of the last " + WINDOW), flips.get(0).reason());
        }
    }

    @Test
    void rollback_isOffByDefault() throws Exception {
        try (ReadRouter router = ReadRouter.builder(flags, M).config(config.build()).build()) {
            for (int i = 0; i < 3 * WINDOW; i++) {
                router.read("pay", "k" + i, () -> "from source", () -> {
                    throw new SQLException("target down");
                });
            }
            assertEquals(100.0, flags.state(M).targetReadPercent());
            assertEquals(List.of(), automaticFlips());
            assertEquals(0, router.counts().autoRollbacks());
        }
    }

    @Test
    void breachOutsideShiftReads_flipsNothing() throws Exception {
        flags.moveTo(M, Stage.TARGET_PRIMARY, "test", "target primary");
        flags.setShadowReadPercent(M, 100, "test", "shadow every read");
        try (ReadRouter router = ReadRouter.builder(flags, M)
                .config(config.autoRollback(true).shadowThreads(1).build()).build()) {
            for (int i = 0; i < WINDOW; i++) {
                router.read("pay", "k" + i, () -> "source value", () -> "target value");
            }
            Await.until(() -> router.counts().compared() == WINDOW);
            assertEquals(WINDOW, router.counts().mismatched());
            assertEquals(Stage.TARGET_PRIMARY, flags.state(M).stage());
            assertEquals(List.of(), automaticFlips());
        }
    }
}
