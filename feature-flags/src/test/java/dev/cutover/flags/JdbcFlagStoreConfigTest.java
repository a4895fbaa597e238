package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class JdbcFlagStoreConfigTest {

    @Test
    void defaults() {
        JdbcFlagStoreConfig config = JdbcFlagStoreConfig.ofDefaults();
        assertEquals("cutover_", config.tablePrefix());
        assertEquals(Duration.ofSeconds(5), config.networkTimeout());
    }

    @Test
    void networkTimeout_outOfRange_isRejectedNamingTheRange() {
        JdbcFlagStoreConfig.Builder builder = JdbcFlagStoreConfig.custom();
        assertEquals("networkTimeout must be between 1 ms and 10 min, but was 0 s: set a value in that range",
                assertThrows(CutoverConfigurationException.class, () -> builder.networkTimeout(Duration.ZERO)).getMessage());
        assertEquals("networkTimeout must be between 1 ms and 10 min, but was 11 min: set a value in that range",
                assertThrows(CutoverConfigurationException.class, () -> builder.networkTimeout(Duration.ofMinutes(11)))
                        .getMessage());
        assertEquals(Duration.ofMillis(1), builder.networkTimeout(Duration.ofMillis(1)).build().networkTimeout());
    }

    @Test
    void from_keepsEveryValue() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC);
        JdbcFlagStoreConfig base = JdbcFlagStoreConfig.custom().tablePrefix("mig_").clock(clock)
                .networkTimeout(Duration.ofSeconds(7)).build();
        JdbcFlagStoreConfig copy = JdbcFlagStoreConfig.from(base).build();
        assertEquals("mig_", copy.tablePrefix());
        assertEquals(clock, copy.clock());
        assertEquals(Duration.ofSeconds(7), copy.networkTimeout());
    }

    @Test
    void canonicalConstructor_checksAsTheSettersDo() {
        assertEquals("networkTimeout must be between 1 ms and 10 min, but was 0 s: set a value in that range",
                assertThrows(CutoverConfigurationException.class,
                        () -> new JdbcFlagStoreConfig("cutover_", Clock.systemUTC(), Duration.ZERO)).getMessage());
        assertThrows(CutoverConfigurationException.class,
                () -> new JdbcFlagStoreConfig("1st", Clock.systemUTC(), Duration.ofSeconds(5)));
        assertEquals("null clock", assertThrows(NullPointerException.class,
                () -> new JdbcFlagStoreConfig("cutover_", null, Duration.ofSeconds(5))).getMessage());
        assertEquals(JdbcFlagStoreConfig.ofDefaults(), new JdbcFlagStoreConfig("cutover_", Clock.systemUTC(), Duration.ofSeconds(5)));
    }
}
