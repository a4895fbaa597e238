package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.internal.LatencyHistogram;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The back-off controller, fed synthetic copy counts and times: no clock, no database. */
class LatencyBackOffTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CHUNK = 500 * MS;
    /** Copies per chunk window: enough for a decision after every chunk. */
    private static final int COPIES = LatencyBackOff.MIN_DECISION_COPIES;

    private static final LatencyHistogram.Counts NO_TIMES = LatencyHistogram.Counts.EMPTY;

    private final BackfillConfig defaults = BackfillConfig.ofDefaults();

    @Test
    void anIdleApplication_getsTheBackfillAtFullSpeed() {
        LatencyBackOff backOff = new LatencyBackOff(defaults);
        assertTrue(backOff.baselineDue(0, 0), "a baseline window before the first chunk");
        backOff.baseline(0, 0, NO_TIMES, 0);

        for (int chunk = 0; chunk < 100; chunk++) {
            assertEquals(0, backOff.afterChunk(CHUNK, 0, 0, NO_TIMES));
        }
        assertEquals(1, backOff.dutyCycle());
        assertEquals(0, backOff.backOffs());
        assertEquals(0, backOff.baselineNanos(), "no copies, no baseline");
        assertFalse(backOff.baselineDue(TimeUnit.HOURS.toNanos(1), 0), "no copies since: nothing to measure again");
    }

    @Test
    void copiesAsFastAsTheirBaseline_keepFullSpeed() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);

        for (int chunk = 0; chunk < 100; chunk++) {
            // 1.2 times the baseline: under the default ratio of 1.25.
            assertEquals(0, backOff.afterChunk(CHUNK, COPIES, COPIES * 48 * MS / 10, NO_TIMES));
        }
        assertEquals(1, backOff.dutyCycle());
        assertEquals(0, backOff.backOffs());
    }

    @Test
    void copiesSlowerThanTheRatioAllowsOfTheirBaseline_halveTheDutyCycleEachTime() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);

        // 2 times the baseline, far under the absolute 100 ms.
        assertEquals(CHUNK, backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES), "duty 0.5: wait as long as the chunk");
        assertEquals(0.5, backOff.dutyCycle());
        assertEquals(3 * CHUNK, backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES), "duty 0.25");
        assertEquals(2, backOff.backOffs());
        for (int chunk = 0; chunk < 10; chunk++) {
            backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES);
        }
        assertEquals(defaults.backOffMinDutyCycle(), backOff.dutyCycle(), "never below the minimum");
        assertEquals(19 * CHUNK, backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES), "at 0.05: 9.5 s after a 0.5 s chunk");
    }

    @Test
    void onceTheCopiesAreBackNearTheirBaseline_theDutyCycleGrowsBackByAStepAtATime() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES);
        backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES);
        assertEquals(0.25, backOff.dutyCycle());

        backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, NO_TIMES);
        assertEquals(0.25 + LatencyBackOff.DUTY_STEP, backOff.dutyCycle(), 1e-9);
        for (int chunk = 0; chunk < 7; chunk++) {
            backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, NO_TIMES);
        }
        assertEquals(1, backOff.dutyCycle());
        assertEquals(0, backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, NO_TIMES));
        assertEquals(2, backOff.backOffs(), "growing back is not a back-off");
    }

    @Test
    void underSteadyLoad_theDutyCycleSettlesWhereTheCallersAverageStaysNearTheThreshold() {
        // A model application: copies take 4 ms without the backfill and 12 ms while a chunk runs, so
        // over a cycle they average 4 + 8 * duty; the threshold (1.25 x 4 ms) is crossed at duty 1/8.
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        double dutySum = 0;
        int cycles = 200;
        for (int cycle = 0; cycle < cycles; cycle++) {
            double duty = backOff.dutyCycle();
            long average = (long) ((4 + 8 * duty) * MS);
            backOff.afterChunk(CHUNK, COPIES, COPIES * average, NO_TIMES);
            dutySum += backOff.dutyCycle();
        }
        double meanDuty = dutySum / cycles;
        assertTrue(meanDuty > 0.05 && meanDuty < 0.25, "AIMD oscillates around 1/8: mean duty " + meanDuty);
        assertTrue(backOff.backOffs() > 10, "it keeps probing upwards and backing off: " + backOff.backOffs());
    }

    @Test
    void aDecisionWaitsForEnoughCopies_soThatOneSlowCopyDoesNotHalveTheDutyCycle() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);

        assertEquals(0, backOff.afterChunk(CHUNK, 1, 50 * MS, NO_TIMES), "one copy of 50 ms: no decision yet");
        assertEquals(1, backOff.dutyCycle());
        // The next window brings enough copies; the slow one still counts in their average.
        backOff.afterChunk(CHUNK, COPIES - 1, (COPIES - 1) * 4 * MS, NO_TIMES);
        assertEquals(0.5, backOff.dutyCycle(), "(50 + 19 x 4) / 20 = 6.3 ms > 5 ms");
    }

    @Test
    void withFewCopies_aDecisionIsTakenAfterTenChunksOnWhatWasSeen() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        for (int chunk = 1; chunk < LatencyBackOff.MAX_CHUNKS_PER_DECISION; chunk++) {
            backOff.afterChunk(CHUNK, 1, 20 * MS, NO_TIMES);
            assertEquals(1, backOff.dutyCycle(), "chunk " + chunk);
        }
        backOff.afterChunk(CHUNK, 1, 20 * MS, NO_TIMES);
        assertEquals(0.5, backOff.dutyCycle());
    }

    @Test
    void whenTheApplicationGoesQuiet_theDutyCycleGrowsAfterEveryChunk() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        for (int chunk = 0; chunk < 10; chunk++) {
            backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES);
        }
        assertEquals(defaults.backOffMinDutyCycle(), backOff.dutyCycle());

        backOff.afterChunk(CHUNK, 0, 0, NO_TIMES);
        assertEquals(defaults.backOffMinDutyCycle() + LatencyBackOff.DUTY_STEP, backOff.dutyCycle(), 1e-9,
                "a window without copies: no waiting for ten chunks");
        for (int chunk = 0; chunk < 9; chunk++) {
            backOff.afterChunk(CHUNK, 0, 0, NO_TIMES);
        }
        assertEquals(1, backOff.dutyCycle());
    }

    @Test
    void theAbsoluteLatency_backsOffWithoutABaseline() {
        LatencyBackOff backOff = new LatencyBackOff(defaults);
        backOff.baseline(0, 0, NO_TIMES, 0);

        backOff.afterChunk(CHUNK, COPIES, COPIES * 150 * MS, NO_TIMES);
        assertEquals(0.5, backOff.dutyCycle(), "150 ms > backOffLatency 100 ms");
        backOff.afterChunk(CHUNK, COPIES, COPIES * 50 * MS, NO_TIMES);
        assertEquals(0.6, backOff.dutyCycle(), 1e-9, "50 ms: no baseline to compare with, under the absolute");
    }

    @Test
    void theBaselineIsMeasuredAgain_soonWhileItHasFewWindows_thenEveryRefresh_onlyIfTheApplicationWrote() {
        long refresh = TimeUnit.SECONDS.toNanos(30);
        long early = refresh / 6;
        LatencyBackOff backOff = withBaseline(BackfillConfig.custom().backOffBaselineRefresh(Duration.ofSeconds(30)).build(),
                4 * MS);

        assertFalse(backOff.baselineDue(early - 1, 100), "one window: the next a sixth of the refresh later");
        assertFalse(backOff.baselineDue(early, 0), "due, but the application did not write");
        assertTrue(backOff.baselineDue(early, 1));
        backOff.baseline(COPIES, COPIES * 4 * MS, NO_TIMES, early);
        backOff.baseline(COPIES, COPIES * 4 * MS, NO_TIMES, 2 * early);
        assertFalse(backOff.baselineDue(3 * early, 100), "three windows: the refresh interval now");
        assertFalse(backOff.baselineDue(2 * early + refresh - 1, 100));
        assertTrue(backOff.baselineDue(2 * early + refresh, 1));
    }

    @Test
    void theBaselineIsTheLowestOfTheLastThreeWindows_soOneSlowWindowDoesNotRaiseIt_butALastingChangeDoes() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        backOff.baseline(COPIES, COPIES * 20 * MS, NO_TIMES, 1);
        assertEquals(4 * MS, backOff.baselineNanos(), "a window while the application was briefly slow");
        backOff.baseline(COPIES, COPIES * 10 * MS, NO_TIMES, 2);
        assertEquals(4 * MS, backOff.baselineNanos());
        backOff.baseline(COPIES, COPIES * 10 * MS, NO_TIMES, 3);
        assertEquals(10 * MS, backOff.baselineNanos(), "the 4 ms window fell out of the last three: the load rose");
    }

    @Test
    void aBaselineWindow_dropsTheCopiesPendingADecision_asTheyAreNoEvidenceAgainstTheBackfill() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        backOff.afterChunk(CHUNK, COPIES - 1, (COPIES - 1) * 20 * MS, NO_TIMES);
        backOff.baseline(0, 0, NO_TIMES, 1);
        // Counted with the 19 dropped copies, these would average 20 ms, four times the baseline.
        backOff.afterChunk(CHUNK, 1, 20 * MS, NO_TIMES);
        assertEquals(1, backOff.dutyCycle());
    }

    @Test
    void anApplicationThatStartsWritingAfterTheBackfill_getsABaselineWindowAsSoonAsItHasWrittenEnough() {
        LatencyBackOff backOff = new LatencyBackOff(defaults);
        backOff.baseline(0, 0, NO_TIMES, 0);

        assertFalse(backOff.baselineDue(1, LatencyBackOff.MIN_DECISION_COPIES - 1), "too few copies to matter yet");
        assertTrue(backOff.baselineDue(1, LatencyBackOff.MIN_DECISION_COPIES), "not 30 s later: now");
        backOff.baseline(LatencyBackOff.MIN_BASELINE_COPIES, LatencyBackOff.MIN_BASELINE_COPIES * 4 * MS, NO_TIMES, 2);
        assertEquals(4 * MS, backOff.baselineNanos());
        assertFalse(backOff.baselineDue(3, 1_000), "a baseline now: the refresh interval applies");
        backOff.afterChunk(CHUNK, COPIES, COPIES * 8 * MS, NO_TIMES);
        assertEquals(0.5, backOff.dutyCycle());
    }

    @Test
    void aBaselineWindowWithTooFewCopies_keepsThePreviousBaseline() {
        LatencyBackOff backOff = withBaseline(defaults, 4 * MS);
        backOff.baseline(LatencyBackOff.MIN_BASELINE_COPIES - 1, 100 * MS, NO_TIMES, 1);
        assertEquals(4 * MS, backOff.baselineNanos());
    }

    @Test
    void ratioZero_takesNoBaselineWindows_andBacksOffOnTheAbsoluteLatencyOnly() {
        LatencyBackOff backOff = new LatencyBackOff(BackfillConfig.custom().backOffLatencyRatio(0).build());
        assertFalse(backOff.baselineDue(0, 0));
        backOff.afterChunk(CHUNK, COPIES, COPIES * 90 * MS, NO_TIMES);
        assertEquals(1, backOff.dutyCycle());
        backOff.afterChunk(CHUNK, COPIES, COPIES * 110 * MS, NO_TIMES);
        assertEquals(0.5, backOff.dutyCycle());
    }

    @Test
    void aSlowTailWithAnUnchangedAverage_halvesTheDutyCycle() {
        LatencyBackOff backOff = withTailBaseline(4 * MS);

        // 970 steps of 3.2 ms and 30 of 30 ms average 4 ms, the baseline's average, but 3% of them
        // take over 1.25 times the baseline's 99th percentile (about 4 ms).
        backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, steps(970, 32 * MS / 10).plus(steps(30, 30 * MS)));
        assertEquals(0.5, backOff.dutyCycle());
        assertEquals(1, backOff.backOffs());
        assertEquals(1, backOff.tailBackOffs());
    }

    @Test
    void theSameAverageWithoutTheSlowTail_keepsFullSpeed() {
        LatencyBackOff backOff = withTailBaseline(4 * MS);

        for (int chunk = 0; chunk < 20; chunk++) {
            // 1% of the steps at twice the baseline: its own 99th percentile, not more.
            backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, steps(990, 4 * MS).plus(steps(9, 8 * MS)));
        }
        assertEquals(1, backOff.dutyCycle());
        assertEquals(0, backOff.backOffs());
    }

    @Test
    void aTailDecisionWaitsForEnoughSteps_soThatAFewSlowStepsInAShortWindowDoNotHalveTheDutyCycle() {
        LatencyBackOff backOff = withTailBaseline(4 * MS);

        backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, steps(95, 4 * MS).plus(steps(5, 30 * MS)));
        assertEquals(1, backOff.dutyCycle(), "5 of 100 steps slow: too few steps to tell");
        backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS,
                steps(LatencyBackOff.MIN_TAIL_TIMES - 100, 4 * MS));
        assertEquals(0.5, backOff.dutyCycle(), "5 of 400: 1.25%, over the 1% a 99th percentile leaves");

        backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS,
                steps(LatencyBackOff.MIN_TAIL_TIMES - 3, 4 * MS).plus(steps(3, 30 * MS)));
        assertEquals(0.6, backOff.dutyCycle(), 1e-9, "3 of 400: under 1%, the duty cycle grows back");
    }

    @Test
    void theTailBaselineIsTheMedianOfTheLastThreeWindows_soOneWindowWithASlowBurstDoesNotMoveIt() {
        LatencyBackOff backOff = new LatencyBackOff(defaults);
        backOff.baseline(COPIES, COPIES * 4 * MS, steps(1_000, 4 * MS), 0);
        long usual = steps(1, 4 * MS).quantileFloor(0.99);
        assertEquals(usual, backOff.tailBaselineNanos());
        backOff.baseline(COPIES, COPIES * 4 * MS, steps(1_000, 40 * MS), 1);
        assertEquals(usual, backOff.tailBaselineNanos(), "two windows: the lower");
        backOff.baseline(COPIES, COPIES * 4 * MS, steps(1_000, MS), 2);
        assertEquals(usual, backOff.tailBaselineNanos(), "three: the median, neither the slow nor the fast one");
    }

    @Test
    void aBaselineWindowWithTooFewSteps_setsNoTailBaseline_soOnlyTheAverageCounts() {
        LatencyBackOff backOff = new LatencyBackOff(defaults);
        backOff.baseline(COPIES, COPIES * 4 * MS, steps(LatencyBackOff.MIN_TAIL_BASELINE_TIMES - 1, 4 * MS), 0);
        assertEquals(0, backOff.tailBaselineNanos());

        backOff.afterChunk(CHUNK, COPIES, COPIES * 4 * MS, steps(900, 3 * MS).plus(steps(100, 13 * MS)));
        assertEquals(1, backOff.dutyCycle());
    }

    /** A back-off whose baseline window saw 1,000 steps of {@code stepNanos} and copies averaging that. */
    private LatencyBackOff withTailBaseline(long stepNanos) {
        LatencyBackOff backOff = new LatencyBackOff(defaults);
        backOff.baseline(COPIES, COPIES * stepNanos, steps(1_000, stepNanos), 0);
        assertEquals(stepNanos, backOff.baselineNanos());
        assertTrue(backOff.tailBaselineNanos() > 0);
        return backOff;
    }

    /** {@code n} steps of {@code nanos} each, as the stats' histogram counts them. */
    private static LatencyHistogram.Counts steps(int n, long nanos) {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < n; i++) {
            histogram.record(nanos);
        }
        return histogram.snapshot();
    }

    private static LatencyBackOff withBaseline(BackfillConfig config, long copyNanos) {
        LatencyBackOff backOff = new LatencyBackOff(config);
        assertTrue(backOff.baselineDue(0, 0));
        backOff.baseline(100, 100 * copyNanos, NO_TIMES, 0);
        assertEquals(copyNanos, backOff.baselineNanos());
        return backOff;
    }
}
