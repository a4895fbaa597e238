package dev.cutover.flags.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoredStatesTest {
    private static MigrationState decode(String stage, double target, double shadow) {
        return StoredStates.decode("orders", stage, target, shadow, List.of(), List.of(), 3);
    }

    @Test
    void decode_acceptsStoredSpellingsOfStages() {
        assertEquals(Stage.SHIFT_READS, decode("shift-reads", 12.5, 1).stage());
        assertEquals(Stage.TARGET_ONLY, decode("TARGET_ONLY", 100, 0).stage());
        assertEquals(3, decode("dual_write", 0, 0).version());
    }

    @Test
    void decode_unknownStage_namesTheFieldAndTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> decode("warp", 0, 0));
        assertEquals("stage: Unknown stage 'warp': expected one of SOURCE_ONLY, DUAL_WRITE, SHIFT_READS,"
                + " TARGET_PRIMARY, TARGET_ONLY", e.getMessage());
    }

    @Test
    void decode_missingStage_namesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> decode(null, 0, 0));
        assertEquals("stage: stage is missing", e.getMessage());
    }

    @Test
    void decode_percentageAboveHundred_namesTheFieldAndTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> decode("SHIFT_READS", 120, 0));
        assertEquals("targetReadPercent must be between 0 and 100, but was 120.0", e.getMessage());
    }

    @Test
    void decode_negativePercentage_namesTheFieldAndTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> decode("SHIFT_READS", 0, -0.5));
        assertEquals("shadowReadPercent must be between 0 and 100, but was -0.5", e.getMessage());
    }

    @Test
    void resolve_standsInTheLastGoodStateWithTheStoredVersion_andCountsEachProblemOnce() {
        StoredStates states = new StoredStates("test");
        MigrationState good = states.resolve("orders", 4, () -> decode("SHIFT_READS", 10, 0), m -> null);
        assertEquals(10, good.targetReadPercent());
        for (int i = 0; i < 5; i++) {
            MigrationState standIn = states.resolve("orders", 7, () -> decode("warp", 10, 0), m -> null);
            assertEquals(true, standIn.sameFlagsAs(good));
            assertEquals(7, standIn.version());
        }
        assertEquals(1, states.invalidValueCount());
        states.resolve("orders", 8, () -> decode("SHIFT_READS", 120, 0), m -> null);
        assertEquals(2, states.invalidValueCount());
        states.resolve("orders", 9, () -> decode("SHIFT_READS", 20, 0), m -> null);
        states.resolve("orders", 9, () -> decode("warp", 10, 0), m -> null);
        assertEquals(3, states.invalidValueCount());
    }

    @Test
    void resolve_withoutALastGoodState_usesTheFallbackElseTheInitialState() {
        StoredStates states = new StoredStates("test");
        MigrationState audited = MigrationState.builder("orders").stage(Stage.TARGET_PRIMARY).version(5).build();
        assertEquals(Stage.TARGET_PRIMARY,
                states.resolve("orders", 6, () -> decode("warp", 0, 0), m -> audited).stage());
        assertEquals(Stage.SOURCE_ONLY,
                states.resolve("payments", 2, () -> decode("warp", 0, 0), m -> null).stage());
    }

    @Test
    void resolve_illegalMigrationName_isLeftOut() {
        StoredStates states = new StoredStates("test");
        assertNull(states.resolve("bad name!", 1,
                () -> StoredStates.decode("bad name!", "DUAL_WRITE", 0, 0, List.of(), List.of(), 1), m -> null));
        assertEquals(1, states.invalidValueCount());
    }
}
