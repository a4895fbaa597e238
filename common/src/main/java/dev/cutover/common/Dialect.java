package dev.cutover.common;

import dev.cutover.common.internal.NetworkTimeouts;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The SQL dialects Cutover ships schema scripts and statements for.
 *
 * <p>Each module keeps its DDL as classpath resources named after the dialect, e.g.
 * {@code dev/cutover/flags/postgresql.sql} (MySQL uses the MariaDB scripts, which are written to
 * suit both); the stores' {@code createTables()} run the one for the dialect at hand. Cutover
 * creates tables only when asked to, never as a side effect of building an object.
 */
public enum Dialect {
    /** PostgreSQL 12 or later. */
    POSTGRESQL,
    /** MariaDB 10.6 or later ({@code SKIP LOCKED} arrived in 10.6). */
    MARIADB,
    /** MySQL 8 or later. Uses the MariaDB scripts, which are written to suit both. */
    MYSQL,
    /** H2 2.x, for tests and single-process use. */
    H2;

    /**
     * Finds the dialect of the database behind a data source, borrowing one connection briefly, with
     * a network timeout so that a stalled database fails the detection instead of hanging it.
     *
     * @param dataSource where to look
     * @return the dialect
     * @throws CutoverException if the database cannot be reached or is not one Cutover supports
     */
    public static Dialect detect(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "null dataSource");
        try (Connection connection = NetworkTimeouts.connect(dataSource, NetworkTimeouts.DEFAULT_MILLIS)) {
            return detect(connection);
        } catch (SQLException e) {
            throw new CutoverException("Cannot detect the SQL dialect: the database is unreachable (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Finds the dialect of the database behind an open connection.
     *
     * @param connection an open connection; it is not closed
     * @return the dialect
     * @throws CutoverException if the product is not PostgreSQL, MariaDB, MySQL or H2
     * @throws SQLException if the metadata cannot be read
     */
    public static Dialect detect(Connection connection) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        String product = meta.getDatabaseProductName().toLowerCase(Locale.ROOT);
        String version = meta.getDatabaseProductVersion().toLowerCase(Locale.ROOT);
        if (product.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (product.contains("mariadb") || version.contains("mariadb")) {
            return MARIADB;
        }
        if (product.contains("mysql")) {
            return MYSQL;
        }
        if (product.contains("h2")) {
            return H2;
        }
        throw new CutoverException("Unsupported database '" + meta.getDatabaseProductName()
                + "': Cutover supports PostgreSQL, MariaDB, MySQL and H2");
    }
}
