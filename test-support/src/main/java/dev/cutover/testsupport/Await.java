package dev.cutover.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Bounded polling for a state that another thread or instance brings about. The deadlines only
 * bound a hung test; they are generous so that a slow CI machine never fails a test that merely
 * waits, and they are never timing assertions.
 */
public final class Await {
    /** How long {@link #until(BooleanSupplier)} polls before handing back to the caller's assertion. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** How long {@link #until(String, BooleanSupplier)} polls before failing. */
    public static final Duration FAIL_AFTER = Duration.ofSeconds(60);

    private Await() {
    }

    /**
     * Polls until the condition holds or {@link #TIMEOUT} passes; the caller then asserts the state,
     * so that a failure reports what was actually seen.
     *
     * @param condition the state awaited
     */
    public static void until(BooleanSupplier condition) {
        poll(condition, TIMEOUT);
    }

    /**
     * Polls until the condition holds, failing the test if it does not within {@link #FAIL_AFTER}.
     *
     * @param what the state awaited, for the failure message
     * @param condition the state awaited
     */
    public static void until(String what, BooleanSupplier condition) {
        if (!poll(condition, FAIL_AFTER)) {
            throw new AssertionError("gave up waiting until " + what);
        }
    }

    private static boolean poll(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
        return true;
    }
}
