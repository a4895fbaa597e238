package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
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
        assertEquals("networkTimeout must be between 1 ms and 10 minutes, but was PT0S",
                assertThrows(IllegalArgumentException.class, () -> builder.networkTimeout(Duration.ZERO)).getMessage());
        assertEquals("networkTimeout must be between 1 ms and 10 minutes, but was PT11M",
                assertThrows(IllegalArgumentException.class, () -> builder.networkTimeout(Duration.ofMinutes(11)))
                        .getMessage());
        assertEquals(Duration.ofMillis(1), builder.networkTimeout(Duration.ofMillis(1)).build().networkTimeout());
    }
}
