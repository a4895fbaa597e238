package dev.cutover.flags.internal;

import dev.cutover.common.internal.AccessHooks;
import dev.cutover.common.internal.Names;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import java.util.Objects;

/**
 * The handover side of {@link MigrationFlags} that only the dual-write core uses: the write permits
 * every wrapped write takes, registering the steps every primary move waits for (the retry-queue
 * drained, sequences advanced) and asking which side is still the old primary. The flags hand over their write gate when their class is
 * initialised, so these stay off their public API; every method here takes a flags object, whose
 * class is then initialised already.
 */
public final class Handovers {
    private static volatile Access access;

    private Handovers() {
    }

    /** The private side of {@link MigrationFlags}, implemented by that class alone. */
    public interface Access {
        /**
         * @param flags the flags
         * @return their write gate
         */
        WriteGate gate(MigrationFlags flags);
    }

    /**
     * Called once, by {@link MigrationFlags}'s static initialiser.
     *
     * @param flagsAccess the flags' implementation
     * @throws IllegalStateException if called a second time or from elsewhere
     */
    public static void install(Access flagsAccess) {
        access = AccessHooks.checkInstall(access, flagsAccess, MigrationFlags.class);
    }

    /**
     * Starts a write of a migration: the fenced primary handover. Every wrapped write calls it and
     * closes the permit when its primary write and its copy are done.
     *
     * <p>After this instance saw the primary move (a load, or its own flip, showed another primary
     * side), new writes of the migration wait here until the handover is done: the handover pause
     * ({@link MigrationFlags.Builder#handoverPause}) has passed since the observation, every write of
     * the old primary that this instance started has finished, and every registered handover step
     * succeeded. In a stage that writes both sides, a write also needs a <em>lease</em>: a load that
     * started less than the pause ago (minus a margin for the copy) must have confirmed the flags;
     * when none did, the flags are reloaded here once.
     *
     * @param flags the flags
     * @param migration the migration name
     * @return the permit; close it when the write (and its copy) is done
     * @throws dev.cutover.flags.HandoverException if the handover is not done within
     *     {@link MigrationFlags.Builder#maxHandoverWait}, naming what is missing; nothing was written
     * @throws dev.cutover.flags.FlagsNotConfirmedException if the flags could not be confirmed
     *     recently enough
     * @throws dev.cutover.common.CutoverConfigurationException if the migration name is illegal
     */
    public static WritePermit beginWrite(MigrationFlags flags, String migration) {
        return access.gate(Objects.requireNonNull(flags, "null flags")).begin(Names.checkMigrationName(migration), true);
    }

    /**
     * Like {@link #beginWrite}, but does not wait for a handover in progress.
     *
     * @param flags the flags
     * @param migration the migration name
     * @return the permit, or null while this instance's handover of a primary move is not done
     * @throws dev.cutover.flags.FlagsNotConfirmedException if the flags could not be confirmed
     *     recently enough
     * @throws dev.cutover.common.CutoverConfigurationException if the migration name is illegal
     */
    public static WritePermit tryBeginWrite(MigrationFlags flags, String migration) {
        return access.gate(Objects.requireNonNull(flags, "null flags")).begin(Names.checkMigrationName(migration), false);
    }

    /**
     * Registers a step of the handover of every primary move of a migration (see
     * {@link #beginWrite}). Registering a second step under the same name keeps the
     * first.
     *
     * @param flags the flags
     * @param migration the migration name
     * @param name identifies the step, e.g. what it drains
     * @param step the step; idempotent
     * @throws dev.cutover.common.CutoverConfigurationException if the migration name is illegal
     */
    public static void addStep(MigrationFlags flags, String migration, String name, HandoverStep step) {
        access.gate(Objects.requireNonNull(flags, "null flags")).addStep(Names.checkMigrationName(migration),
                Objects.requireNonNull(name, "null name"), Objects.requireNonNull(step, "null step"));
    }

    /**
     * @param flags the flags
     * @param migration the migration name
     * @return the old primary while this instance has not finished the handover of the migration's
     *     newest primary move (copies from it are still safe then), else null
     */
    public static Side from(MigrationFlags flags, String migration) {
        return access.gate(Objects.requireNonNull(flags, "null flags")).handoverFrom(migration);
    }
}
