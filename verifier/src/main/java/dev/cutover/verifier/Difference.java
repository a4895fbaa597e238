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
 *     differ, in target column order; empty otherwise
 */
public record Difference(String key, Kind kind, List<String> columns) {
    /**
     * Validates and copies.
     *
     * @throws NullPointerException if a component is null
     */
    public Difference {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(kind, "null kind");
        columns = List.copyOf(columns);
    }

    /** How the two sides differ for a key. */
    public enum Kind {
        /** The source has a row for the key, the target has none. */
        MISSING_ON_TARGET,
        /** The target has a row for the key, the source has none. */
        EXTRA_ON_TARGET,
        /** Both sides have a row, and some mapped columns' values differ. */
        DIFFERENT_VALUES
    }
}
