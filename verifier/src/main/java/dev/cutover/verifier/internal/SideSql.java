package dev.cutover.verifier.internal;

import dev.cutover.common.Dialect;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The statements that read one side of a mapped table by key range, by key list and by single key,
 * and the in-database chunk checksum. Names are checked identifiers, placed into the text unquoted.
 * Key ranges use row-value comparison ({@code (a, b) > (?, ?)}), which PostgreSQL, MariaDB, MySQL
 * and H2 all understand. Immutable.
 */
public final class SideSql {
    private final Dialect dialect;
    private final String table;
    private final List<String> columns;
    private final List<String> keys;
    private final String columnList;
    private final String keyList;

    /**
     * Creates the statements of one side.
     *
     * @param dialect the side's dialect
     * @param table the table, possibly schema-qualified
     * @param columns every mapped column, key columns first
     * @param keys the key columns in key order
     */
    public SideSql(Dialect dialect, String table, List<String> columns, List<String> keys) {
        this.dialect = dialect;
        this.table = table;
        this.columns = List.copyOf(columns);
        this.keys = List.copyOf(keys);
        this.columnList = String.join(", ", columns);
        this.keyList = String.join(", ", keys);
    }

    /** @return the side's dialect */
    public Dialect dialect() {
        return dialect;
    }

    /** @return how many key columns there are */
    public int keyWidth() {
        return keys.size();
    }

    /** @return how many columns a row read here has */
    public int width() {
        return columns.size();
    }

    /**
     * The upper key of the chunk that starts after a key: the key {@code chunkSize} rows on.
     *
     * @param hasLower whether a lower bound (exclusive) is bound first
     * @param chunkSize rows per chunk
     * @return the statement; it returns no row when fewer than {@code chunkSize} rows are left
     */
    public String chunkEnd(boolean hasLower, int chunkSize) {
        return "SELECT " + keyList + " FROM " + table + where(hasLower, false) + " ORDER BY " + keyList
                + " LIMIT 1 OFFSET " + (chunkSize - 1);
    }

    /**
     * The rows of a key range, in key order.
     *
     * @param hasLower whether an exclusive lower bound is bound first
     * @param hasUpper whether an inclusive upper bound is bound next
     * @return the statement
     */
    public String rows(boolean hasLower, boolean hasUpper) {
        return "SELECT " + columnList + " FROM " + table + where(hasLower, hasUpper) + " ORDER BY " + keyList;
    }

    /**
     * The next keys after a key, in key order.
     *
     * @param hasLower whether an exclusive lower bound is bound
     * @param limit how many keys
     * @return the statement
     */
    public String keysAfter(boolean hasLower, int limit) {
        return "SELECT " + keyList + " FROM " + table + where(hasLower, false) + " ORDER BY " + keyList + " LIMIT " + limit;
    }

    /**
     * The rows (all columns) or only the keys of a list of keys.
     *
     * @param count how many keys are bound, key columns of each in key order
     * @param keysOnly whether to read the key columns only
     * @return the statement
     */
    public String byKeys(int count, boolean keysOnly) {
        String one = keys.size() == 1 ? "?" : "(" + String.join(", ", Collections.nCopies(keys.size(), "?")) + ")";
        return "SELECT " + (keysOnly ? keyList : columnList) + " FROM " + table + " WHERE " + rowValue() + " IN ("
                + String.join(", ", Collections.nCopies(count, one)) + ")";
    }

    /**
     * One row by key.
     *
     * @param forUpdate whether to lock it until the transaction ends
     * @return the statement
     */
    public String byKey(boolean forUpdate) {
        return "SELECT " + columnList + " FROM " + table + " WHERE "
                + keys.stream().map(k -> k + " = ?").collect(Collectors.joining(" AND ")) + (forUpdate ? " FOR UPDATE" : "");
    }

    /** @return the statement counting the table's rows */
    public String count() {
        return "SELECT COUNT(*) FROM " + table;
    }

    /**
     * The row count and an order-independent checksum of a key range, computed inside the database
     * from a text form of each row: PostgreSQL sums the 64-bit {@code hashtextextended} of the
     * row's text; MariaDB/MySQL XOR the first 64 bits of the MD5 of the values joined with the
     * length of each (so NULLs and separators inside values cannot collide); H2 sums
     * {@code ORA_HASH} of the same text. Only comparable between two databases of the same engine.
     *
     * @param hasLower whether an exclusive lower bound is bound first
     * @param hasUpper whether an inclusive upper bound is bound next
     * @return the statement, returning one row of (count, checksum)
     */
    public String checksum(boolean hasLower, boolean hasUpper) {
        String hash;
        switch (dialect) {
            case POSTGRESQL:
                hash = "COALESCE(SUM(hashtextextended(ROW(" + columnList + ")::text, 0)), 0)";
                break;
            case MARIADB:
            case MYSQL:
                hash = "COALESCE(BIT_XOR(CAST(CONV(SUBSTRING(MD5(CONCAT_WS('|', " + columnList + ", CONCAT_WS(',', "
                        + columns.stream().map(c -> "IFNULL(CHAR_LENGTH(" + c + "), -1)").collect(Collectors.joining(", "))
                        + "))), 1, 16), 16, 10) AS UNSIGNED)), 0)";
                break;
            case H2:
                hash = "COALESCE(SUM(CAST(ORA_HASH(CONCAT_WS('|', "
                        + columns.stream().map(c -> "CAST(" + c + " AS VARCHAR)").collect(Collectors.joining(", "))
                        + ", CONCAT_WS(',', "
                        + columns.stream().map(c -> "COALESCE(CHAR_LENGTH(CAST(" + c + " AS VARCHAR)), -1)")
                                .collect(Collectors.joining(", "))
                        + "))) AS BIGINT)), 0)";
                break;
            default:
                throw new IllegalArgumentException("No checksum for dialect " + dialect);
        }
        return "SELECT COUNT(*), " + hash + " FROM " + table + where(hasLower, hasUpper);
    }

    private String where(boolean hasLower, boolean hasUpper) {
        String params = keys.size() == 1 ? "?" : "(" + String.join(", ", Collections.nCopies(keys.size(), "?")) + ")";
        if (hasLower && hasUpper) {
            return " WHERE " + rowValue() + " > " + params + " AND " + rowValue() + " <= " + params;
        }
        if (hasLower) {
            return " WHERE " + rowValue() + " > " + params;
        }
        if (hasUpper) {
            return " WHERE " + rowValue() + " <= " + params;
        }
        return "";
    }

    private String rowValue() {
        return keys.size() == 1 ? keys.get(0) : "(" + keyList + ")";
    }
}
