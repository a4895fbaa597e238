package dev.cutover.verifier;

import java.util.List;
import java.util.Objects;

/**
 * How far a run got in one table: saved after every finished chunk, so that
 * {@link Verifier#resume(String)} continues after the last finished chunk.
 *
 * @param entity the mapping's entity
 * @param targetWalk whether the run had moved on to walking the target's keys (only for
 *     {@link ComparisonMethod#KEY_LOOKUP_STREAM}); false while it walks the source
 * @param lastKey the upper key of the last finished chunk in an opaque encoding, null before the first
 * @param finished whether the table is done
 * @param rowsCompared source rows compared so far
 * @param chunks chunks compared so far
 * @param chunksComparedByRow chunks compared row by row so far
 * @param transientDifferences keys that matched when re-checked so far
 * @param repairsQueued keys queued for repair so far
 * @param differences keys found different so far, as listed in the report
 * @param unlistedDifferences keys found different so far beyond the listing limit
 */
public record Checkpoint(String entity, boolean targetWalk, String lastKey, boolean finished, long rowsCompared,
        long chunks, long chunksComparedByRow, long transientDifferences, long repairsQueued,
        List<RowDifference> differences, long unlistedDifferences) {
    /**
     * Validates and copies.
     *
     * @throws NullPointerException if the entity or the differences are null
     */
    public Checkpoint {
        Objects.requireNonNull(entity, "null entity");
        differences = List.copyOf(differences);
    }
}
