package dev.cutover.queue;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one {@link RetryStore#claim claim} got.
 *
 * @param entries the entries now leased to the caller, in sequence order, at most one per key
 * @param conflicts per migration, how many due entries another instance took first
 */
public record ClaimResult(List<RetryEntry> entries, Map<String, Integer> conflicts) {
    /** A claim that got nothing and lost nothing. */
    public static final ClaimResult EMPTY = new ClaimResult(List.of(), Map.of());

    /**
     * Copies the components.
     *
     * @throws NullPointerException if a component is null
     */
    public ClaimResult {
        entries = List.copyOf(Objects.requireNonNull(entries, "null entries"));
        conflicts = Map.copyOf(Objects.requireNonNull(conflicts, "null conflicts"));
    }
}
