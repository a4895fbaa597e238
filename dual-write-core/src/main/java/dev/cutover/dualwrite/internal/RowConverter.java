package dev.cutover.dualwrite.internal;

import dev.cutover.flags.Side;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Converts the rows and keys of one {@link dev.cutover.dualwrite.TableMapping} from one side's
 * values to the other's, through its column groups and key columns. Conversions may do I/O when a
 * key column is translated (see {@link dev.cutover.dualwrite.KeyTranslation}).
 */
public final class RowConverter {
    private final String entity;
    private final List<Column> keyColumns;
    private final List<ColumnGroup> groups;
    private final int sourceWidth;
    private final int targetWidth;

    /**
     * @param entity the mapping's entity, for the messages
     * @param keyColumns the key columns, in key order
     * @param groups every mapped group in row order, one per key column first
     */
    public RowConverter(String entity, List<Column> keyColumns, List<ColumnGroup> groups) {
        this.entity = Objects.requireNonNull(entity, "null entity");
        this.keyColumns = List.copyOf(keyColumns);
        this.groups = List.copyOf(groups);
        this.sourceWidth = this.groups.stream().mapToInt(g -> g.sourceColumns().size()).sum();
        this.targetWidth = this.groups.stream().mapToInt(g -> g.targetColumns().size()).sum();
    }

    /**
     * Converts a row read from one side into the row the other side should hold.
     *
     * @param from the side the row was read from
     * @param row the row's values in the mapping's {@code columnNames(from)} order
     * @return the values in {@code columnNames(from.other())} order
     * @throws IllegalArgumentException if the row's width is not the number of mapped columns, or a
     *     value has no conversion (e.g. a code missing from a code map)
     * @throws IllegalStateException if a group's conversion returns the wrong number of values
     * @throws dev.cutover.common.CutoverException if a key translation fails
     */
    public List<Object> convertRow(Side from, List<Object> row) {
        Objects.requireNonNull(from, "null from");
        int width = width(from);
        if (row.size() != width) {
            throw new IllegalArgumentException(entity + " maps " + width + " " + from.name().toLowerCase(Locale.ROOT)
                    + " columns, but the row has " + row.size());
        }
        List<Object> converted = new ArrayList<>(width(from.other()));
        int offset = 0;
        for (ColumnGroup group : groups) {
            int groupWidth = group.columns(from).size();
            converted.addAll(group.convert(entity, from, row.subList(offset, offset + groupWidth)));
            offset += groupWidth;
        }
        return converted;
    }

    /**
     * Converts key values known on one side into the other side's key values; a translation through
     * an id map may insert the missing entry.
     *
     * @param from the side the values belong to
     * @param keyValues one value per key column, in key order
     * @return the other side's key values, in key order
     * @throws IllegalArgumentException if the number of values does not match the key columns
     * @throws dev.cutover.common.CutoverException if a key translation fails
     */
    public List<Object> convertKey(Side from, List<Object> keyValues) {
        Objects.requireNonNull(from, "null from");
        RoutingKeyCodec.requireKeyCount(entity, keyColumns.size(), keyValues.size());
        List<Object> converted = new ArrayList<>(keyValues.size());
        for (int i = 0; i < keyValues.size(); i++) {
            Column column = keyColumns.get(i);
            converted.add((from == Side.SOURCE ? column.toTarget() : column.toSource()).apply(keyValues.get(i)));
        }
        return converted;
    }

    private int width(Side side) {
        return side == Side.SOURCE ? sourceWidth : targetWidth;
    }
}
