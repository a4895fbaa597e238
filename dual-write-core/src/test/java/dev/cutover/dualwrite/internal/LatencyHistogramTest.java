package dev.cutover.dualwrite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void everyDuration_fallsInTheBucketWhoseBoundsHoldIt_andBucketsAreAtMostAQuarterOfADoublingWide() {
        for (long nanos = 1_024; nanos < TimeUnit.MINUTES.toNanos(30); nanos = nanos * 11 / 10 + 7) {
            int bucket = LatencyHistogram.bucketOf(nanos);
            long lower = LatencyHistogram.lowerBound(bucket);
            long upper = LatencyHistogram.lowerBound(bucket + 1);
            assertTrue(lower <= nanos && nanos < upper, nanos + " in [" + lower + ", " + upper + ")");
            assertTrue(upper <= lower * 5 / 4, "bucket " + bucket + " is " + lower + " to " + upper);
        }
        assertEquals(0, LatencyHistogram.bucketOf(-5));
        assertEquals(0, LatencyHistogram.bucketOf(1_023));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucketOf(Long.MAX_VALUE));
    }

    @Test
    void theQuantile_isTheFloorOfTheBucketThatHoldsIt() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < 990; i++) {
            histogram.record(2 * MS);
        }
        for (int i = 0; i < 10; i++) {
            histogram.record(50 * MS);
        }
        LatencyHistogram.Counts counts = histogram.snapshot();
        assertEquals(1_000, counts.total());
        assertEquals(LatencyHistogram.lowerBound(LatencyHistogram.bucketOf(2 * MS)), counts.quantileFloor(0.99));
        assertEquals(LatencyHistogram.lowerBound(LatencyHistogram.bucketOf(50 * MS)), counts.quantileFloor(0.995));
        assertEquals(0, LatencyHistogram.Counts.EMPTY.quantileFloor(0.99));
    }

    @Test
    void atLeast_countsTheBucketsWhollyAtOrAboveTheDuration() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(2 * MS);
        histogram.record(10 * MS);
        histogram.record(11 * MS);
        LatencyHistogram.Counts counts = histogram.snapshot();
        assertEquals(2, counts.atLeast(5 * MS));
        assertEquals(3, counts.atLeast(0));
        assertEquals(0, counts.atLeast(12 * MS));
    }

    @Test
    void aWindow_isTheDifferenceOfTwoSnapshots_andWindowsAdd() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(MS);
        LatencyHistogram.Counts before = histogram.snapshot();
        histogram.record(3 * MS);
        histogram.record(3 * MS);
        LatencyHistogram.Counts window = histogram.snapshot().minus(before);
        assertEquals(2, window.total());
        assertEquals(2, window.atLeast(2 * MS));
        assertEquals(3, window.plus(before).total());
    }
}
