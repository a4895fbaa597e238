package dev.cutover.dualwrite;

import dev.cutover.dualwrite.internal.LatencyHistogram.Counts;
import java.util.Arrays;

/**
 * Decides how long a backfill waits between chunks so that the application's writes keep their
 * latency: an AIMD duty cycle driven by the migration's dual-write times per copy (the repository-style
 * primary call on the source plus the copy to the target; see {@code Backfill#writeNanos}), compared with their
 * level without the backfill.
 *
 * <p><b>Baseline.</b> Before the first chunk, and again every
 * {@link BackfillConfig#backOffBaselineRefresh()} while the application writes, the backfill copies
 * nothing for {@link BackfillConfig#backOffBaselineWindow()}; the average copy time in that window is
 * the baseline. A baseline window with fewer than {@link #MIN_BASELINE_COPIES} copies keeps the
 * previous baseline (none at first: an idle application needs no protection); while there is none,
 * the next window comes as soon as {@link #MIN_DECISION_COPIES} copies were made since the last. The
 * baseline is the lowest of the last {@link #BASELINE_HISTORY} windows' averages, so that one window
 * taken while the application was briefly slow (its JIT warming up, a burst of other work) does
 * not make every later chunk look harmless, while a lasting change of the application's load
 * reaches it after {@value #BASELINE_HISTORY} windows; until it has that many, windows come every
 * sixth of the refresh interval.
 *
 * <p><b>Duty cycle.</b> The share of time the backfill spends copying, 1 at first. After each chunk,
 * once the copies since the last decision number {@link #MIN_DECISION_COPIES} (or
 * {@link #MAX_CHUNKS_PER_DECISION} chunks passed, or there were none: a quiet application), their
 * average is compared with the baseline: above
 * {@link BackfillConfig#backOffLatencyRatio()} times it, or above the absolute
 * {@link BackfillConfig#backOffLatency()}, the duty cycle halves (down to
 * {@link BackfillConfig#backOffMinDutyCycle()}); otherwise it grows by {@link #DUTY_STEP} back to 1.
 * The window compared holds the chunk and the wait before it, so the average is what callers see
 * over the whole cycle, and the duty cycle settles where that average stays under the threshold. The
 * wait after a chunk of {@code t} is {@code t * (1 - duty) / duty}.
 *
 * <p><b>Tail.</b> An average hides a few slow calls (those that wait for a chunk's row locks, or run
 * during its burst of CPU), and those set the callers' 99th percentile. So the back-off also reads
 * the durations of the write steps one by one ({@link DualWriteCounters#sourceWriteTimes()}, in
 * buckets): a baseline window with at least {@link #MIN_TAIL_BASELINE_TIMES} of them gives its
 * 99th percentile, and the tail baseline is the median of the last {@value #BASELINE_HISTORY}
 * windows' (the lower of two), so that one window with a slow burst neither raises nor lowers it.
 * Once at least {@link #MIN_TAIL_TIMES} steps were timed since the last tail decision, more than
 * {@link #TAIL_SHARE} of them slower than {@link BackfillConfig#backOffLatencyRatio()} times that
 * percentile halve the duty cycle at once, whatever the average. (A step counts as slower when its
 * bucket starts at or above that: with buckets about 19% wide, the bar lies between about 1.05 and
 * 1.5 times the ratio times the true percentile.) Like the average's, the steps counted are those of
 * the chunks and the waits between them, so the duty cycle settles where the share of slow steps over
 * the whole cycle, the callers' 99th percentile, stays near that ratio of its level without the backfill.
 *
 * <p>Pure arithmetic on the counts it is given, no clock or I/O: the backfill feeds it the
 * {@link DualWriteCounters} copy counts, so that tests can feed it synthetic ones. Not thread-safe; the
 * backfill's thread owns it.
 */
final class LatencyBackOff {
    /** Copies a baseline window needs to set the baseline. */
    static final int MIN_BASELINE_COPIES = 5;
    /** Copies a decision waits for, so that one slow copy does not halve the duty cycle. */
    static final int MIN_DECISION_COPIES = 20;
    /** Chunks after which a decision is made on whatever copies were seen (none: the application is quiet). */
    static final int MAX_CHUNKS_PER_DECISION = 10;
    /** What the duty cycle regains after a decision under the threshold. */
    static final double DUTY_STEP = 0.1;
    /** Baseline windows whose lowest average is the baseline, and whose median 99th percentile is the tail baseline. */
    static final int BASELINE_HISTORY = 3;
    /** Timed steps a baseline window needs to give a 99th percentile: at fewer, that is its slowest one or two. */
    static final int MIN_TAIL_BASELINE_TIMES = 200;
    /** Timed steps a tail decision waits for, so that a few slow steps in a short window do not halve the duty cycle. */
    static final int MIN_TAIL_TIMES = 400;
    /** The share of slow steps above which the backfill backs off: what a 99th percentile leaves above it. */
    static final double TAIL_SHARE = 0.01;

    private final double ratio;
    private final long absoluteNanos;
    private final double minDuty;
    private final long refreshNanos;

    private double duty = 1;
    private long baselineNanos;
    private final long[] recentBaselines = new long[BASELINE_HISTORY];
    private int baselineWindows;
    private boolean measured;
    private long lastBaselineAt;
    private long pendingCopies;
    private long pendingCopyNanos;
    private int pendingChunks;
    private long backOffs;
    private final long[] recentTails = new long[BASELINE_HISTORY];
    private int tailWindows;
    private long tailBaselineNanos;
    private Counts pendingTimes = Counts.EMPTY;
    private long tailBackOffs;

    LatencyBackOff(BackfillConfig config) {
        this.ratio = config.backOffLatencyRatio();
        this.absoluteNanos = config.backOffLatency().toNanos();
        this.minDuty = config.backOffMinDutyCycle();
        this.refreshNanos = config.backOffBaselineRefresh().toNanos();
    }

    /**
     * @param now the current {@code System.nanoTime()}
     * @param copiesSinceBaseline dual-write copies counted since the last baseline window ended
     * @return whether the backfill should now wait a baseline window: before its first chunk; as soon
     *     as the application has written enough for a decision when no window so far had enough copies
     *     (the application started writing after the backfill, so there is nothing to compare with);
     *     and once the baseline is older than the refresh interval if the application wrote meanwhile
     */
    boolean baselineDue(long now, long copiesSinceBaseline) {
        if (ratio == 0) {
            return false;
        }
        if (!measured) {
            return true;
        }
        if (baselineNanos == 0) {
            return copiesSinceBaseline >= MIN_DECISION_COPIES;
        }
        long interval = baselineWindows < BASELINE_HISTORY ? refreshNanos / 6 : refreshNanos;
        return copiesSinceBaseline > 0 && now - lastBaselineAt >= interval;
    }

    /**
     * Records a baseline window in which the backfill copied nothing.
     *
     * @param copies dual-write copies counted in the window
     * @param copyNanos their total time
     * @param times the durations of the write steps that ended in the window
     * @param now when the window ended
     */
    void baseline(long copies, long copyNanos, Counts times, long now) {
        measured = true;
        lastBaselineAt = now;
        if (copies >= MIN_BASELINE_COPIES) {
            recentBaselines[baselineWindows++ % BASELINE_HISTORY] = Math.max(1, copyNanos / copies);
            long lowest = Long.MAX_VALUE;
            for (int i = 0; i < Math.min(baselineWindows, BASELINE_HISTORY); i++) {
                lowest = Math.min(lowest, recentBaselines[i]);
            }
            baselineNanos = lowest;
        }
        if (ratio > 0 && times.total() >= MIN_TAIL_BASELINE_TIMES) {
            recentTails[tailWindows++ % BASELINE_HISTORY] = Math.max(1, times.quantileFloor(0.99));
            long[] tails = Arrays.copyOf(recentTails, Math.min(tailWindows, BASELINE_HISTORY));
            Arrays.sort(tails);
            tailBaselineNanos = tails[(tails.length - 1) / 2];
        }
        // The window's copies were made without the backfill: they are no evidence against it.
        pendingCopies = 0;
        pendingCopyNanos = 0;
        pendingChunks = 0;
        pendingTimes = Counts.EMPTY;
    }

    /**
     * Takes a chunk's outcome and says how long to wait before the next one.
     *
     * @param chunkNanos how long the chunk took
     * @param copies dual-write copies counted since the previous call (or baseline window): during
     *     the wait before the chunk and the chunk itself
     * @param copyNanos their total time
     * @param times the durations of the write steps that ended meanwhile
     * @return nanoseconds to wait before the next chunk
     */
    long afterChunk(long chunkNanos, long copies, long copyNanos, Counts times) {
        pendingCopies += copies;
        pendingCopyNanos += copyNanos;
        pendingChunks++;
        pendingTimes = pendingTimes.plus(times);
        boolean slowTail = false;
        if (pendingTimes.total() >= MIN_TAIL_TIMES) {
            slowTail = tailBaselineNanos > 0
                    && pendingTimes.atLeast((long) (ratio * tailBaselineNanos)) > TAIL_SHARE * pendingTimes.total();
            pendingTimes = Counts.EMPTY;
        }
        // No copy since the last decision: the application is quiet now, so the backfill need not wait
        // for ten chunks (which at the least duty cycle would take minutes) to speed up again.
        if (slowTail || pendingCopies == 0 || pendingCopies >= MIN_DECISION_COPIES
                || pendingChunks >= MAX_CHUNKS_PER_DECISION) {
            if (slowTail || (pendingCopies > 0 && tooSlow(pendingCopyNanos / pendingCopies))) {
                duty = Math.max(minDuty, duty / 2);
                backOffs++;
                tailBackOffs += slowTail ? 1 : 0;
            } else {
                duty = Math.min(1, duty + DUTY_STEP);
            }
            pendingCopies = 0;
            pendingCopyNanos = 0;
            pendingChunks = 0;
        }
        return duty >= 1 ? 0 : (long) (Math.max(0, chunkNanos) * (1 - duty) / duty);
    }

    private boolean tooSlow(long averageNanos) {
        return (absoluteNanos > 0 && averageNanos > absoluteNanos)
                || (ratio > 0 && baselineNanos > 0 && averageNanos > ratio * baselineNanos);
    }

    /** @return the share of time the backfill copies, {@code backOffMinDutyCycle} to 1 */
    double dutyCycle() {
        return duty;
    }

    /** @return the average copy time without the backfill, in nanoseconds; 0 until measured with enough copies */
    long baselineNanos() {
        return baselineNanos;
    }

    /** @return how many times the duty cycle was halved */
    long backOffs() {
        return backOffs;
    }

    /** @return how many of those halvings the slowest percent of the steps made, their average aside */
    long tailBackOffs() {
        return tailBackOffs;
    }

    /** @return the tail baseline: the 99th percentile of the write steps without the backfill, in nanoseconds; 0 until measured */
    long tailBaselineNanos() {
        return tailBaselineNanos;
    }
}
