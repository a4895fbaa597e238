package dev.cutover.router;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for states that the router's own threads bring about. */
final class Await {
    /** Generous, so that a slow CI machine never fails a test that merely waits. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Await() {
    }

    /**
     * Polls until the condition holds or the timeout passes; the caller then asserts the state, so that
     * a failure reports what was actually seen.
     *
     * @param condition the state awaited
     */
    static void until(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
    }
}
