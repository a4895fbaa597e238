package dev.cutover.dualwrite.internal;

import java.util.function.UnaryOperator;

/**
 * One column of a {@link dev.cutover.dualwrite.TableMapping} mapped one to one; key columns are
 * always such columns.
 *
 * @param source the column's name on the source
 * @param target the column's name on the target
 * @param keyType for a key column, the type of its source values as parsed from a routing key
 *     (String, Long, Integer or UUID); null otherwise
 * @param toTarget converts a source value (possibly null) to the target's value; for a translated
 *     key it may do I/O
 * @param toSource converts a target value (possibly null) to the source's value
 */
public record Column(String source, String target, Class<?> keyType, UnaryOperator<Object> toTarget,
        UnaryOperator<Object> toSource) {
    /** @return whether this column is part of the key */
    public boolean key() {
        return keyType != null;
    }
}
