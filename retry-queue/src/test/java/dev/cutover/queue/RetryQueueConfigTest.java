package dev.cutover.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RetryQueueConfigTest {

    @Test
    void defaults_areDocumentedValues() {
        RetryQueueConfig config = RetryQueueConfig.ofDefaults();
        assertEquals(50, config.batchSize());
        assertEquals(2, config.workerCount());
        assertEquals(10, config.maxAttempts());
        assertEquals(Duration.ofSeconds(30), config.leaseDuration());
        assertEquals(Duration.ofMillis(500), config.pollInterval());
        assertEquals(Duration.ofSeconds(1), config.initialBackoff());
        assertEquals(Duration.ofMinutes(5), config.maxBackoff());
        assertEquals(0, config.replaysPerSecond());
        assertEquals(Duration.ofSeconds(1), config.pendingCacheTtl());
        assertTrue(config.circuitBreaker().isEmpty());
    }

    @Test
    void backoff_growsExponentially_withinJitter_andStopsAtMax() {
        RetryQueueConfig config = RetryQueueConfig.custom().initialBackoff(Duration.ofMillis(100))
                .backoffMultiplier(2.0).backoffJitter(0.5).maxBackoff(Duration.ofMillis(1_000)).build();
        for (int i = 0; i < 100; i++) {
            long first = config.backoff().apply(1);
            long third = config.backoff().apply(3);
            long tenth = config.backoff().apply(10);
            assertTrue(first >= 50 && first <= 150, "first backoff " + first);
            assertTrue(third >= 200 && third <= 600, "third backoff " + third);
            assertTrue(tenth <= 1_000, "tenth backoff " + tenth);
        }
    }

    static Stream<Arguments> invalid() {
        String range = ": set a value in that range";
        return Stream.of(
                invalid(b -> b.batchSize(0), "batchSize must be between 1 and 10,000, but was 0" + range),
                invalid(b -> b.batchSize(10_001), "batchSize must be between 1 and 10,000, but was 10,001" + range),
                invalid(b -> b.workerCount(0), "workerCount must be between 1 and 256, but was 0" + range),
                invalid(b -> b.maxAttempts(0), "maxAttempts must be between 1 and 1,000, but was 0" + range),
                invalid(b -> b.leaseDuration(Duration.ofMillis(99)),
                        "leaseDuration must be between 100 ms and 1 h, but was 99 ms" + range),
                invalid(b -> b.pollInterval(Duration.ZERO), "pollInterval must be between 1 ms and 1 min, but was 0 s" + range),
                invalid(b -> b.initialBackoff(Duration.ofMinutes(61)),
                        "initialBackoff must be between 1 ms and 1 h, but was 61 min" + range),
                invalid(b -> b.backoffMultiplier(0.5), "backoffMultiplier must be between 1 and 10, but was 0.5" + range),
                invalid(b -> b.backoffJitter(1.0), "backoffJitter must be at least 0 and below 1, but was 1" + range),
                invalid(b -> b.maxBackoff(Duration.ofHours(25)), "maxBackoff must be between 1 ms and 1 day, but was 25 h" + range),
                invalid(b -> b.replaysPerSecond(-1), "replaysPerSecond must be between 0 and 1,000,000, but was -1" + range),
                invalid(b -> b.pendingCacheTtl(Duration.ofMinutes(11)),
                        "pendingCacheTtl must be between 1 ms and 10 min, but was 11 min" + range),
                invalid(b -> b.pendingCacheSize(0), "pendingCacheSize must be between 1 and 100,000,000, but was 0" + range),
                invalid(b -> b.shutdownTimeout(Duration.ofSeconds(-1)),
                        "shutdownTimeout must be between 0 s and 10 min, but was -1 s" + range),
                invalid(b -> b.instanceId(" "), "instanceId must be 1 to 128 characters and not blank, but was ' ': give"
                        + " each instance draining one table its own id, such as its host name"));
    }

    private static Arguments invalid(UnaryOperator<RetryQueueConfig.Builder> change, String message) {
        return Arguments.of(change, message);
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void setters_rejectOutOfRangeValuesAtOnce_namingFieldAndAllowedRange(UnaryOperator<RetryQueueConfig.Builder> change,
            String message) {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> change.apply(RetryQueueConfig.custom()));
        assertEquals(message, e.getMessage());
    }

    @Test
    void build_rejectsAMaxBackoffBelowTheInitialBackoff_whicheverWasSetFirst() {
        assertEquals("maxBackoff (1 s) is shorter than initialBackoff (2 s): set maxBackoff to at least initialBackoff,"
                + " or lower initialBackoff", assertThrows(CutoverConfigurationException.class,
                        () -> RetryQueueConfig.custom().maxBackoff(Duration.ofSeconds(1)).initialBackoff(Duration.ofSeconds(2))
                                .build()).getMessage());
    }

    @Test
    void canonicalConstructor_checksAsTheSettersAndBuildDo() {
        RetryQueueConfig d = RetryQueueConfig.ofDefaults();
        assertEquals("batchSize must be between 1 and 10,000, but was 0: set a value in that range",
                assertThrows(CutoverConfigurationException.class, () -> new RetryQueueConfig(0, d.workerCount(),
                        d.maxAttempts(), d.leaseDuration(), d.pollInterval(), d.initialBackoff(), d.backoffMultiplier(),
                        d.backoffJitter(), d.maxBackoff(), d.replaysPerSecond(), d.pendingCacheTtl(), d.pendingCacheSize(),
                        d.shutdownTimeout(), d.instanceId(), d.clock(), d.circuitBreaker(), d.logValues())).getMessage());
        assertTrue(assertThrows(CutoverConfigurationException.class, () -> new RetryQueueConfig(d.batchSize(),
                d.workerCount(), d.maxAttempts(), d.leaseDuration(), d.pollInterval(), Duration.ofSeconds(2),
                d.backoffMultiplier(), d.backoffJitter(), Duration.ofSeconds(1), d.replaysPerSecond(), d.pendingCacheTtl(),
                d.pendingCacheSize(), d.shutdownTimeout(), d.instanceId(), d.clock(), d.circuitBreaker(), d.logValues()))
                .getMessage().startsWith("maxBackoff (1 s) is shorter than initialBackoff (2 s)"));
        assertEquals("null circuitBreaker", assertThrows(NullPointerException.class, () -> new RetryQueueConfig(
                d.batchSize(), d.workerCount(), d.maxAttempts(), d.leaseDuration(), d.pollInterval(), d.initialBackoff(),
                d.backoffMultiplier(), d.backoffJitter(), d.maxBackoff(), d.replaysPerSecond(), d.pendingCacheTtl(),
                d.pendingCacheSize(), d.shutdownTimeout(), d.instanceId(), d.clock(), null, d.logValues())).getMessage());
    }

    @Test
    void build_rejectsNullDurationsAndClock_namingTheField() {
        assertEquals("null leaseDuration", assertThrows(NullPointerException.class,
                () -> RetryQueueConfig.custom().leaseDuration(null)).getMessage());
        assertEquals("null clock", assertThrows(NullPointerException.class,
                () -> RetryQueueConfig.custom().clock(null)).getMessage());
    }

    @Test
    void newEntry_rejectsOverlongKey_namingFieldAndLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestEntries.upsert("x".repeat(256), 1));
        assertTrue(e.getMessage().startsWith("key must be 1 to 255 characters and not blank"), e.getMessage());
    }

    @Test
    void newEntry_checksTheMigrationNameByTheFlagsRule() {
        assertEquals("migration name must be 1 to 64 ASCII letters, digits, '_', '.' or '-', but was 'shop orders':"
                + " name the migration with those characters only, such as 'shop-orders'",
                assertThrows(CutoverConfigurationException.class, () -> NewRetryEntry.resync("shop orders", "e", "1"))
                        .getMessage());
    }

    @Test
    void from_keepsEveryValue() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("target");
        Clock clock = Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC);
        RetryQueueConfig base = RetryQueueConfig.custom().batchSize(7).workerCount(3).maxAttempts(9)
                .leaseDuration(Duration.ofSeconds(11)).pollInterval(Duration.ofMillis(13))
                .initialBackoff(Duration.ofMillis(17)).backoffMultiplier(1.5).backoffJitter(0.25)
                .maxBackoff(Duration.ofSeconds(19)).replaysPerSecond(23).pendingCacheTtl(Duration.ofMillis(29))
                .pendingCacheSize(31).shutdownTimeout(Duration.ofSeconds(37)).instanceId("instance-41").clock(clock)
                .circuitBreaker(breaker).logValues(true).build();
        RetryQueueConfig copy = RetryQueueConfig.from(base).build();
        assertEquals(base, copy);
        assertEquals(List.of(7, 3, 9, Duration.ofSeconds(11), Duration.ofMillis(13), Duration.ofMillis(17), 1.5, 0.25,
                        Duration.ofSeconds(19), 23, Duration.ofMillis(29), 31L, Duration.ofSeconds(37), "instance-41", clock,
                        Optional.of(breaker)),
                List.of(copy.batchSize(), copy.workerCount(), copy.maxAttempts(), copy.leaseDuration(),
                        copy.pollInterval(), copy.initialBackoff(), copy.backoffMultiplier(), copy.backoffJitter(),
                        copy.maxBackoff(), copy.replaysPerSecond(), copy.pendingCacheTtl(), copy.pendingCacheSize(),
                        copy.shutdownTimeout(), copy.instanceId(), copy.clock(), copy.circuitBreaker()));
    }
}
