package dev.cutover.verifier.internal;

import dev.cutover.common.Dialect;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What {@link DatabaseMetaData} says about one table: its columns and its primary key. */
public final class Schema {
    private Schema() {
    }

    /**
     * One column.
     *
     * @param name its name as the database reports it
     * @param jdbcType its {@link Types} code
     * @param typeName the database's name of its type
     */
    public record ColumnInfo(String name, int jdbcType, String typeName) {
        /** @return the family of values the type holds, for compatibility checks */
        public Family family() {
            return Family.of(jdbcType);
        }
    }

    /**
     * A table as found.
     *
     * @param columns by lower-case name, in table order
     * @param primaryKey the primary key's columns in lower case, in key order; empty if it has none
     */
    public record TableInfo(Map<String, ColumnInfo> columns, List<String> primaryKey) {
    }

    /** Families of column types whose values can compare equal. */
    public enum Family {
        /** Whole numbers. */
        INTEGER,
        /** Decimals and floating point. */
        NUMBER,
        /** Booleans and bits. */
        BOOLEAN,
        /** Character data. */
        TEXT,
        /** Timestamps, with or without time zone. */
        TIMESTAMP,
        /** Dates. */
        DATE,
        /** Times of day. */
        TIME,
        /** Byte strings. */
        BINARY,
        /** Anything else (UUID, JSON, ...): not checked. */
        OTHER;

        static Family of(int jdbcType) {
            switch (jdbcType) {
                case Types.TINYINT: case Types.SMALLINT: case Types.INTEGER: case Types.BIGINT:
                    return INTEGER;
                case Types.DECIMAL: case Types.NUMERIC: case Types.REAL: case Types.FLOAT: case Types.DOUBLE:
                    return NUMBER;
                case Types.BIT: case Types.BOOLEAN:
                    return BOOLEAN;
                case Types.CHAR: case Types.VARCHAR: case Types.LONGVARCHAR: case Types.NCHAR: case Types.NVARCHAR:
                case Types.LONGNVARCHAR: case Types.CLOB: case Types.NCLOB:
                    return TEXT;
                case Types.TIMESTAMP: case Types.TIMESTAMP_WITH_TIMEZONE:
                    return TIMESTAMP;
                case Types.DATE:
                    return DATE;
                case Types.TIME: case Types.TIME_WITH_TIMEZONE:
                    return TIME;
                case Types.BINARY: case Types.VARBINARY: case Types.LONGVARBINARY: case Types.BLOB:
                    return BINARY;
                default:
                    return OTHER;
            }
        }

        /**
         * Whether a column of this family and one of another can hold the same values.
         *
         * @param other the other family
         * @return true for the same family, numbers with numbers or booleans (MariaDB's booleans are
         *     small integers), text with {@link #OTHER} (UUIDs, JSON) and anything with {@link #OTHER}
         */
        public boolean compatibleWith(Family other) {
            if (this == other || this == OTHER || other == OTHER) {
                return true;
            }
            return numeric(this) && numeric(other);
        }

        private static boolean numeric(Family f) {
            return f == INTEGER || f == NUMBER || f == BOOLEAN;
        }
    }

    /**
     * Describes a table.
     *
     * @param connection an open connection to its database
     * @param dialect the database's dialect
     * @param qualifiedTable {@code table} or {@code schema.table}, in any case
     * @return the table, or null if the database has no such table
     * @throws SQLException if the metadata cannot be read
     */
    public static TableInfo describe(Connection connection, Dialect dialect, String qualifiedTable) throws SQLException {
        int dot = qualifiedTable.indexOf('.');
        String schema = dot < 0 ? null : qualifiedTable.substring(0, dot);
        String name = dot < 0 ? qualifiedTable : qualifiedTable.substring(dot + 1);
        boolean catalogs = dialect == Dialect.MARIADB || dialect == Dialect.MYSQL;
        String catalog = catalogs ? (schema != null ? schema : connection.getCatalog()) : null;
        String schemaPattern = catalogs ? null : (schema != null ? schema : connection.getSchema());
        DatabaseMetaData meta = connection.getMetaData();
        for (String candidate : List.of(name, name.toLowerCase(Locale.ROOT), name.toUpperCase(Locale.ROOT))) {
            String schemaCandidate = schemaPattern == null || schema == null ? schemaPattern
                    : (candidate.equals(name) ? schemaPattern
                            : candidate.equals(name.toLowerCase(Locale.ROOT)) ? schemaPattern.toLowerCase(Locale.ROOT)
                                    : schemaPattern.toUpperCase(Locale.ROOT));
            Map<String, ColumnInfo> columns = new LinkedHashMap<>();
            try (ResultSet rs = meta.getColumns(catalog, schemaCandidate, candidate, null)) {
                while (rs.next()) {
                    // The name is a LIKE pattern in which '_' matches any character: keep exact matches only.
                    if (rs.getString("TABLE_NAME").equals(candidate)) {
                        String column = rs.getString("COLUMN_NAME");
                        columns.put(column.toLowerCase(Locale.ROOT),
                                new ColumnInfo(column, rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME")));
                    }
                }
            }
            if (columns.isEmpty()) {
                continue;
            }
            Map<Integer, String> key = new TreeMap<>();
            try (ResultSet rs = meta.getPrimaryKeys(catalog, schemaCandidate, candidate)) {
                while (rs.next()) {
                    key.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
            return new TableInfo(columns, new ArrayList<>(key.values()));
        }
        return null;
    }
}
