package dev.cutover.dualwrite;

import dev.cutover.dualwrite.internal.LatencyHistogram;
import dev.cutover.flags.Side;
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
public final class DualWriteCounters {
    private final PerSide primaryWrites = new PerSide();
    private final PerSide primaryFailures = new PerSide();
    private final PerSide mirrored = new PerSide();
    private final PerSide mirrorNanos = new PerSide();
    private final PerSide primaryNanos = new PerSide();
    private final LatencyHistogram sourceWriteTimes = new LatencyHistogram();
    private final PerSide mirrorFailures = new PerSide();
    private final PerSide queuedBehindPending = new PerSide();
    private final PerSide enqueued = new PerSide();
    private final PerSide enqueueFailures = new PerSide();
    private final LongAdder asyncBacklog = new LongAdder();
    private final LongAdder asyncCopied = new LongAdder();
    private final LongAdder asyncLagNanos = new LongAdder();
    private final LongAdder asyncCoalesced = new LongAdder();
    private final LongAdder asyncOverflows = new LongAdder();
    private final LongAdder asyncLate = new LongAdder();

    /** Creates counters at zero. */
    public DualWriteCounters() {
    }

    /** @return write calls that succeeded on the primary side (single-side stages included) */
    public long primaryWrites() {
        return primaryWrites.sum();
    }

    /**
     * @param side the side that was written as the primary
     * @return write calls that succeeded on that side as the primary
     */
    public long primaryWrites(Side side) {
        return primaryWrites.get(side);
    }

    /** @return write calls that failed on the primary side; the caller saw the exception */
    public long primaryFailures() {
        return primaryFailures.sum();
    }

    /**
     * @param side the side that was written as the primary
     * @return write calls that failed on that side as the primary
     */
    public long primaryFailures(Side side) {
        return primaryFailures.get(side);
    }

    /** @return keys copied to the other side directly after a write */
    public long mirrored() {
        return mirrored.sum();
    }

    /**
     * @param to the side receiving the copies
     * @return keys copied directly to that side
     */
    public long mirrored(Side to) {
        return mirrored.get(to);
    }

    /** @return total time spent in the direct copies counted by {@link #mirrored()}, in nanoseconds */
    public long mirrorNanos() {
        return mirrorNanos.sum();
    }

    /**
     * @param to the side receiving the copies
     * @return total time of the direct copies to that side, in nanoseconds
     */
    public long mirrorNanos(Side to) {
        return mirrorNanos.get(to);
    }

    /** @return direct copies that failed; each was then queued (or counted in {@link #enqueueFailures()}) */
    public long mirrorFailures() {
        return mirrorFailures.sum();
    }

    /**
     * @param to the side the copies were meant for
     * @return direct copies to that side that failed
     */
    public long mirrorFailures(Side to) {
        return mirrorFailures.get(to);
    }

    /** @return keys queued without a direct copy because the queue already held entries for them */
    public long queuedBehindPending() {
        return queuedBehindPending.sum();
    }

    /**
     * @param to the side the keys are to be copied to
     * @return keys for that side queued behind pending entries
     */
    public long queuedBehindPending(Side to) {
        return queuedBehindPending.get(to);
    }

    /** @return retry-queue entries added, for failed copies and for keys already pending */
    public long enqueued() {
        return enqueued.sum();
    }

    /**
     * @param to the side the queued keys are to be copied to
     * @return retry-queue entries added for that side
     */
    public long enqueued(Side to) {
        return enqueued.get(to);
    }

    /** @return keys whose copy failed and whose retry-queue entry could not be added either */
    public long enqueueFailures() {
        return enqueueFailures.sum();
    }

    /**
     * @param to the side the keys were to be copied to
     * @return keys for that side that could be neither copied nor queued
     */
    public long enqueueFailures(Side to) {
        return enqueueFailures.get(to);
    }

    /**
     * @return keys of {@link MirrorMode#ASYNC} writes waiting for their copy or being copied now, in
     *     the repositories counting here (a gauge: it goes down as copies land)
     */
    public long asyncBacklog() {
        return asyncBacklog.sum();
    }

    /** @return keys copied asynchronously (directly, not through the retry-queue) */
    public long asyncCopied() {
        return asyncCopied.sum();
    }

    /**
     * @return total lag of the keys counted by {@link #asyncCopied()}, in nanoseconds: for each, from
     *     the first write's return on the primary that the copy carries to the copy's commit
     */
    public long asyncLagNanos() {
        return asyncLagNanos.sum();
    }

    /** @return asynchronous writes whose key was already pending, so that one copy carries both */
    public long asyncCoalesced() {
        return asyncCoalesced.sum();
    }

    /** @return asynchronous writes whose key was queued in the retry-queue inside the call, the backlog being full */
    public long asyncOverflows() {
        return asyncOverflows.sum();
    }

    /**
     * @return keys of asynchronous writes that were neither copied nor queued before the copy window of
     *     their primary closed (the primary moved or the flags were not confirmed, and the retry-queue
     *     could not take them in time): their acknowledged write may be lost on the new primary. Alert on it
     */
    public long asyncLate() {
        return asyncLate.sum();
    }

    void asyncPending(long delta) {
        asyncBacklog.add(delta);
    }

    void asyncCopied(long lagNanos) {
        asyncCopied.increment();
        asyncLagNanos.add(lagNanos);
    }

    void coalescedAsync() {
        asyncCoalesced.increment();
    }

    void asyncOverflow() {
        asyncOverflows.increment();
    }

    void lateAsync() {
        asyncLate.increment();
    }

    void primaryWrite(Side primary, boolean succeeded) {
        (succeeded ? primaryWrites : primaryFailures).increment(primary);
    }

    /** A repository-style primary call, which is timed: its time is part of what the backfill's back-off watches. */
    void primaryWrite(Side primary, boolean succeeded, long nanos) {
        primaryWrite(primary, succeeded);
        if (succeeded) {
            primaryNanos.add(primary, nanos);
            if (primary == Side.SOURCE) {
                sourceWriteTimes.record(nanos);
            }
        }
    }

    /**
     * @param primary the primary side
     * @return total time of the successful repository-style primary calls on that side, in nanoseconds
     *     (the DataSource style does not time its statements)
     */
    long primaryNanos(Side primary) {
        return primaryNanos.get(primary);
    }

    void mirrored(Side to, long nanos) {
        mirrored.increment(to);
        mirrorNanos.add(to, nanos);
        if (to == Side.TARGET) {
            sourceWriteTimes.record(nanos);
        }
    }

    /**
     * @return the durations of the steps of the writes while the source is the primary, one by one:
     *     the timed repository-style calls on the source and the direct copies to the target, which
     *     the backfill's back-off reads the slowest percent of
     */
    LatencyHistogram.Counts sourceWriteTimes() {
        return sourceWriteTimes.snapshot();
    }

    void mirrorFailed(Side to) {
        mirrorFailures.increment(to);
    }

    void deferredBehindPending(Side to) {
        queuedBehindPending.increment(to);
    }

    void enqueued(Side to, boolean succeeded) {
        (succeeded ? enqueued : enqueueFailures).increment(to);
    }

    @Override
    public String toString() {
        return "DualWriteCounters{primaryWrites=" + primaryWrites() + ", primaryFailures=" + primaryFailures()
                + ", mirrored=" + mirrored() + ", mirrorFailures=" + mirrorFailures()
                + ", queuedBehindPending=" + queuedBehindPending() + ", enqueued=" + enqueued()
                + ", enqueueFailures=" + enqueueFailures() + "}";
    }

    /** One count per side; LongAdders because many writer threads bump the same counts. */
    private static final class PerSide {
        private final LongAdder source = new LongAdder();
        private final LongAdder target = new LongAdder();

        void increment(Side side) {
            adder(side).increment();
        }

        void add(Side side, long amount) {
            adder(side).add(amount);
        }

        long get(Side side) {
            return adder(side).sum();
        }

        long sum() {
            return source.sum() + target.sum();
        }

        private LongAdder adder(Side side) {
            return side == Side.SOURCE ? source : target;
        }
    }
}
