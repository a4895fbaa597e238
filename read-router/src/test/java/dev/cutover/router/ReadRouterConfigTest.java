package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
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
        assertEquals(Duration.ofSeconds(2), c.targetTimeout());
        assertEquals(32, c.targetConcurrency());
        CircuitBreakerConfig breaker = c.circuitBreaker();
        assertEquals(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED, breaker.getSlidingWindowType());
        assertEquals(50, breaker.getFailureRateThreshold());
        assertEquals(100, breaker.getSlidingWindowSize());
        assertEquals(20, breaker.getMinimumNumberOfCalls());
        assertEquals(30_000L, breaker.getWaitIntervalFunctionInOpenState().apply(1));
        assertEquals(5, breaker.getPermittedNumberOfCallsInHalfOpenState());
        assertEquals(2, c.shadowThreads());
        assertEquals(1_000, c.shadowQueueCapacity());
        assertTrue(c.targetServedComparePercent().isEmpty());
        assertFalse(c.revealValues());
        assertEquals(100, c.recentMismatchCapacity());
        assertEquals(Duration.ofMillis(100), c.mismatchRecheckDelay());
        assertEquals(Duration.ofSeconds(1), c.mismatchLogInterval());
        assertEquals(Duration.ofSeconds(10), c.fallbackLogInterval());
        assertFalse(c.autoRollback());
        assertEquals(1_000, c.autoRollbackWindow());
        assertEquals(10, c.autoRollbackMaxErrorPercent());
        assertEquals(1, c.autoRollbackMaxMismatchPercent());
    }

    @Test
    void from_keepsEveryValue() {
        ReadRouterConfig c = ReadRouterConfig.custom().requireRoutingKey(true).targetTimeout(Duration.ofMillis(300))
                .targetConcurrency(3).circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(30).build()).shadowThreads(5)
                .shadowQueueCapacity(6).targetServedComparePercent(7).revealValues(true).recentMismatchCapacity(8)
                .mismatchRecheckDelay(Duration.ofMillis(15)).mismatchLogInterval(Duration.ofSeconds(9)).fallbackLogInterval(Duration.ofSeconds(11)).autoRollback(true)
                .autoRollbackWindow(12).autoRollbackMaxErrorPercent(13).autoRollbackMaxMismatchPercent(14).build();
        assertEquals(c.toString(), ReadRouterConfig.from(c).build().toString());
        assertEquals(30, ReadRouterConfig.from(c).build().circuitBreaker().getSlidingWindowSize());
        assertEquals(7, c.targetServedComparePercent().getAsDouble());
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
}
