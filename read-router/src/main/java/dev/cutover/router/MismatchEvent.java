package dev.cutover.router;

import dev.cutover.flags.Side;
import dev.cutover.router.internal.MismatchFields;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A read whose source and target answers differed.
 *
 * <p>Values in {@link #differences()} are {@link ValueDifference#MASK masked} unless the router was
 * configured with {@link ReadRouterConfig.Builder#revealValues(boolean) revealValues(true)}; the
 * paths are always given.
 *
 * @param migration the migration
 * @param operation the method name or SQL text the caller gave
 * @param routingKey the read's routing key, or {@code null} for a keyless read
 * @param servedSide the side whose answer the caller received
 * @param differences where the answers differ, at least one
 * @param valuesRevealed whether the differences hold real values rather than masks
 * @param at when the comparison finished
 */
public record MismatchEvent(String migration, String operation, String routingKey, Side servedSide,
                            List<ValueDifference> differences, boolean valuesRevealed, Instant at) {
    /**
     * Checks and copies the fields.
     *
     * @param migration the migration
     * @param operation the method name or SQL text
     * @param routingKey the routing key, or {@code null}
     * @param servedSide the side whose answer the caller received
     * @param differences where the answers differ
     * @param valuesRevealed whether the differences hold real values
     * @param at when the comparison finished
     * @throws NullPointerException if a field other than the routing key is null
     */
    public MismatchEvent {
        Objects.requireNonNull(migration, "null migration");
        Objects.requireNonNull(operation, "null operation");
        Objects.requireNonNull(servedSide, "null servedSide");
        differences = List.copyOf(differences);
        Objects.requireNonNull(at, "null at");
    }

    /** @return the differing paths, in the order the comparator reported them */
    public List<String> paths() {
        return differences.stream().map(ValueDifference::path).toList();
    }

    /**
     * The differing fields, as counted in {@link ReadRouter#mismatchesByField()} and tagged on the
     * {@code cutover.router.shadow.field.mismatches} meter: each path without list positions
     * ({@code lines[2].price} becomes {@code lines.price}, the syntax of
     * {@link ValueComparator.Builder#ignoreFields(String...)}), path segments that are not plain names
     * (map keys such as ids or e-mail addresses) replaced by {@code *}, and {@code (result)} for a
     * difference in the result as a whole. Never holds values.
     *
     * @return the distinct fields, in the order of their first difference
     */
    public List<String> fields() {
        return differences.stream().map(d -> MismatchFields.fieldOf(d.path())).distinct().toList();
    }
}
