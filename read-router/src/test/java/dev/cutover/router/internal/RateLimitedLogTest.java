package dev.cutover.router.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
    @Test
    void burst_isLoggedOnce_andTheNextLineCountsWhatWasHeldBack() throws InterruptedException {
        RateLimitedLog log = new RateLimitedLog(Duration.ofMillis(50));
        assertEquals(0, log.tryLog(), "the first occurrence is logged");
        int held = 0;
        long result;
        // Occurrences within the interval are held back; the first one after it is logged with their count.
        while ((result = log.tryLog()) < 0) {
            held++;
            Thread.sleep(1);
        }
        assertEquals(held, result);
    }

    @Test
    void occurrencesWithinALongInterval_areAllHeldBack() {
        RateLimitedLog log = new RateLimitedLog(Duration.ofHours(1));
        assertEquals(0, log.tryLog());
        for (int i = 0; i < 1_000; i++) {
            assertEquals(-1, log.tryLog());
        }
    }
}
