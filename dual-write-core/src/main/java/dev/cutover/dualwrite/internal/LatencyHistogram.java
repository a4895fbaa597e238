package dev.cutover.dualwrite.internal;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of durations in logarithmic buckets, four per doubling (each bucket about 19% wide), from
 * under 1 µs to about 37 minutes, so that a percentile of many calls can be read without keeping
 * them: the backfill's back-off reads the slowest percent of the migration's writes this way.
 *
 * <p>Recording is thread-safe and takes one {@link LongAdder} increment; {@link #snapshot()} copies
 * the counts, which are subtracted to get the durations of a window.
 */
public final class LatencyHistogram {
    /** Buckets: 0 holds durations under 1,024 ns; the last, everything from 2^41 ns on. */
    static final int BUCKETS = 126;
    private static final int FIRST_POWER = 10;

    private final LongAdder[] counts = new LongAdder[BUCKETS];

    /** Creates an empty histogram. */
    public LatencyHistogram() {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] = new LongAdder();
        }
    }

    /**
     * Counts one duration.
     *
     * @param nanos the duration; negative counts as 0
     */
    public void record(long nanos) {
        counts[bucketOf(nanos)].increment();
    }

    /** @return the counts so far */
    public Counts snapshot() {
        long[] copy = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            copy[i] = counts[i].sum();
        }
        return new Counts(copy);
    }

    /**
     * @param nanos a duration
     * @return its bucket
     */
    static int bucketOf(long nanos) {
        if (nanos < 1L << FIRST_POWER) {
            return 0;
        }
        int power = 63 - Long.numberOfLeadingZeros(nanos);
        int quarter = (int) (nanos >>> (power - 2)) & 3;
        return Math.min(BUCKETS - 1, (power - FIRST_POWER) * 4 + quarter + 1);
    }

    /**
     * @param bucket a bucket
     * @return the shortest duration it holds, in nanoseconds
     */
    static long lowerBound(int bucket) {
        if (bucket == 0) {
            return 0;
        }
        int power = (bucket - 1) / 4 + FIRST_POWER;
        int quarter = (bucket - 1) % 4;
        return (4L + quarter) << (power - 2);
    }

    /** Immutable counts per bucket: a snapshot, or the difference of two. */
    public static final class Counts {
        /** No durations. */
        public static final Counts EMPTY = new Counts(new long[BUCKETS]);

        private final long[] counts;
        private final long total;

        private Counts(long[] counts) {
            this.counts = counts;
            this.total = Arrays.stream(counts).sum();
        }

        /** @return how many durations */
        public long total() {
            return total;
        }

        /**
         * @param earlier an earlier snapshot of the same histogram
         * @return the durations counted since
         */
        public Counts minus(Counts earlier) {
            long[] diff = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                diff[i] = Math.max(0, counts[i] - earlier.counts[i]);
            }
            return new Counts(diff);
        }

        /**
         * @param other other counts
         * @return both together
         */
        public Counts plus(Counts other) {
            long[] sum = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                sum[i] = counts[i] + other.counts[i];
            }
            return new Counts(sum);
        }

        /**
         * @param quantile between 0 and 1, e.g. 0.99
         * @return the shortest duration of the bucket that holds that quantile, in nanoseconds (the
         *     quantile lies at most 19% above it); 0 if there are no durations
         */
        public long quantileFloor(double quantile) {
            long rank = (long) Math.ceil(quantile * total - 1e-9);
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += counts[i];
                if (seen >= Math.max(1, rank)) {
                    return lowerBound(i);
                }
            }
            return 0;
        }

        /**
         * @param nanos a duration
         * @return how many durations lie in buckets whose shortest duration is at least that: those
         *     surely at least as long, and none more than 19% shorter
         */
        public long atLeast(long nanos) {
            long n = 0;
            for (int i = BUCKETS - 1; i >= 0 && lowerBound(i) >= nanos; i--) {
                n += counts[i];
            }
            return n;
        }

        @Override
        public String toString() {
            return "Counts{total=" + total + ", p99 from " + quantileFloor(0.99) + " ns}";
        }
    }
}
