package dev.cutover.verifier.internal;

import dev.cutover.common.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

/**
 * How a database decides that two values of a text key column are the same key. Copies address a
 * row by {@code WHERE key = ?} on both sides, so both must answer that question alike: under
 * MariaDB's default collation ({@code utf8mb4_general_ci}) {@code 'abc'}, {@code 'ABC'},
 * {@code 'abc '} and {@code 'àbc'} are one key, and on PostgreSQL four. A copy keyed by the
 * application's spelling then deletes or overwrites a row of the other side that the write never
 * touched, or misses the one it did, and nothing fails.
 */
public final class KeyEquality {
    /** Values are the same key only when they are the same characters, trailing spaces included. */
    private static final String EXACT = "comparing characters exactly";

    private KeyEquality() {
    }

    /**
     * A text key column's equality.
     *
     * @param rule {@link #EXACT} or a description of the rule, e.g. {@code "collation utf8mb4_general_ci"}
     * @param fix what makes the column compare exactly, or null when it does
     */
    public record Rule(String rule, String fix) {
        /** @return whether values are one key only when they are the same characters */
        public boolean exact() {
            return EXACT.equals(rule);
        }
    }

    /**
     * Asks the database how a key column compares its values.
     *
     * @param connection an open connection to the column's database
     * @param dialect its dialect
     * @param qualifiedTable {@code table} or {@code schema.table}
     * @param column the column's name as the database reports it
     * @return the rule, or null for a column that holds no text (or a database not asked: H2)
     * @throws SQLException if the catalog cannot be read
     */
    public static Rule of(Connection connection, Dialect dialect, String qualifiedTable, String column) throws SQLException {
        int dot = qualifiedTable.indexOf('.');
        String schema = dot < 0 ? null : qualifiedTable.substring(0, dot);
        String table = dot < 0 ? qualifiedTable : qualifiedTable.substring(dot + 1);
        switch (dialect) {
            case MARIADB:
            case MYSQL:
                return mariadb(connection, dialect, schema, table, column);
            case POSTGRESQL:
                return postgresql(connection, qualifiedTable, column);
            default:
                return null;
        }
    }

    private static Rule mariadb(Connection connection, Dialect dialect, String schema, String table, String column)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT COLLATION_NAME, CHARACTER_SET_NAME,"
                + " COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE())"
                + " AND TABLE_NAME = ? AND COLUMN_NAME = ?")) {
            statement.setString(1, schema);
            statement.setString(2, table);
            statement.setString(3, column);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next() || rs.getString(1) == null) {
                    return null; // not text, or binary strings (VARBINARY), which compare byte by byte
                }
                String collation = rs.getString(1).toLowerCase(Locale.ROOT);
                // NO PAD binary collations compare code points, trailing spaces included: MariaDB's
                // <charset>_nopad_bin, MySQL 8's utf8mb4_0900_bin. Every other collation folds case,
                // accents or trailing spaces (a PAD SPACE _bin collation still ignores trailing spaces).
                if (collation.endsWith("_nopad_bin") || collation.equals("utf8mb4_0900_bin")) {
                    return new Rule(EXACT, null);
                }
                String exact = dialect == Dialect.MYSQL ? "utf8mb4_0900_bin" : rs.getString(2) + "_nopad_bin";
                return new Rule("collation " + collation + " (" + (collation.endsWith("_bin")
                        ? "which ignores trailing spaces: 'abc' and 'abc ' are one key"
                        : "which ignores case and trailing spaces, and accents under most: 'abc', 'ABC' and 'abc ' are one key")
                        + ")", "ALTER TABLE " + (schema == null ? "" : schema + ".") + table + " MODIFY " + column + " "
                        + rs.getString(3) + " COLLATE " + exact);
            }
        }
    }

    private static Rule postgresql(Connection connection, String qualifiedTable, String column) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT t.typname, c.collname, c.collisdeterministic"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_collation c ON c.oid = a.attcollation"
                + " WHERE a.attrelid = to_regclass(?) AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
            statement.setString(1, qualifiedTable);
            statement.setString(2, column.toLowerCase(Locale.ROOT));
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next() || rs.getString(2) == null) {
                    return null; // not a collatable type
                }
                String type = rs.getString(1);
                if (type.equals("bpchar")) {
                    return new Rule("type character(n) (which ignores trailing spaces: 'abc' and 'abc ' are one key)",
                            "ALTER TABLE " + qualifiedTable + " ALTER COLUMN " + column + " TYPE varchar");
                }
                if (type.equals("citext")) {
                    return new Rule("type citext (which ignores case: 'abc' and 'ABC' are one key)",
                            "ALTER TABLE " + qualifiedTable + " ALTER COLUMN " + column + " TYPE text");
                }
                if (!rs.getBoolean(3)) {
                    return new Rule("the nondeterministic collation " + rs.getString(2) + " (under which differently spelled"
                            + " values can be one key)", "ALTER TABLE " + qualifiedTable + " ALTER COLUMN " + column
                            + " TYPE " + type + " COLLATE \"C\"");
                }
                return new Rule(EXACT, null);
            }
        }
    }
}
