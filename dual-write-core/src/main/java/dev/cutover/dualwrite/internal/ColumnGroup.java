package dev.cutover.dualwrite.internal;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.flags.Side;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Several source columns of a {@link dev.cutover.dualwrite.TableMapping} mapped to several target
 * columns, converted as a whole each way.
 *
 * @param sourceColumns the columns on the source, at least one
 * @param targetColumns the columns on the target, at least one
 * @param toTarget from the source columns' values (in order) to the target columns' values
 * @param toSource from the target columns' values (in order) to the source columns' values
 */
public record ColumnGroup(List<String> sourceColumns, List<String> targetColumns,
        Function<List<Object>, List<Object>> toTarget, Function<List<Object>, List<Object>> toSource) {
    /**
     * Copies the lists.
     *
     * @throws CutoverConfigurationException if a list is empty
     */
    public ColumnGroup {
        sourceColumns = List.copyOf(sourceColumns);
        targetColumns = List.copyOf(targetColumns);
        if (sourceColumns.isEmpty() || targetColumns.isEmpty()) {
            throw new CutoverConfigurationException("A column group needs at least one column on each side, but was "
                    + sourceColumns + " -> " + targetColumns);
        }
        Objects.requireNonNull(toTarget, "null toTarget");
        Objects.requireNonNull(toSource, "null toSource");
    }

    /**
     * The group of one column.
     *
     * @param column the column
     * @return a group converting its one value each way
     */
    public static ColumnGroup of(Column column) {
        return new ColumnGroup(List.of(column.source()), List.of(column.target()),
                values -> Collections.singletonList(column.toTarget().apply(values.get(0))),
                values -> Collections.singletonList(column.toSource().apply(values.get(0))));
    }

    /**
     * The group's columns on one side.
     *
     * @param side the side
     * @return the columns, in the order their values are passed and returned
     */
    public List<String> columns(Side side) {
        return side == Side.SOURCE ? sourceColumns : targetColumns;
    }

    /**
     * Converts the group's values read from one side into the other side's.
     *
     * @param entity the mapping's entity, for the message
     * @param from the side the values were read from
     * @param values the values, in {@link #columns(Side) columns(from)} order
     * @return the other side's values
     * @throws IllegalStateException if the conversion returns the wrong number of values
     */
    public List<Object> convert(String entity, Side from, List<Object> values) {
        List<Object> converted = (from == Side.SOURCE ? toTarget : toSource).apply(Collections.unmodifiableList(values));
        int expected = columns(from.other()).size();
        if (converted == null || converted.size() != expected) {
            throw new IllegalStateException("The conversion of " + entity + " " + sourceColumns + " -> " + targetColumns
                    + " to the " + side(from.other()) + " returned " + (converted == null ? "null" : converted.size()
                    + " value(s)") + ", but must return " + expected + ": fix the function given to columns(...)");
        }
        return converted;
    }

    private static String side(Side side) {
        return side.name().toLowerCase(Locale.ROOT);
    }
}
