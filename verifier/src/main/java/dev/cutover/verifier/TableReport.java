package dev.cutover.verifier;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a run found in one mapped table.
 *
 * @param entity the mapping's entity
 * @param sourceTable the table on the source
 * @param targetTable the table on the target
 * @param method how its chunks were compared
 * @param finished whether every chunk was compared (false when the run was stopped first)
 * @param rowsCompared source rows compared (across resumes of the run)
 * @param chunks chunks compared (across resumes of the run)
 * @param chunksComparedByRow chunks whose checksums differed and that were compared row by row; for
 *     streaming methods every chunk is compared row by row
 * @param transientDifferences keys that differed at first sight but matched when re-checked:
 *     writes in flight, not divergence
 * @param repairsQueued keys queued for resync in the retry-queue by this run
 * @param differences the keys still different after re-checking, in the order found, at most
 *     {@link VerifierConfig#maxListedDifferences()}
 * @param unlistedDifferences keys found different beyond that limit: counted (and repaired) but not listed
 * @param duration the time this process spent on the table
 */
public record TableReport(String entity, String sourceTable, String targetTable, ComparisonMethod method,
        boolean finished, long rowsCompared, long chunks, long chunksComparedByRow, long transientDifferences,
        long repairsQueued, List<RowDifference> differences, long unlistedDifferences, Duration duration) {
    /**
     * Validates and copies.
     *
     * @throws NullPointerException if a component is null
     */
    public TableReport {
        Objects.requireNonNull(entity, "null entity");
        Objects.requireNonNull(method, "null method");
        Objects.requireNonNull(duration, "null duration");
        differences = List.copyOf(differences);
    }

    /** @return every key found different, listed or not */
    public long differenceCount() {
        return differences.size() + unlistedDifferences;
    }

    /** @return the listed keys whose row the target lacks */
    public List<RowDifference> missingOnTarget() {
        return ofKind(RowDifference.Kind.MISSING_ON_TARGET);
    }

    /** @return the listed keys whose row only the target has */
    public List<RowDifference> extraOnTarget() {
        return ofKind(RowDifference.Kind.EXTRA_ON_TARGET);
    }

    /** @return the listed keys whose rows differ in some columns */
    public List<RowDifference> differentValues() {
        return ofKind(RowDifference.Kind.DIFFERENT_VALUES);
    }

    /** @return the listed keys whose source row the mapping cannot convert */
    public List<RowDifference> unconvertible() {
        return ofKind(RowDifference.Kind.UNCONVERTIBLE);
    }

    private List<RowDifference> ofKind(RowDifference.Kind kind) {
        return differences.stream().filter(d -> d.kind() == kind).toList();
    }
}
