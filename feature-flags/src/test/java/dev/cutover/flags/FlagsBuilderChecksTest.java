package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The flags' builders refuse a bad setting in its setter, in the wording every module shares. */
class FlagsBuilderChecksTest {
    private static final String RANGE = ": set a value in that range";

    static Stream<Arguments> outOfRange() {
        MigrationFlags.Builder flags = MigrationFlags.builder(FlagStore.inMemory());
        JdbcFlagStoreConfig.Builder store = JdbcFlagStoreConfig.custom();
        return Stream.of(
                refused(() -> flags.refreshInterval(Duration.ofHours(2)), "refreshInterval must be between 10 ms and 1 h, but was 2 h"),
                refused(() -> flags.handoverPause(Duration.ZERO), "handoverPause must be between 1 ms and 10 min, but was 0 s"),
                refused(() -> flags.maxHandoverWait(Duration.ofMinutes(11)),
                        "maxHandoverWait must be between 1 ms and 10 min, but was 11 min"),
                refused(() -> flags.loadTimeout(Duration.ofMinutes(2)), "loadTimeout must be between 10 ms and 1 min, but was 2 min"),
                refused(() -> flags.startTimeout(Duration.ofMillis(5)), "startTimeout must be between 10 ms and 1 min, but was 5 ms"),
                refused(() -> store.networkTimeout(Duration.ofNanos(1)),
                        "networkTimeout must be between 1 ms and 10 min, but was 1 ns"));
    }

    private static Arguments refused(Executable setter, String message) {
        return Arguments.of(setter, message + RANGE);
    }

    @ParameterizedTest
    @MethodSource("outOfRange")
    void everySetter_refusesAValueOutOfRangeAtOnce(Executable setter, String message) {
        assertEquals(message, assertThrows(CutoverConfigurationException.class, setter).getMessage());
    }
}
