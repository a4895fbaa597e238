package dev.cutover.dualwrite;

import dev.cutover.common.Dialect;
import dev.cutover.common.internal.ColumnValues;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The transaction-scoped advisory locks that order every write Cutover makes into a PostgreSQL side
 * it copies to: {@link RowCopier}'s copies and {@link Backfill}'s chunks take, in one round trip with
 * their write, the receiving table's lock shared and then each written key's lock exclusively, in
 * the order of the keys' ids.
 *
 * <p>Why: the sending side's row lock orders the writes of a key only while their writer holds it; a
 * writer that gave up on its receiving side (a reset, or a stall that outlasted the network timeout,
 * while its commit was on the wire) ends that lock, but its transaction may still commit on the
 * server when the held bytes arrive. On PostgreSQL a {@code DELETE} or {@code UPDATE} of the key
 * neither sees nor waits for that transaction's uncommitted insert: a later copy deleted nothing and
 * committed, and the abandoned insert then brought back a row the sending side had deleted since, an
 * acknowledged delete undone (issues #12 and #16). The key's lock makes every later copy of the key
 * wait until such a transaction ended, and then see its row. The application's own statements take
 * no such lock, so a write into a side that has just become the primary could still commit after its
 * statements had passed over its insert; the table's shared lock is what the handover waits for
 * ({@link RowCopier#awaitCopiesInto}). MariaDB and MySQL need neither: their {@code UPDATE} and
 * {@code DELETE} lock the index record, which waits for an uncommitted insert.
 *
 * <p>Lock order: the table's lock before any key's, and keys by ascending id, in every writer, so that
 * two writers cannot each hold a lock the other waits for.
 */
final class ReceivingLocks {
    /**
     * The first part of the two-part advisory lock taken per key: apart from the one-part
     * ({@code bigint}) locks an application is more likely to take, and from two-part locks with
     * another first part.
     */
    static final int KEY_LOCK_CLASS = 0x43757476;
    /** The first part of the two-part advisory lock shared per receiving table. */
    static final int TABLE_LOCK_CLASS = 0x43757474;

    private ReceivingLocks() {
    }

    /**
     * Runs a write on the receiving side, on PostgreSQL in the same round trip as (and after) the
     * locks: the table's shared, then each key's exclusive. Elsewhere it runs the write alone.
     *
     * @param receiving the receiving side's connection, in a transaction that the caller commits
     * @param queryTimeoutSeconds the statement's query timeout
     * @param dialect the receiving side's dialect
     * @param table the receiving table
     * @param keys the keys the write writes, in the receiving side's terms, as {@link #keyLockId} names them
     * @param write the upsert or delete
     * @param values its parameters
     * @throws SQLException if a lock or the write fails
     */
    static void lockAndExecute(Connection receiving, int queryTimeoutSeconds, Dialect dialect, String table,
            List<List<Object>> keys, String write, List<Object> values) throws SQLException {
        if (dialect != Dialect.POSTGRESQL || keys.isEmpty()) {
            try (PreparedStatement statement = receiving.prepareStatement(write)) {
                statement.setQueryTimeout(queryTimeoutSeconds);
                ColumnValues.bind(statement, values);
                statement.executeUpdate();
                if (dialect == Dialect.MARIADB || dialect == Dialect.MYSQL) {
                    refuseChangedValues(statement, table);
                }
            }
            return;
        }
        Object[] ids = keys.stream().mapToInt(key -> keyLockId(table, key)).distinct().sorted().boxed().toArray();
        // One round trip for the locks and the write: the driver sends a text's statements together, the
        // server runs them in order, and the branches of UNION ALL in order, the table's lock first.
        try (PreparedStatement statement = receiving.prepareStatement("SELECT pg_advisory_xact_lock_shared(?, ?)"
                + " UNION ALL SELECT pg_advisory_xact_lock(?, u.id) FROM unnest(?::int[]) AS u(id); " + write)) {
            statement.setQueryTimeout(queryTimeoutSeconds);
            statement.setInt(1, TABLE_LOCK_CLASS);
            statement.setInt(2, tableLockId(table));
            statement.setInt(3, KEY_LOCK_CLASS);
            statement.setArray(4, receiving.createArrayOf("int4", ids));
            for (int i = 0; i < values.size(); i++) {
                statement.setObject(i + 5, values.get(i));
            }
            // Each row of the first result is one lock taken, the second result the write's count:
            // nothing to read, but every result is consumed so that a failure of either surfaces here.
            for (boolean rows = statement.execute(); rows || statement.getUpdateCount() != -1;
                    rows = statement.getMoreResults()) {
                if (rows) {
                    try (ResultSet rs = statement.getResultSet()) {
                        while (rs.next()) {
                            // a lock taken
                        }
                    }
                }
            }
        }
    }

    /**
     * The warnings with which MariaDB and MySQL report that they stored another value than the one
     * given: out of range (1264), truncated (1265, also the note of a decimal rounded to the column's
     * scale), too long (1406), not valid for the column's type or character set (1366, 1292, 1300),
     * NULL into NOT NULL (1048, 1263), too few or many values (1261, 1262). Outside strict mode
     * ({@code sql_mode} without {@code STRICT_TRANS_TABLES}) these writes succeed.
     */
    private static final Set<Integer> CHANGED_VALUE_WARNINGS =
            Set.of(1048, 1261, 1262, 1263, 1264, 1265, 1292, 1300, 1366, 1406);

    private static final Pattern WARNED_COLUMN =
            Pattern.compile("column [`']?([^`' ]+)[`']?", Pattern.CASE_INSENSITIVE);

    /**
     * Fails a write into MariaDB or MySQL that the server stored changed (truncated, rounded, clipped
     * to a range) instead of refusing it, as it does outside strict mode: committed, such a copy would
     * count as made while the receiving side holds another row. Failing it rolls the copy back, so the
     * key is queued and the failure says which columns cannot hold the sending side's values. The
     * message names codes and columns, never the values.
     *
     * @param statement the write, just executed
     * @param table the receiving table
     * @throws SQLException if the server reported a changed value
     */
    static void refuseChangedValues(Statement statement, String table) throws SQLException {
        Set<String> columns = new TreeSet<>();
        Set<Integer> codes = new TreeSet<>();
        for (SQLWarning w = statement.getWarnings(); w != null; w = w.getNextWarning()) {
            if (CHANGED_VALUE_WARNINGS.contains(w.getErrorCode())) {
                codes.add(w.getErrorCode());
                Matcher m = WARNED_COLUMN.matcher(String.valueOf(w.getMessage()));
                if (m.find()) {
                    columns.add(m.group(1));
                }
            }
        }
        if (!codes.isEmpty()) {
            throw new SQLDataException("The receiving side stored other values than the copy gave it for "
                    + table + (columns.isEmpty() ? "" : " in column(s) " + String.join(", ", columns)) + " (warnings "
                    + codes + ": truncated, rounded or out of range; its sql_mode is not strict), so the copy was rolled"
                    + " back: widen the receiving column(s) or convert the values in the TableMapping", "22001");
        }
    }

    /** The second part of a receiving table's advisory lock. */
    static int tableLockId(String table) {
        return keyLockId(table, List.of());
    }

    /**
     * The second part of a key's advisory lock: a hash of the receiving table and the key's values,
     * numbers by value, so that every instance of every process names a key's lock alike. Two keys
     * that share a hash only wait for each other's writes.
     */
    static int keyLockId(String table, List<Object> key) {
        StringBuilder text = new StringBuilder(table.toLowerCase(Locale.ROOT));
        for (Object value : key) {
            text.append('\0');
            text.append(value instanceof Number number ? canonicalNumber(number) : String.valueOf(value));
        }
        // FNV-1a over the UTF-8 bytes, folded to 32 bits: a specified hash, the same in every process.
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.toString().getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return (int) (hash ^ (hash >>> 32));
    }

    /** A number as text by value: {@code 7}, {@code 7L} and {@code 7.00} give {@code "7"}. */
    static String canonicalNumber(Number number) {
        try {
            return new BigDecimal(number.toString()).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException e) {
            return number.toString();
        }
    }
}
