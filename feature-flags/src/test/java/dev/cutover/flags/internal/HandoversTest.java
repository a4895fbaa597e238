package dev.cutover.flags.internal;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import org.junit.jupiter.api.Test;

/**
 * The dual-write core takes write permits and registers handover steps only through {@link Handovers};
 * its checks are the flags' own.
 */
class HandoversTest {

    @Test
    void permitsAndStepsOfAnIllegalMigrationName_areRefused_andOnlyMigrationFlagsInstallsTheAccess() {
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
            assertThrows(CutoverConfigurationException.class,
                    () -> Handovers.addStep(flags, "bad name", "queue", (migration, from, to) -> { }));
            assertThrows(NullPointerException.class, () -> Handovers.addStep(flags, "m", "queue", null));
            // The same error as every public entry point that takes a migration name.
            assertThrows(CutoverConfigurationException.class, () -> Handovers.beginWrite(flags, "bad name"));
            assertThrows(CutoverConfigurationException.class, () -> Handovers.tryBeginWrite(flags, "bad name"));
            assertNull(Handovers.from(flags, "m"), "no primary move seen, so no old primary");
            assertThrows(IllegalStateException.class, () -> Handovers.install(f -> null));
        }
    }
}
