package dev.cutover.dualwrite.internal.jdbc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cutover.flags.Side;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The foreign keys that make a DELETE or UPDATE change rows besides its own: those referencing its
 * table with {@code ON DELETE} or {@code ON UPDATE} {@code CASCADE}, {@code SET NULL} or
 * {@code SET DEFAULT}. The primary deletes or updates the referencing rows inside the statement, so
 * they are rows the mirror must copy too, found the way the statement's own are: by a locking read
 * before it runs. Asked of the primary's metadata and kept for a while, as a schema rarely changes
 * while it runs. Thread-safe.
 */
final class ReferencingKeys {
    /** How long an answer is kept: a foreign key added meanwhile is seen this much later at most. */
    private static final Duration KEPT = Duration.ofSeconds(30);

    private final Cache<String, Lookup> lookups = Caffeine.newBuilder().maximumSize(1024).expireAfterWrite(KEPT)
            .build();

    /**
     * A foreign key whose referencing rows change with the rows it references.
     *
     * @param table the referencing table, as a statement would name it on the same connection
     * @param columns its columns, in the key's order
     * @param referenced the referenced table's columns, in the same order
     * @param deletes whether deleting a referenced row deletes the referencing rows (CASCADE), so that
     *     the rows referencing those change in turn
     */
    record Reference(String table, List<String> columns, List<String> referenced, boolean deletes) {
    }

    /** A table's references whose rows change when it deletes, and when it updates the referenced columns. */
    private record Lookup(List<Reference> onDelete, List<Reference> onUpdate) {
    }

    /**
     * @param c the primary connection, in the statement's transaction
     * @param side the primary
     * @param table the table the statement writes, as the primary's catalog names it
     * @param delete whether the statement is a DELETE; otherwise an UPDATE of {@code setColumns}
     * @param setColumns for an UPDATE, the columns it sets (normalised); ignored for a DELETE
     * @return the foreign keys whose referencing rows the statement changes
     */
    List<Reference> changedBy(Connection c, Side side, String table, boolean delete, List<String> setColumns)
            throws SQLException {
        String key = side + ":" + table;
        Lookup lookup = lookups.getIfPresent(key);
        if (lookup == null) {
            lookup = lookUp(c, table);
            lookups.put(key, lookup);
        }
        if (delete) {
            return lookup.onDelete();
        }
        return lookup.onUpdate().stream().filter(r -> r.referenced().stream()
                .anyMatch(column -> setColumns.contains(column.toLowerCase(Locale.ROOT)))).toList();
    }

    private static Lookup lookUp(Connection c, String table) throws SQLException {
        DatabaseMetaData metadata = c.getMetaData();
        int dot = table.lastIndexOf('.');
        String name = stored(metadata, unquote(table.substring(dot + 1)));
        String schema = c.getSchema();
        String catalog = c.getCatalog();
        if (dot >= 0) {
            String qualifier = stored(metadata, unquote(table.substring(0, dot)));
            if (schema == null) {
                catalog = qualifier; // MariaDB and MySQL qualify with the database, which JDBC calls the catalog
            } else {
                schema = qualifier;
            }
        }
        String home = schema != null ? schema : catalog;
        Map<String, List<String[]>> columnsByKey = new LinkedHashMap<>();
        Map<String, int[]> rulesByKey = new LinkedHashMap<>();
        try (ResultSet rows = metadata.getExportedKeys(catalog, schema, name)) {
            while (rows.next()) {
                String owner = rows.getString("FKTABLE_SCHEM") != null ? rows.getString("FKTABLE_SCHEM")
                        : rows.getString("FKTABLE_CAT");
                String referencing = rows.getString("FKTABLE_NAME");
                String qualified = owner == null || owner.equals(home) ? referencing : owner + "." + referencing;
                String id = qualified + "\u0000" + rows.getString("FK_NAME");
                columnsByKey.computeIfAbsent(id, k -> new ArrayList<>()).add(new String[] {qualified,
                        rows.getString("FKCOLUMN_NAME"), rows.getString("PKCOLUMN_NAME"), rows.getString("KEY_SEQ")});
                rulesByKey.put(id, new int[] {rows.getInt("DELETE_RULE"), rows.getInt("UPDATE_RULE")});
            }
        }
        List<Reference> onDelete = new ArrayList<>();
        List<Reference> onUpdate = new ArrayList<>();
        for (Map.Entry<String, List<String[]>> e : columnsByKey.entrySet()) {
            List<String[]> parts = new ArrayList<>(e.getValue());
            parts.sort(Comparator.comparingInt(part -> Integer.parseInt(part[3])));
            String referencing = parts.get(0)[0];
            List<String> columns = parts.stream().map(part -> part[1]).toList();
            List<String> referenced = parts.stream().map(part -> part[2]).toList();
            int[] rules = rulesByKey.get(e.getKey());
            if (changes(rules[0])) {
                onDelete.add(new Reference(referencing, columns, referenced, rules[0] == DatabaseMetaData.importedKeyCascade));
            }
            if (changes(rules[1])) {
                onUpdate.add(new Reference(referencing, columns, referenced, false));
            }
        }
        return new Lookup(List.copyOf(onDelete), List.copyOf(onUpdate));
    }

    /** @return the name without its double quotes or backticks, as the catalog stores it */
    static String unquote(String name) {
        String n = name.trim();
        if (n.length() >= 2 && (n.charAt(0) == '"' || n.charAt(0) == '`')) {
            return n.substring(1, n.length() - 1);
        }
        return n;
    }

    private static boolean changes(int rule) {
        return rule == DatabaseMetaData.importedKeyCascade || rule == DatabaseMetaData.importedKeySetNull
                || rule == DatabaseMetaData.importedKeySetDefault;
    }

    private static String stored(DatabaseMetaData metadata, String name) throws SQLException {
        if (metadata.storesUpperCaseIdentifiers()) {
            return name.toUpperCase(Locale.ROOT);
        }
        return metadata.storesLowerCaseIdentifiers() ? name.toLowerCase(Locale.ROOT) : name;
    }
}
