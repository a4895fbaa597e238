package dev.cutover.flags.internal;

import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;

/**
 * Work that must be done before an instance writes a new primary, run at the end of the handover
 * pause of every primary move, on every instance (see {@link Handovers#addStep}). Steps
 * must be idempotent: each instance runs them, and a step that failed runs again on the next write.
 */
@FunctionalInterface
public interface HandoverStep {
    /**
     * Does the step, or says what is still missing.
     *
     * @param migration the migration whose primary moved
     * @param oldPrimary the side that was primary
     * @param newPrimary the side that is primary now
     * @throws Exception naming what is still missing and how to fix it; writes of the migration keep
     *     waiting (up to {@link MigrationFlags.Builder#maxHandoverWait}) and the step is run again
     */
    void run(String migration, Side oldPrimary, Side newPrimary) throws Exception;
}
