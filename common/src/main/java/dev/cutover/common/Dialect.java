package dev.cutover.common;

import dev.cutover.common.internal.NetworkTimeouts;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL dialects Cutover ships schema scripts and statements for.
 *
 * <p>Each module keeps its DDL as classpath resources named after {@link #resourceName()}, e.g.
 * {@code dev/cutover/flags/postgresql.sql}; {@link #runScript(Connection, Class, String)} finds
 * and runs the one for the dialect at hand. Cutover creates tables only when asked to, never as a
 * side effect of building an object.
 */
public enum Dialect {
    /** PostgreSQL 12 or later. */
    POSTGRESQL("postgresql", true),
    /** MariaDB 10.6 or later ({@code SKIP LOCKED} arrived in 10.6). */
    MARIADB("mariadb", true),
    /** MySQL 8 or later. Uses the MariaDB scripts, which are written to suit both. */
    MYSQL("mariadb", true),
    /** H2 2.x, for tests and single-process use. */
    H2("h2", false);

    /** How often {@link #runScript} runs a failing statement in all; see there. */
    private static final int SCRIPT_ATTEMPTS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(Dialect.class);

    private final String resourceName;
    private final boolean skipLocked;

    Dialect(String resourceName, boolean skipLocked) {
        this.resourceName = resourceName;
        this.skipLocked = skipLocked;
    }

    /**
     * The base name of this dialect's script resources, without the {@code .sql} suffix.
     *
     * @return e.g. {@code "postgresql"}
     */
    public String resourceName() {
        return resourceName;
    }

    /**
     * Whether {@code SELECT ... FOR UPDATE SKIP LOCKED} is available and reliable.
     *
     * @return true for PostgreSQL, MariaDB 10.6+ and MySQL 8+
     */
    public boolean supportsSkipLocked() {
        return skipLocked;
    }

    /**
     * Checks that a name may be placed into SQL text as an unquoted identifier or part of one.
     *
     * @param name the name to check; may be empty (e.g. no table prefix)
     * @param what what the name is, for the error message
     * @return the name
     * @throws CutoverConfigurationException if it holds anything but ASCII letters, digits and
     *     underscores, or starts with a digit
     */
    public static String requireIdentifier(String name, String what) {
        Objects.requireNonNull(name, () -> "null " + what);
        if (!name.matches("([A-Za-z_][A-Za-z0-9_]*)?") || name.length() > 48) {
            throw new CutoverConfigurationException(what + " must be at most 48 ASCII letters, digits or underscores,"
                    + " not starting with a digit, but was '" + name + "': Cutover writes it into SQL unquoted");
        }
        return name;
    }

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

    /**
     * Runs this dialect's script for a module, statement by statement, in the caller's connection.
     *
     * <p>The script is the resource {@code <package of anchor>/<resourceName()>.sql}; statements
     * are separated by a semicolon at the end of a line. Scripts use {@code IF NOT EXISTS}, so
     * running one twice is harmless, also at the same time: instances of a rolling deploy start
     * together, and PostgreSQL's {@code CREATE ... IF NOT EXISTS} fails one of two concurrent
     * creators (a unique violation in its catalog) instead of waiting. In auto-commit, a statement
     * that fails is therefore run again, up to three times in all: once the other
     * creator has committed, it finds the table and does nothing.
     *
     * @param connection where to run it; not closed, and committed only if it is in auto-commit
     * @param anchor a class in the package that holds the scripts
     * @param tablePrefix replaces every {@code ${prefix}} in the script, so one database can hold
     *     several sets of tables
     * @throws SQLException if a statement fails
     * @throws CutoverException if the module ships no script for this dialect
     */
    public void runScript(Connection connection, Class<?> anchor, String tablePrefix) throws SQLException {
        boolean retryable = connection.getAutoCommit();
        for (String sql : scriptStatements(anchor, tablePrefix)) {
            for (int attempt = 1; ; attempt++) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(sql);
                    break;
                } catch (SQLException e) {
                    if (!retryable || attempt == SCRIPT_ATTEMPTS) {
                        throw e;
                    }
                    LOG.debug("DDL failed (attempt {} of {}), perhaps beside another instance creating the same table;"
                            + " running it again: {}", attempt, SCRIPT_ATTEMPTS, e.getMessage());
                }
            }
        }
    }

    /**
     * The statements of this dialect's script for a module, with {@code ${prefix}} replaced.
     *
     * @param anchor a class in the package that holds the scripts
     * @param tablePrefix replaces every {@code ${prefix}} in the script
     * @return the statements in order, without their terminating semicolons
     * @throws CutoverException if the module ships no script for this dialect
     */
    public List<String> scriptStatements(Class<?> anchor, String tablePrefix) {
        requireIdentifier(tablePrefix, "tablePrefix");
        String path = resourceName + ".sql";
        String text;
        try (InputStream in = anchor.getResourceAsStream(path)) {
            if (in == null) {
                throw new CutoverException("No " + path + " next to " + anchor.getName() + " for dialect " + this);
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.replace("${prefix}", tablePrefix).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String sql = current.toString().strip();
                statements.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return statements;
    }
}
