package dev.cutover.dualwrite.internal;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.flags.Side;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The two conversions of a column whose values are codes on one side and words on the other
 * ({@code TableMapping.Builder.column(String, String, Map)}). The map must be one to one, so that a
 * row copied back to the source while the target is primary converts as well as one copied forward.
 */
public final class CodeMap {
    private final String entity;
    private final String sourceColumn;
    private final String targetColumn;
    private final Map<Object, Object> toTarget;
    private final Map<Object, Object> toSource;

    private CodeMap(String entity, String sourceColumn, String targetColumn, Map<Object, Object> toTarget,
            Map<Object, Object> toSource) {
        this.entity = entity;
        this.sourceColumn = sourceColumn;
        this.targetColumn = targetColumn;
        this.toTarget = toTarget;
        this.toSource = toSource;
    }

    /**
     * @param entity the mapping's entity, for the messages
     * @param sourceColumn the column on the source, for the messages
     * @param targetColumn the column on the target, for the messages
     * @param sourceToTarget each source value and its target value
     * @return the code map
     * @throws CutoverConfigurationException if the map is empty, holds a null or maps two source values
     *     to the same target value
     */
    public static CodeMap of(String entity, String sourceColumn, String targetColumn, Map<?, ?> sourceToTarget) {
        Objects.requireNonNull(sourceToTarget, "null sourceToTarget");
        if (sourceToTarget.isEmpty()) {
            throw new CutoverConfigurationException("The code map of " + entity + "." + sourceColumn + " is empty");
        }
        Map<Object, Object> forward = new HashMap<>();
        Map<Object, Object> inverse = new HashMap<>();
        for (Map.Entry<?, ?> entry : sourceToTarget.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new CutoverConfigurationException("The code map of " + entity + "." + sourceColumn
                        + " holds a null (" + entry.getKey() + " -> " + entry.getValue()
                        + "); nulls are kept as null without an entry");
            }
            Object clash = inverse.put(entry.getValue(), entry.getKey());
            if (clash != null) {
                throw new CutoverConfigurationException("The code map of " + entity + "." + sourceColumn + " maps both '"
                        + clash + "' and '" + entry.getKey() + "' to '" + entry.getValue()
                        + "', so a row copied back to the source could not be converted: make it one to one");
            }
            forward.put(entry.getKey(), entry.getValue());
        }
        return new CodeMap(entity, sourceColumn, targetColumn, Map.copyOf(forward), Map.copyOf(inverse));
    }

    /** @return the conversion of a source value to its target value; null stays null */
    public UnaryOperator<Object> toTarget() {
        return value -> code(toTarget, value, sourceColumn, Side.SOURCE);
    }

    /** @return the conversion of a target value back to its source value; null stays null */
    public UnaryOperator<Object> toSource() {
        return value -> code(toSource, value, targetColumn, Side.TARGET);
    }

    private Object code(Map<Object, Object> codes, Object value, String column, Side from) {
        if (value == null) {
            return null;
        }
        Object converted = codes.get(value);
        if (converted == null) {
            throw new IllegalArgumentException("Value '" + value + "' of " + entity + "." + column + " on the "
                    + from.name().toLowerCase(Locale.ROOT) + " has no entry in its code map " + codes.keySet()
                    + ": add it to the map");
        }
        return converted;
    }
}
