package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class VerifierConfigTest {
    private static final String RANGE = ": set a value in that range";

    static Stream<Arguments> outOfRange() {
        return Stream.of(
                refused(b -> b.chunkSize(100_001), "chunkSize must be between 1 and 100,000, but was 100,001"),
                refused(b -> b.rowsPerSecond(-1), "rowsPerSecond must be between 0 and 1,000,000,000, but was -1"),
                refused(b -> b.pauseBetweenChunks(Duration.ofSeconds(61)),
                        "pauseBetweenChunks must be between 0 s and 1 min, but was 61 s"),
                refused(b -> b.recheckDelay(Duration.ofMillis(-1)), "recheckDelay must be between 0 s and 10 min, but was -1 ms"),
                refused(b -> b.recheckAttempts(11), "recheckAttempts must be between 1 and 10, but was 11"),
                refused(b -> b.progressLogInterval(Duration.ofMillis(500)),
                        "progressLogInterval must be between 1 s and 1 h, but was 500 ms"),
                refused(b -> b.statementTimeout(Duration.ofHours(2)), "statementTimeout must be between 1 s and 1 h, but was 2 h"),
                refused(b -> b.maxListedDifferences(-1), "maxListedDifferences must be between 0 and 1,000,000, but was -1"));
    }

    private static Arguments refused(Consumer<VerifierConfig.Builder> setter, String message) {
        return Arguments.of(setter, message + RANGE);
    }

    @ParameterizedTest
    @MethodSource("outOfRange")
    void everySetter_refusesAValueOutOfRangeAtOnce_inTheSharedWording(Consumer<VerifierConfig.Builder> setter,
            String message) {
        VerifierConfig.Builder builder = VerifierConfig.custom();
        assertEquals(message, assertThrows(CutoverConfigurationException.class, () -> setter.accept(builder)).getMessage());
    }

    @Test
    void from_keepsEveryValue() {
        VerifierConfig base = VerifierConfig.custom().chunkSize(3).rowsPerSecond(5).pauseBetweenChunks(Duration.ofMillis(7))
                .recheckDelay(Duration.ofMillis(11)).recheckAttempts(4).timestampPrecision(ChronoUnit.MILLIS)
                .progressLogInterval(Duration.ofSeconds(13)).statementTimeout(Duration.ofSeconds(17))
                .maxListedDifferences(19).revealValues(true).build();
        assertEquals(base, VerifierConfig.from(base).build());
    }

    @Test
    void canonicalConstructor_checksAsTheSettersDo() {
        VerifierConfig d = VerifierConfig.ofDefaults();
        assertEquals("recheckAttempts must be between 1 and 10, but was 11" + RANGE,
                assertThrows(CutoverConfigurationException.class, () -> new VerifierConfig(d.chunkSize(), d.rowsPerSecond(),
                        d.pauseBetweenChunks(), d.recheckDelay(), 11, d.timestampPrecision(), d.progressLogInterval(),
                        d.statementTimeout(), d.maxListedDifferences(), d.revealValues())).getMessage());
        assertEquals("timestampPrecision must be SECONDS, MILLIS, MICROS or NANOS, but was Days: pick the finest unit both"
                + " sides store", assertThrows(CutoverConfigurationException.class, () -> new VerifierConfig(d.chunkSize(),
                        d.rowsPerSecond(), d.pauseBetweenChunks(), d.recheckDelay(), d.recheckAttempts(), ChronoUnit.DAYS,
                        d.progressLogInterval(), d.statementTimeout(), d.maxListedDifferences(), d.revealValues()))
                        .getMessage());
        assertEquals("null statementTimeout", assertThrows(NullPointerException.class, () -> new VerifierConfig(
                d.chunkSize(), d.rowsPerSecond(), d.pauseBetweenChunks(), d.recheckDelay(), d.recheckAttempts(),
                d.timestampPrecision(), d.progressLogInterval(), null, d.maxListedDifferences(), d.revealValues()))
                .getMessage());
    }
}
