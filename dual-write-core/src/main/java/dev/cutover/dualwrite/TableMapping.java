package dev.cutover.dualwrite;

import dev.cutover.common.Dialect;
import dev.cutover.flags.Side;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * How the rows of one entity are laid out on the source and on the target: the two tables, the key
 * columns, which source column feeds which target column, and how values are converted each way.
 *
 * <p>{@link KeyResync} uses it to copy a key's current row from one side to the other, and the
 * retry-queue replays use it through {@link ResyncReplayHandler}. Every source column maps to one
 * target column; key columns keep their values on both sides (they may be renamed, not
 * transformed). Columns not listed are neither read nor written.
 *
 * <p>A routing key names one row: for a single key column it is the value as text (e.g.
 * {@code "42"}); for a composite key, {@link #key(Object...)} joins the values with {@code ','}
 * and escapes {@code ','} and {@code '\'} with a backslash.
 *
 * <p>Immutable and thread-safe. Names are checked with {@link Dialect#requireIdentifier} and
 * placed into SQL unquoted; a table may be qualified by a schema ({@code "legacy.customer"}).
 */
public final class TableMapping {
    /** The types a key column's values may have, as parsed from a routing key. */
    private static final Set<Class<?>> KEY_TYPES = Set.of(String.class, Long.class, Integer.class, UUID.class);
    /** The conversion of columns copied unchanged, recognised by identity in {@link #isIdentity()}. */
    private static final UnaryOperator<Object> UNCHANGED = UnaryOperator.identity();

    private final String entity;
    private final String sourceTable;
    private final String targetTable;
    private final List<Column> columns;
    private final List<Column> keyColumns;
    private final List<String> sourceColumnNames;
    private final List<String> targetColumnNames;
    private final List<String> sourceKeyNames;
    private final List<String> targetKeyNames;
    private final boolean identity;

    private TableMapping(Builder b) {
        this.entity = b.entity;
        this.sourceTable = b.sourceTable;
        this.targetTable = b.targetTable == null ? b.sourceTable : b.targetTable;
        this.columns = List.copyOf(b.columns);
        this.keyColumns = columns.stream().filter(Column::key).toList();
        this.sourceColumnNames = columns.stream().map(Column::source).toList();
        this.targetColumnNames = columns.stream().map(Column::target).toList();
        this.sourceKeyNames = keyColumns.stream().map(Column::source).toList();
        this.targetKeyNames = keyColumns.stream().map(Column::target).toList();
        this.identity = columns.stream().allMatch(c -> c.toTarget() == UNCHANGED && c.toSource() == UNCHANGED);
    }

    /**
     * Starts a mapping.
     *
     * @param entity the entity's name, used as the retry-queue entity of its keys: 1 to 48 ASCII
     *     letters, digits or underscores
     * @return the builder
     * @throws IllegalArgumentException if the name is not such an identifier
     */
    public static Builder builder(String entity) {
        return new Builder(entity);
    }

    /** @return the entity's name */
    public String entity() {
        return entity;
    }

    /** @return the table on the source, possibly schema-qualified */
    public String sourceTable() {
        return sourceTable;
    }

    /** @return the table on the target; the source table's name unless set */
    public String targetTable() {
        return targetTable;
    }

    /** @return every mapped column, key columns first, in the order they were added */
    public List<Column> columns() {
        return columns;
    }

    /** @return the key columns, in key order */
    public List<Column> keyColumns() {
        return keyColumns;
    }

    /**
     * The mapped columns' names as one side knows them: the order in which rows are read from that
     * side and passed to {@link #convertRow(Side, List)}.
     *
     * @param side the side
     * @return the column names, key columns first
     */
    public List<String> columnNames(Side side) {
        return side == Side.SOURCE ? sourceColumnNames : targetColumnNames;
    }

    /**
     * The key columns' names as one side knows them, in key order.
     *
     * @param side the side
     * @return the key column names
     */
    public List<String> keyColumnNames(Side side) {
        return side == Side.SOURCE ? sourceKeyNames : targetKeyNames;
    }

    /**
     * Whether every value, keys included, is copied unchanged in both directions, so that a row
     * converted by {@link #convertRow} holds the very values read (columns may still be renamed).
     * The verifier compares such tables with checksums computed inside the databases when both run
     * the same engine; any conversion makes it compare converted values row by row instead.
     *
     * @return true if no column of this mapping converts its values
     */
    public boolean isIdentity() {
        return identity;
    }

    /**
     * Converts a row read from one side into the row the other side should hold.
     *
     * @param from the side the row was read from
     * @param row the row's values in {@link #columnNames(Side) columnNames(from)} order
     * @return the values in {@code columnNames(from.other())} order
     * @throws IllegalArgumentException if the row's width is not the number of mapped columns
     */
    public List<Object> convertRow(Side from, List<Object> row) {
        Objects.requireNonNull(from, "null from");
        if (row.size() != columns.size()) {
            throw new IllegalArgumentException(entity + " maps " + columns.size() + " columns, but the row has " + row.size());
        }
        List<Object> converted = new ArrayList<>(row.size());
        for (int i = 0; i < row.size(); i++) {
            Column column = columns.get(i);
            converted.add((from == Side.SOURCE ? column.toTarget() : column.toSource()).apply(row.get(i)));
        }
        return converted;
    }

    /**
     * Converts key values known on one side into the other side's key values.
     *
     * @param from the side the values belong to
     * @param keyValues one value per key column, in key order, e.g. from {@link #keyValues(String)}
     *     for the source
     * @return the other side's key values, in key order
     * @throws IllegalArgumentException if the number of values does not match the key columns
     */
    public List<Object> convertKey(Side from, List<Object> keyValues) {
        Objects.requireNonNull(from, "null from");
        if (keyValues.size() != keyColumns.size()) {
            throw new IllegalArgumentException(entity + " has " + keyColumns.size() + " key column(s), but "
                    + keyValues.size() + " value(s) were given");
        }
        List<Object> converted = new ArrayList<>(keyValues.size());
        for (int i = 0; i < keyValues.size(); i++) {
            Column column = keyColumns.get(i);
            converted.add((from == Side.SOURCE ? column.toTarget() : column.toSource()).apply(keyValues.get(i)));
        }
        return converted;
    }

    /**
     * Builds the routing key of a row from its key values.
     *
     * @param values one value per key column, in key order; rendered with {@code String.valueOf}
     * @return the routing key
     * @throws IllegalArgumentException if the number of values does not match the key columns
     * @throws NullPointerException if a value is null
     */
    public String key(Object... values) {
        Objects.requireNonNull(values, "null values");
        if (values.length != keyColumns.size()) {
            throw new IllegalArgumentException(entity + " has " + keyColumns.size() + " key column(s), but "
                    + values.length + " value(s) were given");
        }
        if (values.length == 1) {
            return String.valueOf(Objects.requireNonNull(values[0], "null key value"));
        }
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                key.append(',');
            }
            String text = String.valueOf(Objects.requireNonNull(values[i], "null key value"));
            key.append(text.replace("\\", "\\\\").replace(",", "\\,"));
        }
        return key.toString();
    }

    /**
     * Parses a routing key into typed key values, the inverse of {@link #key(Object...)}.
     *
     * @param key the routing key
     * @return one value per key column, of the column's declared type
     * @throws IllegalArgumentException if the key has the wrong number of parts or a part does not
     *     parse as its column's type
     */
    public List<Object> keyValues(String key) {
        Objects.requireNonNull(key, "null key");
        List<String> parts = keyColumns.size() == 1 ? List.of(key) : splitKey(key);
        if (parts.size() != keyColumns.size()) {
            throw new IllegalArgumentException("Key '" + key + "' of " + entity + " has " + parts.size()
                    + " part(s), but the entity has " + keyColumns.size() + " key column(s)");
        }
        List<Object> values = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            values.add(parse(parts.get(i), keyColumns.get(i)));
        }
        return values;
    }

    private Object parse(String text, Column column) {
        try {
            if (column.keyType() == Long.class) {
                return Long.valueOf(text);
            }
            if (column.keyType() == Integer.class) {
                return Integer.valueOf(text);
            }
            if (column.keyType() == UUID.class) {
                return UUID.fromString(text);
            }
            return text;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Key part '" + text + "' of " + entity + " is not a valid "
                    + column.keyType().getSimpleName() + " for key column " + column.source(), e);
        }
    }

    private static List<String> splitKey(String key) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '\\' && i + 1 < key.length()) {
                part.append(key.charAt(++i));
            } else if (c == ',') {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        return parts;
    }

    @Override
    public String toString() {
        return "TableMapping{" + entity + ": " + sourceTable + " -> " + targetTable + ", " + columns.size() + " columns}";
    }

    /**
     * One mapped column.
     *
     * @param source the column's name on the source
     * @param target the column's name on the target
     * @param keyType for a key column, the type of its values (String, Long, Integer or UUID); null otherwise
     * @param toTarget converts a source value (possibly null) to the target's value
     * @param toSource converts a target value (possibly null) to the source's value
     */
    public record Column(String source, String target, Class<?> keyType, UnaryOperator<Object> toTarget,
            UnaryOperator<Object> toSource) {
        /** @return whether this column is part of the key */
        public boolean key() {
            return keyType != null;
        }
    }

    /** Builds a {@link TableMapping}; not thread-safe. */
    public static final class Builder {
        private final String entity;
        private final List<Column> columns = new ArrayList<>();
        private String sourceTable;
        private String targetTable;

        private Builder(String entity) {
            this.entity = Dialect.requireIdentifier(entity, "entity");
            if (entity.isEmpty()) {
                throw new IllegalArgumentException("entity must not be empty");
            }
        }

        /**
         * Sets the table on the source.
         *
         * @param table the table, optionally {@code schema.table}; required
         * @return this builder
         * @throws IllegalArgumentException if a part is not a plain identifier
         */
        public Builder sourceTable(String table) {
            this.sourceTable = requireTable(table, "sourceTable");
            return this;
        }

        /**
         * Sets the table on the target.
         *
         * @param table the table, optionally {@code schema.table}; default the source table's name
         * @return this builder
         * @throws IllegalArgumentException if a part is not a plain identifier
         */
        public Builder targetTable(String table) {
            this.targetTable = requireTable(table, "targetTable");
            return this;
        }

        /**
         * Adds a key column with the same name on both sides.
         *
         * @param column the column
         * @param type the type of its values: {@code String}, {@code Long}, {@code Integer} or {@code UUID}
         * @return this builder
         * @throws IllegalArgumentException if the name or the type is not allowed, or the column is
         *     already mapped
         */
        public Builder key(String column, Class<?> type) {
            return key(column, column, type);
        }

        /**
         * Adds a key column that is renamed on the target; its values are the same on both sides.
         *
         * @param sourceColumn the column on the source
         * @param targetColumn the column on the target
         * @param type the type of its values: {@code String}, {@code Long}, {@code Integer} or {@code UUID}
         * @return this builder
         * @throws IllegalArgumentException if a name or the type is not allowed, or a column is
         *     already mapped
         */
        public Builder key(String sourceColumn, String targetColumn, Class<?> type) {
            Objects.requireNonNull(type, "null type");
            if (!KEY_TYPES.contains(type)) {
                throw new IllegalArgumentException("key type of " + sourceColumn
                        + " must be one of String, Long, Integer, UUID, but was " + type.getName());
            }
            return add(sourceColumn, targetColumn, type, UNCHANGED, UNCHANGED);
        }

        /**
         * Adds a column copied unchanged, with the same name on both sides.
         *
         * @param column the column
         * @return this builder
         * @throws IllegalArgumentException if the name is not an identifier or already mapped
         */
        public Builder column(String column) {
            return column(column, column);
        }

        /**
         * Adds a column copied unchanged that is renamed on the target.
         *
         * @param sourceColumn the column on the source
         * @param targetColumn the column on the target
         * @return this builder
         * @throws IllegalArgumentException if a name is not an identifier or already mapped
         */
        public Builder column(String sourceColumn, String targetColumn) {
            return add(sourceColumn, targetColumn, null, UNCHANGED, UNCHANGED);
        }

        /**
         * Adds a column whose values are converted between the two sides. Both directions are needed:
         * while the target is primary, rows are copied back to the source so that rollback stays possible.
         *
         * @param sourceColumn the column on the source
         * @param targetColumn the column on the target
         * @param toTarget converts a source value (possibly null) to the target's value; must be
         *     thread-safe and free of side effects
         * @param toSource converts a target value (possibly null) back to the source's value
         * @return this builder
         * @throws IllegalArgumentException if a name is not an identifier or already mapped
         */
        public Builder column(String sourceColumn, String targetColumn, UnaryOperator<Object> toTarget,
                UnaryOperator<Object> toSource) {
            Objects.requireNonNull(toTarget, "null toTarget");
            Objects.requireNonNull(toSource, "null toSource");
            return add(sourceColumn, targetColumn, null, toTarget, toSource);
        }

        private Builder add(String sourceColumn, String targetColumn, Class<?> keyType, UnaryOperator<Object> toTarget,
                UnaryOperator<Object> toSource) {
            requireColumn(sourceColumn, "sourceColumn");
            requireColumn(targetColumn, "targetColumn");
            for (Column c : columns) {
                if (c.source().equalsIgnoreCase(sourceColumn) || c.target().equalsIgnoreCase(targetColumn)) {
                    throw new IllegalArgumentException("Column " + sourceColumn + " -> " + targetColumn
                            + " of " + entity + " overlaps the mapped column " + c.source() + " -> " + c.target());
                }
            }
            Column column = new Column(sourceColumn, targetColumn, keyType, toTarget, toSource);
            if (keyType != null) {
                int firstValueColumn = (int) columns.stream().filter(Column::key).count();
                columns.add(firstValueColumn, column);
            } else {
                columns.add(column);
            }
            return this;
        }

        /**
         * Validates and builds the mapping.
         *
         * @return the mapping
         * @throws IllegalStateException if the source table or every key column is missing
         */
        public TableMapping build() {
            if (sourceTable == null) {
                throw new IllegalStateException("sourceTable of " + entity + " must be set");
            }
            if (columns.stream().noneMatch(Column::key)) {
                throw new IllegalStateException(entity + " needs at least one key column: call key(column, type)");
            }
            return new TableMapping(this);
        }

        private static String requireTable(String table, String what) {
            Objects.requireNonNull(table, () -> "null " + what);
            String[] parts = table.split("\\.", -1);
            if (parts.length > 2) {
                throw new IllegalArgumentException(what + " must be 'table' or 'schema.table', but was '" + table + "'");
            }
            for (String part : parts) {
                requireColumn(part, what);
            }
            return table;
        }

        private static void requireColumn(String name, String what) {
            Dialect.requireIdentifier(name, what);
            if (name.isEmpty()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
        }
    }
}
