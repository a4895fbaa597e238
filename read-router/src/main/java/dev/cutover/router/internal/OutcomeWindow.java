package dev.cutover.router.internal;

import java.util.Arrays;
import java.util.Locale;

/**
 * The last N outcomes of some kind of event (failed or not), as a ring buffer, for a rate over a
 * count-based sliding window. Thread-safe.
 */
public final class OutcomeWindow {
    private final boolean[] failed;
    private int next;
    private int size;
    private int failures;

    /**
     * Creates an empty window.
     *
     * @param capacity how many outcomes the window holds, at least 1
     */
    public OutcomeWindow(int capacity) {
        this.failed = new boolean[capacity];
    }

    /**
     * Records an outcome, pushing out the oldest when full.
     *
     * @param failure whether it failed
     * @return the failure percentage over the full window, or -1 while the window is not yet full
     */
    public synchronized double record(boolean failure) {
        if (size == failed.length) {
            if (failed[next]) {
                failures--;
            }
        } else {
            size++;
        }
        failed[next] = failure;
        if (failure) {
            failures++;
        }
        next = (next + 1) % failed.length;
        return size == failed.length ? 100.0 * failures / size : -1;
    }

    /** Forgets every outcome, so that the next rate covers a whole fresh window. */
    public synchronized void clear() {
        Arrays.fill(failed, false);
        next = 0;
        size = 0;
        failures = 0;
    }

    /** @return the failure rate over the outcomes held now, e.g. {@code "12.5% of the last 200"} */
    public synchronized String describe() {
        double rate = size == 0 ? 0 : 100.0 * failures / size;
        return String.format(Locale.ROOT, "%.1f%% of the last %d", rate, size);
    }
}
