package dev.cutover.dualwrite;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the writes of one or more repositories, typically one instance per migration: what
 * the primary did, how many keys were mirrored at once, and how many went to the retry-queue.
 *
 * <p>{@link #enqueueFailures()} is the one to alert on: each count is a key whose mirror failed and
 * could not be queued either, so the other side may stay behind for it until it is written again
 * or verified. Bind the counters to Micrometer with
 * {@link dev.cutover.dualwrite.micrometer.DualWriteMetrics}.
 *
 * <p>Thread-safe; counts only grow.
 */
public final class DualWriteStats {
    private final LongAdder primaryWrites = new LongAdder();
    private final LongAdder primaryFailures = new LongAdder();
    private final LongAdder mirrored = new LongAdder();
    private final LongAdder mirrorNanos = new LongAdder();
    private final LongAdder mirrorFailures = new LongAdder();
    private final LongAdder queuedBehindPending = new LongAdder();
    private final LongAdder enqueued = new LongAdder();
    private final LongAdder enqueueFailures = new LongAdder();

    /** Creates counters at zero. */
    public DualWriteStats() {
    }

    /** @return write calls that succeeded on the primary side (single-side stages included) */
    public long primaryWrites() {
        return primaryWrites.sum();
    }

    /** @return write calls that failed on the primary side; the caller saw the exception */
    public long primaryFailures() {
        return primaryFailures.sum();
    }

    /** @return keys copied to the other side directly after a write */
    public long mirrored() {
        return mirrored.sum();
    }

    /** @return total time spent in the direct copies counted by {@link #mirrored()}, in nanoseconds */
    public long mirrorNanos() {
        return mirrorNanos.sum();
    }

    /** @return direct copies that failed; each was then queued (or counted in {@link #enqueueFailures()}) */
    public long mirrorFailures() {
        return mirrorFailures.sum();
    }

    /** @return keys queued without a direct copy because the queue already held entries for them */
    public long queuedBehindPending() {
        return queuedBehindPending.sum();
    }

    /** @return retry-queue entries added, for failed copies and for keys already pending */
    public long enqueued() {
        return enqueued.sum();
    }

    /** @return keys whose copy failed and whose retry-queue entry could not be added either */
    public long enqueueFailures() {
        return enqueueFailures.sum();
    }

    void primaryWrite(boolean succeeded) {
        (succeeded ? primaryWrites : primaryFailures).increment();
    }

    void mirrored(long nanos) {
        mirrored.increment();
        mirrorNanos.add(nanos);
    }

    void mirrorFailed() {
        mirrorFailures.increment();
    }

    void deferredBehindPending() {
        queuedBehindPending.increment();
    }

    void enqueued(boolean succeeded) {
        (succeeded ? enqueued : enqueueFailures).increment();
    }

    @Override
    public String toString() {
        return "DualWriteStats{primaryWrites=" + primaryWrites() + ", primaryFailures=" + primaryFailures()
                + ", mirrored=" + mirrored() + ", mirrorFailures=" + mirrorFailures()
                + ", queuedBehindPending=" + queuedBehindPending() + ", enqueued=" + enqueued()
                + ", enqueueFailures=" + enqueueFailures() + "}";
    }
}
