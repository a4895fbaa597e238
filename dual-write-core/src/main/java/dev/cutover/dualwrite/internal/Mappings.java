package dev.cutover.dualwrite.internal;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.AccessHooks;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Side;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the row copier, the JDBC proxy and the verifier need of a {@link TableMapping} beyond its
 * description: its column groups and the conversion of rows and keys between the sides. The
 * mapping hands these over when its class is initialised, so they stay off its public API; every
 * method here takes a mapping, whose class is then initialised already.
 */
public final class Mappings {
    private static volatile Access access;

    private Mappings() {
    }

    /** The package-private side of {@link TableMapping}, implemented by that class alone. */
    public interface Access {
        /**
         * @param mapping the mapping
         * @return its column groups in row order, one per key column first
         */
        List<ColumnGroup> groups(TableMapping mapping);

        /**
         * @param mapping the mapping
         * @return its key columns, in key order
         */
        List<Column> keyColumns(TableMapping mapping);

        /**
         * @param mapping the mapping
         * @return whether no column converts its values
         */
        boolean isIdentity(TableMapping mapping);

        /**
         * @param mapping the mapping
         * @param from the side the row was read from
         * @param row the values in {@code mapping.columnNames(from)} order
         * @return the values in {@code mapping.columnNames(from.other())} order
         */
        List<Object> convertRow(TableMapping mapping, Side from, List<Object> row);

        /**
         * @param mapping the mapping
         * @param from the side the values belong to
         * @param keyValues one value per key column, in key order
         * @return the other side's key values
         */
        List<Object> convertKey(TableMapping mapping, Side from, List<Object> keyValues);
    }

    /**
     * Called once, by {@link TableMapping}'s static initialiser.
     *
     * @param tableMappingAccess the mapping's implementation
     * @throws IllegalStateException if called a second time or from elsewhere
     */
    public static void install(Access tableMappingAccess) {
        access = AccessHooks.checkInstall(access, tableMappingAccess, TableMapping.class);
    }

    /**
     * Adds a mapping under its entity, as the builders that take several mappings do.
     *
     * @param byEntity the mappings added so far, by entity
     * @param mapping the mapping to add
     * @throws CutoverConfigurationException if an entity of that name is already mapped
     */
    public static void addOnce(Map<String, TableMapping> byEntity, TableMapping mapping) {
        Objects.requireNonNull(mapping, "null mapping");
        if (byEntity.putIfAbsent(mapping.entity(), mapping) != null) {
            throw new CutoverConfigurationException("Entity '" + mapping.entity() + "' is mapped twice: add each"
                    + " entity's mapping once, and give different tables different entity names");
        }
    }

    /**
     * The column groups in row order: one group per key column first, then the other groups in the
     * order they were added.
     *
     * @param mapping the mapping
     * @return every mapped group
     */
    public static List<ColumnGroup> groups(TableMapping mapping) {
        return access.groups(Objects.requireNonNull(mapping, "null mapping"));
    }

    /**
     * @param mapping the mapping
     * @return its key columns, in key order
     */
    public static List<Column> keyColumns(TableMapping mapping) {
        return access.keyColumns(Objects.requireNonNull(mapping, "null mapping"));
    }

    /**
     * Whether every value, keys included, is copied unchanged in both directions, so that a row
     * converted by {@link #convertRow} holds the very values read (columns may still be renamed,
     * but not split, merged or translated).
     *
     * @param mapping the mapping
     * @return true if no column of the mapping converts its values
     */
    public static boolean isIdentity(TableMapping mapping) {
        return access.isIdentity(Objects.requireNonNull(mapping, "null mapping"));
    }

    /**
     * Converts a row read from one side into the row the other side should hold; may do I/O when a
     * key column is translated.
     *
     * @param mapping the mapping
     * @param from the side the row was read from
     * @param row the row's values in {@code mapping.columnNames(from)} order
     * @return the values in {@code mapping.columnNames(from.other())} order
     * @throws IllegalArgumentException if the row's width is not the number of mapped columns, or a
     *     value has no conversion (e.g. a code missing from a code map)
     * @throws IllegalStateException if a group's conversion returns the wrong number of values
     * @throws dev.cutover.common.CutoverException if a key translation fails
     */
    public static List<Object> convertRow(TableMapping mapping, Side from, List<Object> row) {
        return access.convertRow(Objects.requireNonNull(mapping, "null mapping"), from, row);
    }

    /**
     * Converts key values known on one side into the other side's key values; may do I/O when a key
     * column is translated, and a translation through an id map may insert the missing entry.
     *
     * @param mapping the mapping
     * @param from the side the values belong to
     * @param keyValues one value per key column, in key order
     * @return the other side's key values, in key order
     * @throws IllegalArgumentException if the number of values does not match the key columns
     * @throws dev.cutover.common.CutoverException if a key translation fails
     */
    public static List<Object> convertKey(TableMapping mapping, Side from, List<Object> keyValues) {
        return access.convertKey(Objects.requireNonNull(mapping, "null mapping"), from, keyValues);
    }
}
