package dev.cutover.verifier;

import java.util.List;
import java.util.Objects;

/**
 * One key whose rows differ between the source and the target, still after re-checking.
 *
 * @param key the routing key in the source's terms (see
 *     {@link dev.cutover.dualwrite.TableMapping#key(Object...)}), as queued for repair
 * @param kind how the rows differ
 * @param columns for {@link Kind#DIFFERENT_VALUES}, the target's names of the columns whose values
 *     differ, in target column order; for {@link Kind#UNCONVERTIBLE}, the source's names of the
 *     columns whose conversion failed; empty otherwise
 * @param reason for {@link Kind#UNCONVERTIBLE}, why the row could not be converted: the columns and
 *     the kind of failure, never the row's values unless {@link VerifierConfig#revealValues()}; for
 *     {@link Kind#DIFFERENT_VALUES} with {@link VerifierConfig#revealValues()}, each differing
 *     column's source and target value; empty otherwise
 */
public record RowDifference(String key, Kind kind, List<String> columns, String reason) {
    /**
     * Validates and copies; a null reason becomes empty.
     *
     * @throws NullPointerException if the key, kind or columns are null
     */
    public RowDifference {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(kind, "null kind");
        columns = List.copyOf(columns);
        reason = reason == null ? "" : reason;
    }

    /**
     * A difference without a reason: every kind but {@link Kind#UNCONVERTIBLE}.
     *
     * @param key the routing key in the source's terms
     * @param kind how the rows differ
     * @param columns the columns, as for the record's component
     * @throws NullPointerException if a component is null
     */
    public RowDifference(String key, Kind kind, List<String> columns) {
        this(key, kind, columns, "");
    }

    /**
     * How the two sides differ for a key. The kinds are named from the source's point of view
     * whichever side is the primary; a repair always makes the other side match the
     * {@link Verifier.Builder#primary(dev.cutover.flags.Side) primary}.
     */
    public enum Kind {
        /**
         * The source has a row for the key, the target has none. A repair copies the row to the
         * target while the source is the primary, and deletes the source's row while the target is.
         */
        MISSING_ON_TARGET,
        /**
         * The target has a row for the key, the source has none. A repair deletes the target's row
         * while the source is the primary, and copies the row to the source while the target is.
         */
        EXTRA_ON_TARGET,
        /** Both sides have a row, and some mapped columns' values differ. */
        DIFFERENT_VALUES,
        /**
         * The source's row cannot be converted through the mapping (e.g. a code missing from a code
         * map, a value a split function rejects), so it cannot be compared; nor can it be copied,
         * so it is not queued for repair. The other rows are compared as usual.
         */
        UNCONVERTIBLE
    }
}
