package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class MigrationStateTest {

    @Test
    void initial_isSourceOnlyWithNothingShifted() {
        MigrationState state = MigrationState.initial("orders");
        assertEquals(Stage.SOURCE_ONLY, state.stage());
        assertEquals(0, state.targetReadPercent());
        assertEquals(0, state.shadowReadPercent());
        assertEquals(0, state.version());
        assertEquals(Side.SOURCE, state.readSide("k"));
        assertFalse(state.shadowRead());
    }

    @ParameterizedTest
    @ValueSource(doubles = {-1, 100.01, 120, Double.NaN, Double.POSITIVE_INFINITY})
    void targetReadPercent_outsideZeroToHundred_isRejectedNamingTheField(double percent) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationState.builder("orders").targetReadPercent(percent));
        assertEquals("targetReadPercent must be between 0 and 100, but was " + percent, e.getMessage());
    }

    @Test
    void percentages_finerThanAHundredth_areRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationState.builder("orders").shadowReadPercent(12.345));
        assertEquals("shadowReadPercent must be a multiple of 0.01 (the finest step), but was 12.345", e.getMessage());
        assertEquals(1, MigrationState.builder("orders").targetReadPercent(0.01).build().targetReadBasisPoints());
        assertEquals(3333, MigrationState.builder("orders").targetReadPercent(33.33).build().targetReadBasisPoints());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "semi;colon", "a-very-long-migration-name-that-goes-on-and-on-well-past-sixty-four-characters"})
    void migrationNames_outsideTheAllowedAlphabet_areRejected(String name) {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class, () -> MigrationState.builder(name));
        assertTrue(e.getMessage().startsWith("migration name must be 1 to 64"), e.getMessage());
    }

    @Test
    void unknownStageNames_listTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stage.parse("DUAL"));
        assertEquals("Unknown stage 'DUAL': expected one of SOURCE_ONLY, DUAL_WRITE, SHIFT_READS, TARGET_PRIMARY, TARGET_ONLY",
                e.getMessage());
        assertEquals(Stage.SHIFT_READS, Stage.parse(" shift-reads "));
    }

    @Test
    void forwardJumps_thatSkipAStage_nameTheSkippedStage() {
        StageTransitionException e = assertThrows(StageTransitionException.class,
                () -> Stage.checkTransition(Stage.DUAL_WRITE, Stage.TARGET_PRIMARY, false));
        assertTrue(e.getMessage().contains("it skips SHIFT_READS"), e.getMessage());
        assertDoesNotThrow(() -> Stage.checkTransition(Stage.DUAL_WRITE, Stage.TARGET_PRIMARY, true));
    }

    @ParameterizedTest
    @EnumSource(Stage.class)
    void rollback_toAnyEarlierStage_andOneStepForward_areAllowed(Stage from) {
        for (Stage to : Stage.values()) {
            if (to.ordinal() <= from.ordinal() + 1) {
                assertDoesNotThrow(() -> Stage.checkTransition(from, to, false), from + " -> " + to);
            } else {
                assertThrows(StageTransitionException.class, () -> Stage.checkTransition(from, to, false), from + " -> " + to);
            }
        }
    }

    @Test
    void stages_sayWhatTheyWriteAndWhichSideIsPrimary() {
        assertEquals(List.of(false, true, true, true, false),
                List.of(Stage.values()).stream().map(Stage::dualWrites).toList());
        assertEquals(List.of(Side.SOURCE, Side.SOURCE, Side.SOURCE, Side.TARGET, Side.TARGET),
                List.of(Stage.values()).stream().map(Stage::primary).toList());
        assertFalse(Stage.TARGET_ONLY.writesSource());
        assertFalse(Stage.SOURCE_ONLY.writesTarget());
    }

    @Test
    void readSide_followsTheStage() {
        MigrationState.Builder b = MigrationState.builder("orders").targetReadPercent(100);
        assertEquals(Side.SOURCE, b.stage(Stage.SOURCE_ONLY).build().readSide("k"));
        assertEquals(Side.SOURCE, b.stage(Stage.DUAL_WRITE).build().readSide("k"));
        assertEquals(Side.TARGET, b.stage(Stage.SHIFT_READS).build().readSide("k"));
        assertEquals(Side.TARGET, b.stage(Stage.TARGET_PRIMARY).targetReadPercent(0).build().readSide("k"));
        assertEquals(Side.TARGET, b.stage(Stage.TARGET_ONLY).build().readSide("k"));
        assertEquals(Side.SOURCE, b.stage(Stage.SHIFT_READS).targetReadPercent(0).build().readSide("k"));
    }

    /**
     * The state hashes the migration's part of the bucket once; a key's side must still follow the
     * buckets earlier releases published (customer-0 to customer-7 of "customers"), at every percentage.
     */
    @Test
    void shiftReads_sendsAKeyToTheTarget_exactlyWhenItsPublishedBucketIsBelowThePercentage() {
        List<Integer> knownBuckets = List.of(2890, 9255, 2721, 4620, 3350, 5743, 7648, 7732);
        for (int basisPoints : new int[] {1, 2721, 2722, 4620, 5000, 7732, 7733, 9999}) {
            MigrationState state = MigrationState.builder("customers").stage(Stage.SHIFT_READS)
                    .targetReadPercent(basisPoints / 100.0).build();
            for (int i = 0; i < knownBuckets.size(); i++) {
                Side expected = knownBuckets.get(i) < basisPoints ? Side.TARGET : Side.SOURCE;
                assertEquals(expected, state.readSide("customer-" + i), "customer-" + i + " at " + basisPoints);
            }
        }
    }

    @Test
    void canaryKeys_overrideThePercentageWhileBothSidesAreWritten_andSourceWinsATie() {
        MigrationState state = MigrationState.builder("orders").stage(Stage.SHIFT_READS).targetReadPercent(50)
                .targetKeys(List.of("vip", "both")).sourceKeys(List.of("fragile", "both")).build();
        assertEquals(Side.TARGET, state.readSide("vip"));
        assertEquals(Side.SOURCE, state.readSide("fragile"));
        assertEquals(Side.SOURCE, state.readSide("both"));
        assertEquals(Side.TARGET, state.toBuilder().stage(Stage.DUAL_WRITE).build().readSide("vip"));
        assertEquals(Side.SOURCE, state.toBuilder().stage(Stage.TARGET_PRIMARY).build().readSide("fragile"));
        assertEquals(Side.SOURCE, state.toBuilder().stage(Stage.SOURCE_ONLY).build().readSide("vip"));
        assertEquals(Side.TARGET, state.toBuilder().stage(Stage.TARGET_ONLY).build().readSide("fragile"));
    }

    @Test
    void shadowRead_happensOnlyWhileBothSidesAreWritten() {
        MigrationState all = MigrationState.builder("orders").shadowReadPercent(100).stage(Stage.DUAL_WRITE).build();
        assertTrue(all.shadowRead());
        assertFalse(all.toBuilder().stage(Stage.SOURCE_ONLY).build().shadowRead());
        assertFalse(all.toBuilder().stage(Stage.TARGET_ONLY).build().shadowRead());
        assertFalse(all.toBuilder().shadowReadPercent(0).build().shadowRead());
    }

    @Test
    void toBuilder_roundTripsEveryField_andEqualityIncludesTheVersion() {
        MigrationState state = MigrationState.builder("orders").stage(Stage.SHIFT_READS).targetReadPercent(12.5)
                .shadowReadPercent(3).targetKeys(List.of("a")).sourceKeys(List.of("b")).version(7).build();
        assertEquals(state, state.toBuilder().build());
        MigrationState next = state.toBuilder().version(8).build();
        assertNotEquals(state, next);
        assertTrue(state.sameFlagsAs(next));
    }

    @Test
    void canaryKeys_mustNotBeEmpty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationState.builder("orders").targetKeys(List.of("")));
        assertEquals("targetKeys must not contain null or empty keys", e.getMessage());
    }
}
