package dev.cutover.router.internal;

import java.time.Duration;

/**
 * Lets one log line through per interval and counts the ones held back, so that a burst of the same
 * event is logged once with its size instead of flooding the log. Thread-safe.
 */
public final class RateLimitedLog {
    private final long intervalNanos;
    private long nextAllowedNanos;
    private boolean logged;
    private long suppressed;

    /**
     * Creates a limiter.
     *
     * @param interval the least time between two lines
     */
    public RateLimitedLog(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /**
     * Records one occurrence and says whether to log it.
     *
     * @return how many occurrences were held back since the last line if this one should be logged,
     *     or -1 if it should not
     */
    public synchronized long tryLog() {
        long now = System.nanoTime();
        if (logged && now - nextAllowedNanos < 0) {
            suppressed++;
            return -1;
        }
        logged = true;
        nextAllowedNanos = now + intervalNanos;
        long held = suppressed;
        suppressed = 0;
        return held;
    }
}
