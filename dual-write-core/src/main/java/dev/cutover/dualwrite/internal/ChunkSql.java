package dev.cutover.dualwrite.internal;

import dev.cutover.common.Dialect;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL of a backfill's chunks: keyset pagination in key order, key ranges and key lists, for
 * single and composite keys. Names are expected to be checked identifiers already; they are placed
 * into the text unquoted.
 *
 * <p>Composite bounds are written as {@code (a > ?) OR (a = ? AND b > ?)} rather than as a row
 * comparison {@code (a, b) > (?, ?)}, except on PostgreSQL: MariaDB and MySQL do not use an index
 * range for a row comparison, which would make every chunk a scan from the table's start. The
 * parameters of each bound are its key values as {@link #boundValues} repeats them.
 */
public final class ChunkSql {
    private ChunkSql() {
    }

    /**
     * The next chunk in key order, locked: {@code SELECT <columns> FROM <table> [WHERE key > ?] ORDER
     * BY <keys> LIMIT <rows> FOR UPDATE}.
     *
     * @param dialect the database's dialect
     * @param table the table
     * @param columns the columns read, key columns first in key order
     * @param keyColumns the key columns
     * @param after whether the chunk starts after a bound (bound with {@link #boundValues})
     * @param rows the most rows read
     * @param lock whether to lock the rows read ({@code FOR UPDATE})
     * @return the statement
     */
    public static String selectChunk(Dialect dialect, String table, List<String> columns, List<String> keyColumns,
            boolean after, int rows, boolean lock) {
        return "SELECT " + String.join(", ", columns) + " FROM " + table
                + (after ? " WHERE " + bound(dialect, keyColumns, ">") : "")
                + " ORDER BY " + String.join(", ", keyColumns) + " LIMIT " + rows + (lock ? " FOR UPDATE" : "");
    }

    /**
     * The key columns of a table's rows within a key range: {@code SELECT <keys> FROM <table> WHERE
     * key > ? AND key <= ?}, either bound left out.
     *
     * @param dialect the database's dialect
     * @param table the table
     * @param keyColumns the key columns
     * @param lower whether there is a lower bound (exclusive)
     * @param upper whether there is an upper bound (inclusive)
     * @return the statement; its parameters are the lower bound's, then the upper bound's
     */
    public static String selectKeysInRange(Dialect dialect, String table, List<String> keyColumns, boolean lower,
            boolean upper) {
        return selectInRange(String.join(", ", keyColumns), dialect, table, keyColumns, lower, upper);
    }

    /**
     * The number of a table's rows within a key range, bounded as {@link #selectKeysInRange}.
     *
     * @param dialect the database's dialect
     * @param table the table
     * @param keyColumns the key columns
     * @param lower whether there is a lower bound (exclusive)
     * @param upper whether there is an upper bound (inclusive)
     * @return the statement; its parameters are the lower bound's, then the upper bound's
     */
    public static String countInRange(Dialect dialect, String table, List<String> keyColumns, boolean lower,
            boolean upper) {
        return selectInRange("COUNT(*)", dialect, table, keyColumns, lower, upper);
    }

    private static String selectInRange(String what, Dialect dialect, String table, List<String> keyColumns,
            boolean lower, boolean upper) {
        List<String> where = new ArrayList<>();
        if (lower) {
            where.add("(" + bound(dialect, keyColumns, ">") + ")");
        }
        if (upper) {
            where.add("(" + bound(dialect, keyColumns, "<=") + ")");
        }
        return "SELECT " + what + " FROM " + table + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where));
    }

    /**
     * The rows of a list of keys: {@code <verb> FROM <table> WHERE key IN (?, ...)}, or an
     * {@code OR} of key equalities for a composite key.
     *
     * @param verb {@code "DELETE"} or {@code "SELECT <columns>"}
     * @param table the table
     * @param keyColumns the key columns
     * @param keys how many keys are bound, at least one
     * @return the statement; its parameters are the keys' values, key after key
     */
    public static String byKeys(String verb, String table, List<String> keyColumns, int keys) {
        if (keys < 1) {
            throw new IllegalArgumentException("A key list needs at least one key, but was " + keys);
        }
        String where;
        if (keyColumns.size() == 1) {
            where = keyColumns.get(0) + " IN (" + String.join(", ", Collections.nCopies(keys, "?")) + ")";
        } else {
            String one = "(" + keyColumns.stream().map(c -> c + " = ?").collect(Collectors.joining(" AND ")) + ")";
            where = String.join(" OR ", Collections.nCopies(keys, one));
        }
        return verb + " FROM " + table + " WHERE " + where;
    }

    /**
     * The parameters of one bound made by this class, from the bound's key values.
     *
     * @param dialect the dialect the bound was written for
     * @param key the key values, in key order
     * @return the values to bind, in order
     */
    public static List<Object> boundValues(Dialect dialect, List<Object> key) {
        if (key.size() == 1 || dialect == Dialect.POSTGRESQL) {
            return key;
        }
        // (a OP ?) OR (a = ? AND b OP ?) OR ...: the i-th disjunct binds the first i + 1 values.
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < key.size(); i++) {
            values.addAll(key.subList(0, i + 1));
        }
        return values;
    }

    /** {@code key OP bound} in key order, with OP {@code >} (strictly after) or {@code <=} (up to). */
    private static String bound(Dialect dialect, List<String> keyColumns, String op) {
        if (keyColumns.size() == 1) {
            return keyColumns.get(0) + " " + op + " ?";
        }
        if (dialect == Dialect.POSTGRESQL) {
            return "(" + String.join(", ", keyColumns) + ") " + op + " ("
                    + String.join(", ", Collections.nCopies(keyColumns.size(), "?")) + ")";
        }
        String strict = op.substring(0, 1);
        List<String> disjuncts = new ArrayList<>();
        for (int i = 0; i < keyColumns.size(); i++) {
            List<String> terms = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                terms.add(keyColumns.get(j) + " = ?");
            }
            boolean last = i == keyColumns.size() - 1;
            terms.add(keyColumns.get(i) + " " + (last ? op : strict) + " ?");
            disjuncts.add("(" + String.join(" AND ", terms) + ")");
        }
        return String.join(" OR ", disjuncts);
    }
}
