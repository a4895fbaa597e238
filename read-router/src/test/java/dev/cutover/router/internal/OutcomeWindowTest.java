package dev.cutover.router.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OutcomeWindowTest {
    @Test
    void rate_isReportedOnlyOnceTheWindowIsFull_andCoversTheLatestOutcomes() {
        OutcomeWindow window = new OutcomeWindow(4);
        assertEquals(-1, window.record(true));
        assertEquals(-1, window.record(false));
        assertEquals(-1, window.record(false));
        assertEquals(25.0, window.record(false));
        assertEquals(0.0, window.record(false), "the oldest failure slid out");
        assertEquals(25.0, window.record(true));
        assertEquals("25.0% of the last 4", window.describe());
    }

    @Test
    void clear_startsAFreshWindow() {
        OutcomeWindow window = new OutcomeWindow(2);
        window.record(true);
        window.record(true);
        window.clear();
        assertEquals("0.0% of the last 0", window.describe());
        assertEquals(-1, window.record(false));
        assertEquals(0.0, window.record(false));
    }
}
