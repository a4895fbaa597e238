package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ReadRouterConfigTest {
    private static void rejected(Executable change, String message) {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class, change);
        assertEquals(message, e.getMessage());
    }

    @Test
    void defaults_areTheDocumentedOnes() {
        ReadRouterConfig c = ReadRouterConfig.ofDefaults();
        assertFalse(c.requireRoutingKey());
        assertEquals(Duration.ofSeconds(2), c.target().targetTimeout());
        assertEquals(32, c.target().targetConcurrency());
        CircuitBreakerConfig breaker = c.target().circuitBreaker();
        assertEquals(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, breaker.getSlidingWindowType());
        assertEquals(50, breaker.getFailureRateThreshold());
        assertEquals(100, breaker.getSlidingWindowSize());
        assertEquals(20, breaker.getMinimumNumberOfCalls());
        assertEquals(30_000L, breaker.getWaitIntervalFunctionInOpenState().apply(1));
        assertEquals(5, breaker.getPermittedNumberOfCallsInHalfOpenState());
        assertEquals(2, c.shadow().shadowThreads());
        assertEquals(1_000, c.shadow().shadowQueueCapacity());
        assertTrue(c.shadow().targetServedComparePercent().isEmpty());
        assertFalse(c.revealValues());
        assertEquals(100, c.shadow().recentMismatchCapacity());
        assertEquals(Duration.ofMillis(100), c.shadow().mismatchRecheckDelay());
        assertEquals(Duration.ofSeconds(1), c.shadow().mismatchLogInterval());
        assertEquals(Duration.ofSeconds(10), c.target().fallbackLogInterval());
        assertFalse(c.rollback().autoRollback());
        assertEquals(1_000, c.rollback().autoRollbackWindow());
        assertEquals(10, c.rollback().autoRollbackMaxErrorPercent());
        assertEquals(1, c.rollback().autoRollbackMaxMismatchPercent());
    }

    @Test
    void from_keepsEveryValue() {
        ReadRouterConfig c = ReadRouterConfig.custom().requireRoutingKey(true).targetTimeout(Duration.ofMillis(300))
                .targetConcurrency(3).circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(30).build()).shadowThreads(5)
                .shadowQueueCapacity(6).targetServedComparePercent(7).revealValues(true).recentMismatchCapacity(8)
                .mismatchRecheckDelay(Duration.ofMillis(15)).mismatchLogInterval(Duration.ofSeconds(9)).fallbackLogInterval(Duration.ofSeconds(11)).autoRollback(true)
                .autoRollbackWindow(12).autoRollbackMaxErrorPercent(13).autoRollbackMaxMismatchPercent(14).build();
        assertEquals(c, ReadRouterConfig.from(c).build());
        assertEquals(30, ReadRouterConfig.from(c).build().target().circuitBreaker().getSlidingWindowSize());
        assertEquals(7, c.shadow().targetServedComparePercent().getAsDouble());
        assertEquals(12, c.rollback().autoRollbackWindow());
        assertEquals(Duration.ofSeconds(11), c.target().fallbackLogInterval());
    }

    @Test
    void illegalValues_areRejectedNamingTheFieldAndTheAllowedValues() {
        ReadRouterConfig.Builder b = ReadRouterConfig.custom();
        String range = ": set a value in that range";
        rejected(() -> b.targetTimeout(Duration.ZERO), "targetTimeout must be at least 1 ns, but was 0 s" + range);
        rejected(() -> b.mismatchLogInterval(Duration.ZERO), "mismatchLogInterval must be at least 1 ns, but was 0 s" + range);
        rejected(() -> b.mismatchRecheckDelay(Duration.ofMillis(-1)),
                "mismatchRecheckDelay must be between 0 s and 1 min, but was -1 ms" + range);
        rejected(() -> b.mismatchRecheckDelay(Duration.ofMinutes(2)),
                "mismatchRecheckDelay must be between 0 s and 1 min, but was 2 min" + range);
        rejected(() -> b.fallbackLogInterval(Duration.ZERO), "fallbackLogInterval must be at least 1 ns, but was 0 s" + range);
        rejected(() -> b.targetConcurrency(0), "targetConcurrency must be between 1 and 10,000, but was 0" + range);
        rejected(() -> b.shadowThreads(0), "shadowThreads must be between 1 and 1,000, but was 0" + range);
        rejected(() -> b.shadowQueueCapacity(0), "shadowQueueCapacity must be between 1 and 1,000,000, but was 0" + range);
        rejected(() -> b.recentMismatchCapacity(0), "recentMismatchCapacity must be between 1 and 100,000, but was 0" + range);
        rejected(() -> b.autoRollbackWindow(0), "autoRollbackWindow must be between 1 and 1,000,000, but was 0" + range);
        rejected(() -> b.targetServedComparePercent(100.5),
                "targetServedComparePercent must be between 0 and 100, but was 100.5" + range);
        rejected(() -> b.autoRollbackMaxErrorPercent(-1), "autoRollbackMaxErrorPercent must be between 0 and 100, but was -1" + range);
        rejected(() -> b.autoRollbackMaxMismatchPercent(Double.NaN),
                "autoRollbackMaxMismatchPercent must be between 0 and 100, but was NaN" + range);
        assertThrows(NullPointerException.class, () -> b.targetTimeout(null));
        assertThrows(NullPointerException.class, () -> b.circuitBreaker(null));
    }

    @Test
    void canonicalConstructors_checkAsTheSettersDo() {
        ReadRouterConfig d = ReadRouterConfig.ofDefaults();
        ReadRouterConfig.TargetReads target = d.target();
        ReadRouterConfig.ShadowReads shadow = d.shadow();
        String range = ": set a value in that range";
        rejected(() -> new ReadRouterConfig.TargetReads(Duration.ZERO, 32, target.circuitBreaker(), target.fallbackLogInterval()),
                "targetTimeout must be at least 1 ns, but was 0 s" + range);
        rejected(() -> new ReadRouterConfig.TargetReads(target.targetTimeout(), 10_001, target.circuitBreaker(),
                target.fallbackLogInterval()), "targetConcurrency must be between 1 and 10,000, but was 10,001" + range);
        rejected(() -> new ReadRouterConfig.ShadowReads(1, 1, OptionalDouble.of(101), 1, Duration.ZERO, Duration.ofSeconds(1)),
                "targetServedComparePercent must be between 0 and 100, but was 101" + range);
        rejected(() -> new ReadRouterConfig.ShadowReads(1, 1, OptionalDouble.empty(), 1, Duration.ofMinutes(2),
                shadow.mismatchLogInterval()), "mismatchRecheckDelay must be between 0 s and 1 min, but was 2 min" + range);
        rejected(() -> new ReadRouterConfig.Rollback(true, 0, 10, 1),
                "autoRollbackWindow must be between 1 and 1,000,000, but was 0" + range);
        rejected(() -> new ReadRouterConfig.Rollback(true, 1, 10, 101),
                "autoRollbackMaxMismatchPercent must be between 0 and 100, but was 101" + range);
        assertThrows(NullPointerException.class,
                () -> new ReadRouterConfig.TargetReads(target.targetTimeout(), 32, null, target.fallbackLogInterval()));
        assertThrows(NullPointerException.class, () -> new ReadRouterConfig(false, target, null, false, d.rollback()));
        assertEquals(d, new ReadRouterConfig(false, target, shadow, false, d.rollback()));
    }
}
