package dev.cutover.dualwrite;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import dev.cutover.dualwrite.internal.CodeMap;
import dev.cutover.dualwrite.internal.Column;
import dev.cutover.dualwrite.internal.ColumnGroup;
import dev.cutover.dualwrite.internal.Mappings;
import dev.cutover.dualwrite.internal.RoutingKeyCodec;
import dev.cutover.dualwrite.internal.RowConverter;
import dev.cutover.flags.Side;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * How the rows of one entity are laid out on the source and on the target: the two tables, the key
 * columns, which source column feeds which target column, and how values are converted each way.
 *
 * <p>{@link RowCopier} uses it to copy a key's current row from one side to the other, and the
 * retry-queue replays use it through {@link CopyReplayHandler}. Columns are mapped in groups: a
 * group of one source column and one target column ({@link Builder#column(String, String)}), or
 * of several columns on either side ({@link Builder#columns(List, List, Function, Function)}, e.g.
 * {@code name} split into {@code first_name} and {@code last_name}); each group converts its
 * values both ways. Key columns map one to one; their values are the same on both sides unless a
 * {@link KeyTranslation} translates them (e.g. legacy integer ids to UUIDs through an id-map
 * table). Columns not listed are neither read nor written.
 *
 * <p>Routing keys are always in the source's terms: {@link #keyValues(String)} parses the source's
 * key values, and the row copier translates them to the target's.
 *
 * <p>Conversions may do I/O: a key translation such as {@link KeyTranslation#idMap} may look up or
 * insert an id-map row, so converting a row or a key may block and may throw the translation's
 * {@link dev.cutover.common.CutoverException}. Value conversions of plain columns are expected to
 * be pure.
 *
 * <p>Conversions receive values as {@link RowCopier} and the verifier read them: dates, times and
 * timestamps without a time zone as {@code LocalDate}, {@code LocalTime} and {@code LocalDateTime}
 * (the stored fields, whatever the JVM's zone), timestamps with a time zone as
 * {@code OffsetDateTime}, a MariaDB {@code TIME} outside a day as text, binary columns
 * ({@code BYTEA}, {@code BLOB}, {@code VARBINARY}) as {@code byte[]} and {@code CLOB}s as
 * {@code String}, other columns as the driver's {@code getObject} returns them.
 *
 * <p>A routing key names one row: for a single key column it is the value as text (e.g.
 * {@code "42"}); for a composite key, {@link #key(Object...)} joins the values with {@code ','}
 * and escapes {@code ','} and {@code '\'} with a backslash.
 *
 * <p>Immutable and thread-safe. Names must be at most 48 ASCII letters, digits or underscores, not
 * starting with a digit, and are placed into SQL unquoted; a table may be qualified by a schema
 * ({@code "legacy.customer"}).
 */
public final class TableMapping {
    /** The types a key column's values may have, as parsed from a routing key. */
    private static final Set<Class<?>> KEY_TYPES = Set.of(String.class, Long.class, Integer.class, UUID.class);
    /** The conversion of columns copied unchanged, recognised by identity in {@link #isIdentity()}. */
    private static final UnaryOperator<Object> UNCHANGED = UnaryOperator.identity();

    private final String entity;
    private final String sourceTable;
    private final String targetTable;
    private final List<Column> keyColumns;
    private final List<ColumnGroup> groups;
    private final List<String> sourceColumnNames;
    private final List<String> targetColumnNames;
    private final List<String> sourceKeyNames;
    private final List<String> targetKeyNames;
    private final boolean identity;
    private final RoutingKeyCodec keyCodec;
    private final RowConverter converter;

    static {
        // The JDBC proxy and the verifier convert rows and keys through Mappings, so that the
        // conversions stay off this class's public API (the row copier, in this package, calls them).
        Mappings.install(new Mappings.Access() {
            @Override
            public List<ColumnGroup> groups(TableMapping mapping) {
                return mapping.groups();
            }

            @Override
            public List<Column> keyColumns(TableMapping mapping) {
                return mapping.keyColumns();
            }

            @Override
            public boolean isIdentity(TableMapping mapping) {
                return mapping.isIdentity();
            }

            @Override
            public List<Object> convertRow(TableMapping mapping, Side from, List<Object> row) {
                return mapping.convertRow(from, row);
            }

            @Override
            public List<Object> convertKey(TableMapping mapping, Side from, List<Object> keyValues) {
                return mapping.convertKey(from, keyValues);
            }
        });
    }

    private TableMapping(Builder b) {
        this.entity = b.entity;
        this.sourceTable = b.sourceTable;
        this.targetTable = b.targetTable == null ? b.sourceTable : b.targetTable;
        this.keyColumns = List.copyOf(b.keys);
        List<ColumnGroup> all = new ArrayList<>();
        keyColumns.forEach(k -> all.add(ColumnGroup.of(k)));
        all.addAll(b.groups);
        this.groups = List.copyOf(all);
        this.sourceColumnNames = groups.stream().flatMap(g -> g.sourceColumns().stream()).toList();
        this.targetColumnNames = groups.stream().flatMap(g -> g.targetColumns().stream()).toList();
        this.sourceKeyNames = keyColumns.stream().map(Column::source).toList();
        this.targetKeyNames = keyColumns.stream().map(Column::target).toList();
        this.identity = !b.converts;
        this.keyCodec = new RoutingKeyCodec(entity, keyColumns);
        this.converter = new RowConverter(entity, keyColumns, groups);
    }

    /**
     * Starts a mapping.
     *
     * @param entity the entity's name, used as the retry-queue entity of its keys: 1 to 48 ASCII
     *     letters, digits or underscores
     * @return the builder
     * @throws CutoverConfigurationException if the name is not such an identifier
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

    /**
     * The column groups in row order: one group per key column first, then the other groups in the
     * order they were added.
     *
     * @return every mapped group
     */
    List<ColumnGroup> groups() {
        return groups;
    }

    /** @return the key columns, in key order */
    List<Column> keyColumns() {
        return keyColumns;
    }

    /**
     * The mapped columns' names as one side knows them: the order in which rows are read from that
     * side, and in which a row copy converts them.
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
     * converted by {@link #convertRow} holds the very values read (columns may still be renamed,
     * but not split, merged or translated). The verifier compares such tables with checksums
     * computed inside the databases when both run the same engine; any conversion makes it compare
     * converted values row by row instead.
     *
     * @return true if no column of this mapping converts its values
     */
    boolean isIdentity() {
        return identity;
    }

    /**
     * @return whether a key column translates its values ({@link Builder#key(String, String, Class,
     *     KeyTranslation)}), so that a key's values differ between the sides
     */
    boolean keysTranslated() {
        return keyColumns.stream().anyMatch(k -> k.toTarget() != UNCHANGED || k.toSource() != UNCHANGED);
    }

    /**
     * Converts a row read from one side into the row the other side should hold.
     *
     * <p>May do I/O when a key column is translated (see {@link KeyTranslation}).
     *
     * @param from the side the row was read from
     * @param row the row's values in {@link #columnNames(Side) columnNames(from)} order
     * @return the values in {@code columnNames(from.other())} order
     * @throws IllegalArgumentException if the row's width is not the number of mapped columns, or a
     *     value has no conversion (e.g. a code missing from a code map)
     * @throws IllegalStateException if a group's conversion returns the wrong number of values
     * @throws dev.cutover.common.CutoverException if a key translation fails
     */
    List<Object> convertRow(Side from, List<Object> row) {
        return converter.convertRow(from, row);
    }

    /**
     * Converts key values known on one side into the other side's key values.
     *
     * <p>May do I/O when a key column is translated (see {@link KeyTranslation}); a translation
     * through an id map may insert the missing entry.
     *
     * @param from the side the values belong to
     * @param keyValues one value per key column, in key order, e.g. from {@link #keyValues(String)}
     *     for the source
     * @return the other side's key values, in key order
     * @throws IllegalArgumentException if the number of values does not match the key columns
     * @throws dev.cutover.common.CutoverException if a key translation fails
     */
    List<Object> convertKey(Side from, List<Object> keyValues) {
        return converter.convertKey(from, keyValues);
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
        return keyCodec.render(values);
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
        return keyCodec.parse(key);
    }

    @Override
    public String toString() {
        return "TableMapping{" + entity + ": " + sourceTable + " -> " + targetTable + ", " + sourceColumnNames.size()
                + " -> " + targetColumnNames.size() + " columns}";
    }

    private static String side(Side side) {
        return side.name().toLowerCase(Locale.ROOT);
    }

    /** Builds a {@link TableMapping}; not thread-safe. */
    public static final class Builder {
        private final String entity;
        private final List<Column> keys = new ArrayList<>();
        private final List<ColumnGroup> groups = new ArrayList<>();
        private String sourceTable;
        private String targetTable;
        /** Whether any column or key converts values, or any group spans other than one column per side. */
        private boolean converts;

        private Builder(String entity) {
            this.entity = Checks.identifier(entity, "entity");
            if (entity.isEmpty()) {
                throw new CutoverConfigurationException("entity must not be empty");
            }
        }

        /**
         * Sets the table on the source.
         *
         * @param table the table, optionally {@code schema.table}; default the entity's name
         * @return this builder
         * @throws CutoverConfigurationException if a part is not a plain identifier
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
         * @throws CutoverConfigurationException if a part is not a plain identifier
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
         * @throws CutoverConfigurationException if the name or the type is not allowed, or the column is
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
         * @throws CutoverConfigurationException if a name or the type is not allowed, or a column is
         *     already mapped
         */
        public Builder key(String sourceColumn, String targetColumn, Class<?> type) {
            return addKey(sourceColumn, targetColumn, type, UNCHANGED, UNCHANGED);
        }

        /**
         * Adds a key column whose values differ between the sides, e.g. a legacy integer id on the
         * source and a UUID on the target ({@link KeyTranslation#idMap}). Routing keys stay in the
         * source's terms.
         *
         * @param sourceColumn the column on the source
         * @param targetColumn the column on the target
         * @param sourceType the type of the source's values, as parsed from a routing key:
         *     {@code String}, {@code Long}, {@code Integer} or {@code UUID}
         * @param translation translates values both ways; may do I/O
         * @return this builder
         * @throws CutoverConfigurationException if a name or the type is not allowed, or a column is
         *     already mapped
         */
        public Builder key(String sourceColumn, String targetColumn, Class<?> sourceType, KeyTranslation translation) {
            Objects.requireNonNull(translation, "null translation");
            converts = true;
            return addKey(sourceColumn, targetColumn, sourceType, translation::toTarget, translation::toSource);
        }

        private Builder addKey(String sourceColumn, String targetColumn, Class<?> sourceType, UnaryOperator<Object> toTarget,
                UnaryOperator<Object> toSource) {
            Objects.requireNonNull(sourceType, "null type");
            if (!KEY_TYPES.contains(sourceType)) {
                throw new CutoverConfigurationException("key type of " + sourceColumn
                        + " must be one of String, Long, Integer, UUID, but was " + sourceType.getName());
            }
            requireFree(List.of(sourceColumn), List.of(targetColumn));
            keys.add(new Column(sourceColumn, targetColumn, sourceType, toTarget, toSource));
            return this;
        }

        /**
         * Adds a column copied unchanged, with the same name on both sides.
         *
         * @param column the column
         * @return this builder
         * @throws CutoverConfigurationException if the name is not an identifier or already mapped
         */
        public Builder column(String column) {
            return column(column, column);
        }

        /**
         * Adds columns copied unchanged, each with the same name on both sides.
         *
         * @param columns the columns
         * @return this builder
         * @throws CutoverConfigurationException if a name is not an identifier or already mapped
         */
        public Builder columns(String... columns) {
            for (String column : columns) {
                column(column);
            }
            return this;
        }

        /**
         * Adds a column copied unchanged that is renamed on the target.
         *
         * @param sourceColumn the column on the source
         * @param targetColumn the column on the target
         * @return this builder
         * @throws CutoverConfigurationException if a name is not an identifier or already mapped
         */
        public Builder column(String sourceColumn, String targetColumn) {
            return column(sourceColumn, targetColumn, UNCHANGED, UNCHANGED);
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
         * @throws CutoverConfigurationException if a name is not an identifier or already mapped
         */
        public Builder column(String sourceColumn, String targetColumn, UnaryOperator<Object> toTarget,
                UnaryOperator<Object> toSource) {
            Objects.requireNonNull(toTarget, "null toTarget");
            Objects.requireNonNull(toSource, "null toSource");
            requireFree(List.of(sourceColumn), List.of(targetColumn));
            groups.add(ColumnGroup.of(new Column(sourceColumn, targetColumn, null, toTarget, toSource)));
            converts |= toTarget != UNCHANGED || toSource != UNCHANGED;
            return this;
        }

        /**
         * Adds a column whose values are codes on one side and words on the other, e.g. a status
         * {@code 'A'} on the source and {@code 'active'} on the target. Null stays null; a value
         * missing from the map fails the conversion with an {@link IllegalArgumentException}.
         *
         * <p>Codes are compared with {@code equals}, so give them the type the driver returns (a
         * {@code CHAR(1)} column reads as a {@code String}, not a {@code Character}).
         *
         * @param sourceColumn the column on the source
         * @param targetColumn the column on the target
         * @param sourceToTarget each source value and its target value; one to one
         * @return this builder
         * @throws CutoverConfigurationException if the map is empty, holds a null, maps two source values
         *     to the same target value (the copy back to the source could not choose), or a name is
         *     not an identifier or already mapped
         */
        public Builder column(String sourceColumn, String targetColumn, Map<?, ?> sourceToTarget) {
            CodeMap codes = CodeMap.of(entity, sourceColumn, targetColumn, sourceToTarget);
            return column(sourceColumn, targetColumn, codes.toTarget(), codes.toSource());
        }

        /**
         * Adds a group of columns converted together, e.g. a source {@code name} split into target
         * {@code first_name} and {@code last_name}. Both directions are needed: while the target is
         * primary, rows are copied back to the source so that rollback stays possible; the two
         * functions should be inverse for every row the application writes.
         *
         * @param sourceColumns the columns on the source, at least one
         * @param targetColumns the columns on the target, at least one
         * @param toTarget from the source columns' values, in order (possibly null values), to
         *     exactly {@code targetColumns.size()} values; must be thread-safe and free of side effects
         * @param toSource from the target columns' values to exactly {@code sourceColumns.size()} values
         * @return this builder
         * @throws CutoverConfigurationException if a list is empty or repeats a name, or a name is not an
         *     identifier or already mapped
         */
        public Builder columns(List<String> sourceColumns, List<String> targetColumns,
                Function<List<Object>, List<Object>> toTarget, Function<List<Object>, List<Object>> toSource) {
            Objects.requireNonNull(sourceColumns, "null sourceColumns");
            Objects.requireNonNull(targetColumns, "null targetColumns");
            Objects.requireNonNull(toTarget, "null toTarget");
            Objects.requireNonNull(toSource, "null toSource");
            if (sourceColumns.isEmpty() || targetColumns.isEmpty()) {
                throw new CutoverConfigurationException("A column group of " + entity + " needs at least one column on each"
                        + " side, but was " + sourceColumns + " -> " + targetColumns);
            }
            requireFree(sourceColumns, targetColumns);
            groups.add(new ColumnGroup(sourceColumns, targetColumns, toTarget, toSource));
            converts = true;
            return this;
        }

        /** Checks the names and that no column is mapped twice on either side, within the new group too. */
        private void requireFree(List<String> sourceColumns, List<String> targetColumns) {
            sourceColumns.forEach(c -> requireColumn(c, "sourceColumn"));
            targetColumns.forEach(c -> requireColumn(c, "targetColumn"));
            List<ColumnGroup> mapped = new ArrayList<>();
            keys.forEach(k -> mapped.add(ColumnGroup.of(k)));
            mapped.addAll(groups);
            for (Side side : Side.values()) {
                List<String> added = side == Side.SOURCE ? sourceColumns : targetColumns;
                for (int i = 0; i < added.size(); i++) {
                    String name = added.get(i);
                    for (int j = 0; j < i; j++) {
                        if (added.get(j).equalsIgnoreCase(name)) {
                            throw new CutoverConfigurationException("Column " + name + " is named twice on the " + side(side)
                                    + " in " + sourceColumns + " -> " + targetColumns + " of " + entity);
                        }
                    }
                    for (ColumnGroup group : mapped) {
                        if (group.columns(side).stream().anyMatch(name::equalsIgnoreCase)) {
                            throw new CutoverConfigurationException("Column " + describe(sourceColumns, targetColumns) + " of "
                                    + entity + " overlaps the mapped column "
                                    + describe(group.sourceColumns(), group.targetColumns()) + " on the " + side(side)
                                    + " (" + name + "): map each column once");
                        }
                    }
                }
            }
        }

        private static String describe(List<String> sourceColumns, List<String> targetColumns) {
            return (sourceColumns.size() == 1 ? sourceColumns.get(0) : sourceColumns.toString()) + " -> "
                    + (targetColumns.size() == 1 ? targetColumns.get(0) : targetColumns.toString());
        }

        /**
         * Validates and builds the mapping.
         *
         * @return the mapping
         * @throws CutoverConfigurationException if the source table or every key column is missing
         */
        public TableMapping build() {
            if (sourceTable == null) {
                sourceTable = requireTable(entity, "sourceTable");
            }
            if (keys.isEmpty()) {
                throw new CutoverConfigurationException(entity + " needs at least one key column: call key(column, type)");
            }
            return new TableMapping(this);
        }

        private static String requireTable(String table, String what) {
            Objects.requireNonNull(table, () -> "null " + what);
            String[] parts = table.split("\\.", -1);
            if (parts.length > 2) {
                throw new CutoverConfigurationException(what + " must be 'table' or 'schema.table', but was '" + table + "'");
            }
            for (String part : parts) {
                requireColumn(part, what);
            }
            return table;
        }

        private static void requireColumn(String name, String what) {
            Objects.requireNonNull(name, () -> "null " + what);
            Checks.identifier(name, what);
            if (name.isEmpty()) {
                throw new CutoverConfigurationException(what + " must not be empty");
            }
        }
    }
}
