package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.common.Dialect;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.Mappings;
import dev.cutover.dualwrite.internal.jdbc.ConnectionHandler.KeysUnknownException;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Equality;
import dev.cutover.flags.Side;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.sql.rowset.CachedRowSet;
import net.sf.jsqlparser.expression.Expression;

/**
 * The keys a statement names, as far as its SQL, its RETURNING rows or the driver's generated keys
 * tell. Both the read path (a routing key) and the keyed write (the keys to mirror), and the refusals
 * that turn away writes whose keys cannot be learned, ask the same questions, so the answers live
 * here once, free of any statement's state.
 */
final class StatementKeys {
    private StatementKeys() {
    }

    /**
     * @return the key in the source's terms, from key values in the primary's terms, in the key type's
     *     own spelling ({@code 7} for a {@code Long} key given as the text {@code "007"})
     * @throws IllegalArgumentException if a value is not exactly a value of its key column's type
     *     ({@code 6.6} or {@code "6.6"} for a {@code Long} key): the database would convert it to a key
     *     other than the one it names
     */
    static String key(TableMapping mapping, Side primary, List<Object> values) {
        List<Object> sourceValues = primary == Side.SOURCE ? values : Mappings.convertKey(mapping, Side.TARGET, values);
        return mapping.key(mapping.keyValues(mapping.key(sourceValues.toArray())).toArray());
    }

    /** Tells whether a key column of the primary's table stores a new value for an inserted 0. */
    interface ZeroGenerates {
        boolean test(String keyColumn) throws SQLException;
    }

    /**
     * Refuses, before an INSERT runs, key values the primary would store as another key: values that
     * are not exactly of the key's type (a {@code 6.6} that becomes {@code 7}), and, on MariaDB and
     * MySQL, a zero in an {@code AUTO_INCREMENT} key column, which the database replaces by a new value.
     *
     * @param rows per inserted row, its key values; null where the database generates the value
     * @param dialect the primary's dialect
     * @param zeroGenerates asked only on MariaDB and MySQL, only for a key column given a zero
     * @param quotedSql the statement, as messages quote it
     */
    static void requireExactKeys(List<Object[]> rows, TableMapping mapping, Side primary, Dialect dialect,
            ZeroGenerates zeroGenerates, String quotedSql) throws SQLException {
        boolean zeroMayGenerate = dialect == Dialect.MARIADB || dialect == Dialect.MYSQL;
        List<String> keyColumns = mapping.keyColumnNames(primary);
        for (Object[] row : rows) {
            if (Arrays.asList(row).contains(null)) {
                continue;
            }
            List<Object> values;
            try {
                values = mapping.keyValues(key(mapping, primary, Arrays.asList(row)));
            } catch (RuntimeException e) {
                throw new KeysUnknownException("Cutover refused " + quotedSql + " : its key value(s) "
                        + typesOf(row) + " are not exactly of the key's type" + " (" + e.getMessage() + "), and the"
                        + " database would store the row under the value it converts them to, a key Cutover would not"
                        + " mirror; nothing was written. Fix: bind each key column with the key's own type (setLong,"
                        + " setInt, setString, setObject of a UUID), or write it as a whole-number literal");
            }
            for (int k = 0; zeroMayGenerate && k < values.size(); k++) {
                if (values.get(k) instanceof Number n && n.longValue() == 0 && zeroGenerates.test(keyColumns.get(k))) {
                    throw new KeysUnknownException("Cutover refused " + quotedSql + " : it inserts 0 into the key column "
                            + keyColumns.get(k) + ", which is AUTO_INCREMENT, and MariaDB and MySQL replace that 0 with a"
                            + " new value (unless sql_mode holds NO_AUTO_VALUE_ON_ZERO), so Cutover cannot tell which key"
                            + " the row gets; nothing was written. Fix: leave the key column out, or insert NULL, to have"
                            + " the key generated, or insert a key other than 0");
                }
            }
        }
    }

    /** @return the values' types, never the values: messages may reach logs */
    private static List<String> typesOf(Object[] row) {
        return Arrays.stream(row).map(v -> v.getClass().getSimpleName()).toList();
    }

    static List<String> lower(List<String> names) {
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }

    /**
     * The one key a statement's WHERE condition pins down ({@code key = value} for every key column in
     * its top-level AND chain), whether or not a row has that key.
     *
     * @return the key in the source's terms, or null if the condition does not pin one
     */
    static String pinnedKey(SqlAnalysis analysis, TableMapping mapping, Side primary, Parameters bound) {
        if (analysis.equalities().isEmpty()) {
            return null;
        }
        List<Object> values = new ArrayList<>();
        for (String keyColumn : lower(mapping.keyColumnNames(primary))) {
            Object value = null;
            for (Equality equality : analysis.equalities()) {
                if (equality.column().equals(keyColumn)) {
                    value = KeyValues.value(equality.value(), bound == null ? new Parameters() : bound);
                    break;
                }
            }
            if (value == null || value == KeyValues.NOT_A_VALUE) {
                return null;
            }
            values.add(value);
        }
        try {
            return key(mapping, primary, values);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** @return per inserted row, the key values in key order; null where the database generates the value */
    static List<Object[]> insertKeys(SqlAnalysis analysis, TableMapping mapping, Side primary, Parameters bound) {
        List<String> keyColumns = lower(mapping.keyColumnNames(primary));
        List<Object[]> rows = new ArrayList<>();
        for (List<Expression> row : analysis.insertRows()) {
            Object[] values = new Object[keyColumns.size()];
            for (int k = 0; k < keyColumns.size(); k++) {
                int column = analysis.insertColumns().indexOf(keyColumns.get(k));
                Object value = column < 0 ? null : KeyValues.value(row.get(column), bound);
                values[k] = value == KeyValues.NOT_A_VALUE ? null : value;
            }
            rows.add(values);
        }
        return rows;
    }

    static boolean needsGenerated(List<Object[]> rows) {
        return rows.stream().anyMatch(row -> Arrays.asList(row).contains(null));
    }

    /** The key request to prepare with when the table's key is generated: the application's own, widened to the key. */
    static Object generatedKeyRequest(Object userRequest, List<String> keyColumns) {
        if (userRequest instanceof Integer mode && mode == Statement.RETURN_GENERATED_KEYS || userRequest instanceof int[]) {
            return Statement.RETURN_GENERATED_KEYS;
        }
        Set<String> names = new LinkedHashSet<>();
        if (userRequest instanceof String[] userNames) {
            names.addAll(Arrays.asList(userNames));
        }
        names.addAll(keyColumns);
        return names.toArray(new String[0]);
    }

    /**
     * @param meta the returned rows' metadata, or null to check the RETURNING clause only
     * @return per key column, its 1-based position in the rows an INSERT's RETURNING clause returns;
     *     null if a key column is not returned
     */
    static int[] returnedKeyPositions(SqlAnalysis analysis, TableMapping mapping, Side primary,
            ResultSetMetaData meta) throws SQLException {
        List<String> keyColumns = lower(mapping.keyColumnNames(primary));
        List<String> returned = analysis.returning();
        boolean all = returned.contains("*");
        int[] positions = new int[keyColumns.size()];
        for (int k = 0; k < keyColumns.size(); k++) {
            if (!all) {
                positions[k] = returned.indexOf(keyColumns.get(k)) + 1;
            } else if (meta == null) {
                positions[k] = 1;
            } else {
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    if (meta.getColumnLabel(i).equalsIgnoreCase(keyColumns.get(k))) {
                        positions[k] = i;
                        break;
                    }
                }
            }
            if (positions[k] == 0) {
                return null;
            }
        }
        return positions;
    }

    /**
     * Reads the generated keys into the rows' missing values.
     *
     * @return the keys read, for the application: the driver hands them out only once
     */
    static CachedRowSet fillGenerated(Statement statement, List<Object[]> rows, TableMapping mapping, Side primary)
            throws SQLException {
        CachedRowSet keysRead = QueryResult.newRowSet();
        try (ResultSet generated = statement.getGeneratedKeys()) {
            keysRead.populate(generated);
        }
        List<String> keyColumns = mapping.keyColumnNames(primary);
        int[] positions = new int[keyColumns.size()];
        int width = keysRead.getMetaData().getColumnCount();
        for (int k = 0; k < keyColumns.size(); k++) {
            for (int i = 1; i <= width; i++) {
                if (keysRead.getMetaData().getColumnLabel(i).equalsIgnoreCase(keyColumns.get(k))) {
                    positions[k] = i;
                }
            }
            if (positions[k] == 0 && keyColumns.size() == 1 && width == 1) {
                positions[k] = 1;
            }
        }
        fillKeys(keysRead, positions, rows, mapping, primary);
        return keysRead;
    }

    /** Fills the rows' missing key values from returned rows, in order; fails if any stays missing. */
    static void fillKeys(CachedRowSet keysRead, int[] positions, List<Object[]> rows, TableMapping mapping,
            Side primary) throws SQLException {
        int r = 0;
        keysRead.beforeFirst();
        while (keysRead.next()) {
            if (r >= rows.size()) {
                break;
            }
            Object[] row = rows.get(r++);
            for (int k = 0; k < row.length; k++) {
                if (row[k] == null && positions[k] > 0) {
                    row[k] = keysRead.getObject(positions[k]);
                }
            }
        }
        keysRead.beforeFirst();
        if (r != rows.size() || needsGenerated(rows)) {
            // Keys for some rows but not all: the key is generated, the driver just hands out fewer keys than
            // rows (MariaDB Connector/J gives only the first of a multi-row INSERT), so "make it the generated
            // key" would send the developer the wrong way.
            String fix = r > 0 && r < rows.size()
                    ? "insert one row per statement (a JDBC batch, e.g. JdbcTemplate.batchUpdate, returns every"
                            + " row's key), add RETURNING with the key column and read the keys from its rows, or"
                            + " insert the key's values explicitly"
                    : "insert the key's value explicitly, or make it the table's generated (identity, serial,"
                            + " auto-increment) key";
            throw new KeysUnknownException("Cutover could not read the generated key " + mapping.keyColumnNames(primary)
                    + " of " + rows.size() + " inserted row(s) of " + mapping.entity() + " (the driver returned " + r
                    + " row(s) of " + keysRead.getMetaData().getColumnCount() + " column(s)), so the rows cannot be"
                    + " mirrored and nothing was written. Fix: " + fix);
        }
    }
}
