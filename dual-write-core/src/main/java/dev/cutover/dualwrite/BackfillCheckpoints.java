package dev.cutover.dualwrite;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a backfill keeps its checkpoints, one per entity, saved after every chunk, so that a
 * backfill stopped or killed anywhere resumes after its last committed chunk. The runtime's
 * {@code migration.backfill()} keeps them in the verifier's checkpoint table in its state database;
 * {@link #inMemory()} survives a {@link Backfill#stop()} but not a crash. Implementations are thread-safe.
 */
public interface BackfillCheckpoints {
    /**
     * Where one entity's backfill stands.
     *
     * @param entity the entity
     * @param cleaningTarget whether the source walk is done and the target walk (see
     *     {@link BackfillProgress.Phase#CLEANING_TARGET}) has begun
     * @param lastKey the last key of the last committed chunk of the current walk, in an opaque
     *     encoding; null before the first
     * @param finished whether the entity is done
     * @param rowsCopied source rows copied
     * @param chunks chunks committed
     * @param rowsDeleted target rows deleted
     * @param flagsVersion the version of the migration's flags ({@link dev.cutover.flags.MigrationState#version()})
     *     under which the last chunk ran: a backfill resumes only if every audited flip since then kept
     *     both sides written, since rows a single-side stage changed are behind the checkpoint
     */
    record Checkpoint(String entity, boolean cleaningTarget, String lastKey, boolean finished, long rowsCopied,
            long chunks, long rowsDeleted, long flagsVersion) {
        /**
         * @throws NullPointerException if the entity is null
         */
        public Checkpoint {
            Objects.requireNonNull(entity, "null entity");
        }
    }

    /**
     * @param backfill the backfill, e.g. its migration's name
     * @return its latest checkpoints by entity; empty if there are none
     * @throws dev.cutover.common.CutoverException if they cannot be read
     */
    Map<String, Checkpoint> load(String backfill);

    /**
     * Records an entity's checkpoint, replacing the previous one.
     *
     * @param backfill the backfill
     * @param checkpoint where the entity stands
     * @throws dev.cutover.common.CutoverException if it cannot be stored
     */
    void save(String backfill, Checkpoint checkpoint);

    /**
     * Checkpoints in this process's memory: a stopped backfill resumes, a crashed one starts over.
     *
     * @return a new, empty store
     */
    static BackfillCheckpoints inMemory() {
        Map<String, Map<String, Checkpoint>> all = new ConcurrentHashMap<>();
        return new BackfillCheckpoints() {
            @Override
            public Map<String, Checkpoint> load(String backfill) {
                return Map.copyOf(all.getOrDefault(backfill, Map.of()));
            }

            @Override
            public void save(String backfill, Checkpoint checkpoint) {
                all.computeIfAbsent(backfill, b -> new ConcurrentHashMap<>()).put(checkpoint.entity(), checkpoint);
            }

            @Override
            public String toString() {
                return "BackfillCheckpoints.inMemory()";
            }
        };
    }

}
