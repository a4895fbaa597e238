package dev.cutover.dualwrite.internal;

import dev.cutover.common.Dialect;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL that copies one row by key: a locking read, a dialect-specific upsert and a delete.
 * Names are expected to be checked identifiers already; they are placed into the text unquoted.
 */
public final class RowSql {
    private RowSql() {
    }

    /**
     * A read of one row by key that also locks it until the transaction ends.
     *
     * @param table the table
     * @param columns the columns to read, key columns included
     * @param keyColumns the key columns, bound in this order
     * @return {@code SELECT <columns> FROM <table> WHERE <k1> = ? AND ... FOR UPDATE}
     */
    public static String selectForUpdate(String table, List<String> columns, List<String> keyColumns) {
        return "SELECT " + String.join(", ", columns) + " FROM " + table + " WHERE " + keyPredicate(keyColumns)
                + " FOR UPDATE";
    }

    /**
     * A plain read of one row's key, taking no lock: whether the row exists, as committed when the
     * statement starts (in {@code READ COMMITTED}, or at a transaction's first plain read).
     *
     * @param table the table
     * @param keyColumns the key columns, bound in this order
     * @return {@code SELECT <k1>, ... FROM <table> WHERE <k1> = ? AND ...}
     */
    public static String selectKey(String table, List<String> keyColumns) {
        return "SELECT " + String.join(", ", keyColumns) + " FROM " + table + " WHERE " + keyPredicate(keyColumns);
    }

    /**
     * A read of several rows by key that locks the rows it returns and skips those another
     * transaction has locked, in key order (so that two such reads lock shared rows in one order).
     * PostgreSQL, MariaDB 10.6+ and MySQL 8+.
     *
     * @param table the table
     * @param columns the columns to read, key columns included
     * @param keyColumns the key columns, bound in this order for each key, one key after the other
     * @param keys how many keys, at least one
     * @return {@code SELECT <columns> FROM <table> WHERE (<k1> = ? AND ...) OR ... ORDER BY <keys> FOR UPDATE SKIP LOCKED}
     */
    public static String selectForUpdateSkipLocked(String table, List<String> columns, List<String> keyColumns,
            int keys) {
        if (keys < 1) {
            throw new IllegalArgumentException("A batch read needs at least one key, but was " + keys);
        }
        String predicate = keyColumns.size() == 1
                ? keyColumns.get(0) + " IN (" + String.join(", ", java.util.Collections.nCopies(keys, "?")) + ")"
                : String.join(" OR ", java.util.Collections.nCopies(keys, "(" + keyPredicate(keyColumns) + ")"));
        return "SELECT " + String.join(", ", columns) + " FROM " + table + " WHERE " + predicate + " ORDER BY "
                + String.join(", ", keyColumns) + " FOR UPDATE SKIP LOCKED";
    }

    /**
     * An insert that updates the row instead when its key exists.
     *
     * <p>PostgreSQL: {@code INSERT ... ON CONFLICT (keys) DO UPDATE SET c = EXCLUDED.c}, which
     * needs a unique index on exactly the key columns. MariaDB and MySQL:
     * {@code INSERT ... ON DUPLICATE KEY UPDATE c = VALUES(c)}, which fires on any unique index, so
     * it is only for tables with no unique index other than the key's (RowCopier writes the others
     * with {@link #insert} or {@link #updateByKey}). H2:
     * {@code MERGE INTO ... KEY (keys) VALUES (...)}.
     *
     * @param dialect the database's dialect
     * @param table the table
     * @param columns every column written, key columns included, bound in this order
     * @param keyColumns the key columns
     * @return the statement
     */
    public static String upsert(Dialect dialect, String table, List<String> columns, List<String> keyColumns) {
        return upsertRows(dialect, table, columns, keyColumns, 1);
    }

    /**
     * The upsert of {@link #upsert} for several rows in one statement, the rows' values bound one row
     * after the other; for one row it is exactly {@link #upsert}'s text. The rows must have distinct
     * keys (PostgreSQL refuses a statement that would update one row twice).
     *
     * @param dialect the database's dialect
     * @param table the table
     * @param columns every column written, key columns included, bound in this order for each row
     * @param keyColumns the key columns
     * @param rows how many rows, at least one
     * @return the statement
     */
    public static String upsertRows(Dialect dialect, String table, List<String> columns, List<String> keyColumns,
            int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("An upsert needs at least one row, but was " + rows);
        }
        String columnList = String.join(", ", columns);
        String placeholders = columns.stream().map(c -> "?").collect(Collectors.joining(", "));
        String tuples = String.join(", ", java.util.Collections.nCopies(rows, "(" + placeholders + ")"));
        List<String> values = columns.stream().filter(c -> !keyColumns.contains(c)).toList();
        switch (dialect) {
            case POSTGRESQL:
                return "INSERT INTO " + table + " (" + columnList + ") VALUES " + tuples + " ON CONFLICT ("
                        + String.join(", ", keyColumns) + ") DO "
                        + (values.isEmpty() ? "NOTHING"
                                : "UPDATE SET " + values.stream().map(c -> c + " = EXCLUDED." + c)
                                        .collect(Collectors.joining(", ")));
            case MARIADB:
            case MYSQL:
                List<String> updated = values.isEmpty() ? keyColumns.subList(0, 1) : values;
                return "INSERT INTO " + table + " (" + columnList + ") VALUES " + tuples
                        + " ON DUPLICATE KEY UPDATE "
                        + updated.stream().map(c -> c + " = VALUES(" + c + ")").collect(Collectors.joining(", "));
            case H2:
                return "MERGE INTO " + table + " (" + columnList + ") KEY (" + String.join(", ", keyColumns)
                        + ") VALUES " + tuples;
            default:
                throw new IllegalArgumentException("No upsert for dialect " + dialect);
        }
    }

    /**
     * A plain insert of one row, which fails on any unique conflict.
     *
     * @param table the table
     * @param columns the columns, bound in this order
     * @return {@code INSERT INTO <table> (<columns>) VALUES (?, ...)}
     */
    public static String insert(String table, List<String> columns) {
        return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES ("
                + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")";
    }

    /**
     * An update of one row by key.
     *
     * @param table the table
     * @param columns the columns set, bound first, in this order
     * @param keyColumns the key columns, bound after them
     * @return {@code UPDATE <table> SET <c1> = ?, ... WHERE <k1> = ? AND ...}
     */
    public static String updateByKey(String table, List<String> columns, List<String> keyColumns) {
        return "UPDATE " + table + " SET " + columns.stream().map(c -> c + " = ?").collect(Collectors.joining(", "))
                + " WHERE " + keyPredicate(keyColumns);
    }

    /**
     * A delete of one row by key.
     *
     * @param table the table
     * @param keyColumns the key columns, bound in this order
     * @return {@code DELETE FROM <table> WHERE <k1> = ? AND ...}
     */
    public static String deleteByKey(String table, List<String> keyColumns) {
        return "DELETE FROM " + table + " WHERE " + keyPredicate(keyColumns);
    }

    private static String keyPredicate(List<String> keyColumns) {
        return keyColumns.stream().map(c -> c + " = ?").collect(Collectors.joining(" AND "));
    }
}
