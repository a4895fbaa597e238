package dev.cutover.dualwrite;

import java.time.Duration;

/**
 * Where a backfill stands. Counts include what earlier runs of the same backfill did before a crash
 * or stop (from its checkpoints).
 *
 * @param migration the migration
 * @param entity the entity being copied now (the last one once finished); empty before the first chunk
 * @param phase what the backfill does now
 * @param rowsDone source rows copied so far, all entities
 * @param rowsTotal source rows counted when the run started (each entity's {@code COUNT(*)}), all
 *     entities; rows written meanwhile may make {@code rowsDone} end above or below it
 * @param rowsDeleted target rows deleted because the source no longer had them
 * @param chunks chunks committed
 * @param chunkRetries chunks rolled back and tried again (a lock wait or deadlock, rows that appeared
 *     in a range being cleaned, a database error)
 * @param backOffs times the backfill halved its duty cycle because the migration's dual-write copies
 *     were slower than their baseline (or {@code backOffLatency}), or their slowest percent slower
 *     than without the backfill
 * @param chunkSize the rows the next chunk asks for
 * @param rowsPerSecond source rows copied per second over the last chunks, pauses and throttling included
 * @param estimatedRemaining {@code (rowsTotal - rowsDone) / rowsPerSecond}; zero when done or unknown
 * @param elapsed time this run has taken so far
 * @param backOffTime time this run waited for the application's writes: between chunks while backing
 *     off, and in baseline windows
 * @param dutyCycle the share of time the backfill copies now, 1 when it does not back off
 * @param baselineCopyTime the migration's average dual-write copy time without the backfill, from the
 *     last baseline window with enough copies; zero until then
 */
public record BackfillProgress(String migration, String entity, Phase phase, long rowsDone, long rowsTotal,
        long rowsDeleted, long chunks, long chunkRetries, long backOffs, int chunkSize, double rowsPerSecond,
        Duration estimatedRemaining, Duration elapsed, Duration backOffTime, double dutyCycle,
        Duration baselineCopyTime) {

    /** What a backfill is doing. */
    public enum Phase {
        /** Built, not started. */
        NOT_STARTED,
        /** Copying the source's rows in key order, and deleting target rows the source no longer has in each chunk's range. */
        COPYING,
        /**
         * Walking the target's keys for rows the source no longer has, for entities whose keys cannot be
         * compared as ranges on both sides (translated or non-numeric keys).
         */
        CLEANING_TARGET,
        /** Paused by {@link Backfill#pause()}; holds no lock. */
        PAUSED,
        /** Stopped by {@link Backfill#stop()} before it finished; resumes from its checkpoint. */
        STOPPED,
        /** Failed or refused; resumes from its checkpoint. */
        FAILED,
        /** Every entity copied. */
        FINISHED
    }

    /** @return rowsDone as a percentage of rowsTotal, 100 when there is nothing to copy, at most 100 */
    public double percentDone() {
        return rowsTotal <= 0 ? (phase == Phase.FINISHED ? 100 : 0) : Math.min(100, 100.0 * rowsDone / rowsTotal);
    }

    /** @return whether the backfill has ended, finished or not */
    public boolean ended() {
        return phase == Phase.FINISHED || phase == Phase.STOPPED || phase == Phase.FAILED;
    }
}
