package dev.cutover.common.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.CutoverException;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChecksTest {

    static Stream<Arguments> durations() {
        return Stream.of(
                Arguments.of(Duration.ZERO, "0 s"),
                Arguments.of(Duration.ofMillis(250), "250 ms"),
                Arguments.of(Duration.ofMillis(1_500), "1,500 ms"),
                Arguments.of(Duration.ofSeconds(10), "10 s"),
                Arguments.of(Duration.ofSeconds(90), "90 s"),
                Arguments.of(Duration.ofMinutes(2), "2 min"),
                Arguments.of(Duration.ofMinutes(61), "61 min"),
                Arguments.of(Duration.ofHours(1), "1 h"),
                Arguments.of(Duration.ofDays(1), "1 day"),
                Arguments.of(Duration.ofDays(3), "3 days"),
                Arguments.of(Duration.ofNanos(1_500), "1,500 ns"),
                Arguments.of(Duration.ofNanos(2_000), "2 µs"),
                Arguments.of(Duration.ofMillis(-1), "-1 ms"));
    }

    @ParameterizedTest
    @MethodSource("durations")
    void durations_areWrittenInTheLargestWholeUnit(Duration duration, String text) {
        assertEquals(text, Checks.format(duration));
    }

    static Stream<Arguments> refusals() {
        String range = ": set a value in that range";
        return Stream.of(
                Arguments.of((Executable) () -> Checks.between("batchSize", 0, 1, 10_000),
                        "batchSize must be between 1 and 10,000, but was 0" + range),
                Arguments.of((Executable) () -> Checks.between("size", 100_000_001L, 1, 100_000_000L),
                        "size must be between 1 and 100,000,000, but was 100,000,001" + range),
                Arguments.of((Executable) () -> Checks.between("percent", Double.NaN, 0, 100),
                        "percent must be between 0 and 100, but was NaN" + range),
                Arguments.of((Executable) () -> Checks.between("percent", 100.5, 0, 100),
                        "percent must be between 0 and 100, but was 100.5" + range),
                Arguments.of((Executable) () -> Checks.atLeastAndBelow("jitter", 1.0, 0, 1),
                        "jitter must be at least 0 and below 1, but was 1" + range),
                Arguments.of((Executable) () -> Checks.atLeast("epsilon", Double.POSITIVE_INFINITY, 0),
                        "epsilon must be a finite number of at least 0, but was Infinity" + range),
                Arguments.of((Executable) () -> Checks.between("lease", Duration.ofMillis(99), Duration.ofMillis(100),
                        Duration.ofHours(1)), "lease must be between 100 ms and 1 h, but was 99 ms" + range),
                Arguments.of((Executable) () -> Checks.atLeast("timeout", Duration.ZERO, Duration.ofNanos(1)),
                        "timeout must be at least 1 ns, but was 0 s" + range));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void refusals_areConfigurationErrors_inOneWording(Executable check, String message) {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class, check);
        assertEquals(message, e.getMessage());
        assertEquals(CutoverException.class, e.getClass().getSuperclass(), "a build error is a CutoverException");
    }

    @Test
    void valuesInRange_areReturnedAsGiven() {
        Duration max = Duration.ofHours(1);
        assertSame(max, Checks.between("lease", max, Duration.ofMillis(100), max));
        assertEquals(10_000, Checks.between("batchSize", 10_000, 1, 10_000));
        assertEquals(0.0, Checks.atLeastAndBelow("jitter", 0.0, 0, 1));
        assertEquals("null lease", assertThrows(NullPointerException.class,
                () -> Checks.between("lease", null, Duration.ZERO, max)).getMessage());
    }
}
