package dev.cutover.common.internal;

import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the stores need to know of a {@link Dialect} beyond its name: where its DDL lives, how the
 * DDL runs, and whether it can skip locked rows. Kept out of the public enum, which applications
 * only name or detect.
 */
public final class Dialects {
    /** How often {@link #runScript} runs a failing statement in all; see there. */
    private static final int SCRIPT_ATTEMPTS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(Dialects.class);

    private Dialects() {
    }

    /**
     * The base name of a dialect's script resources, without the {@code .sql} suffix.
     *
     * @param dialect the dialect
     * @return e.g. {@code "postgresql"}; MySQL uses the MariaDB scripts, which are written to suit both
     */
    public static String resourceName(Dialect dialect) {
        // A switch expression, so that a new dialect does not compile until it names its scripts.
        return switch (dialect) {
            case POSTGRESQL -> "postgresql";
            case MARIADB, MYSQL -> "mariadb";
            case H2 -> "h2";
        };
    }

    /**
     * Whether {@code SELECT ... FOR UPDATE SKIP LOCKED} is available and reliable.
     *
     * @param dialect the dialect
     * @return true for PostgreSQL, MariaDB 10.6+ and MySQL 8+
     */
    public static boolean supportsSkipLocked(Dialect dialect) {
        return switch (dialect) {
            case POSTGRESQL, MARIADB, MYSQL -> true;
            case H2 -> false;
        };
    }

    /**
     * Runs a dialect's script for a module, statement by statement, in the caller's connection.
     *
     * <p>The script is the resource {@code <package of anchor>/<resourceName(dialect)>.sql}; statements
     * are separated by a semicolon at the end of a line. Scripts use {@code IF NOT EXISTS}, so
     * running one twice is harmless, also at the same time: instances of a rolling deploy start
     * together, and PostgreSQL's {@code CREATE ... IF NOT EXISTS} fails one of two concurrent
     * creators (a unique violation in its catalog) instead of waiting. In auto-commit, a statement
     * that fails is therefore run again, up to three times in all: once the other
     * creator has committed, it finds the table and does nothing.
     *
     * @param dialect the connection's dialect
     * @param connection where to run it; not closed, and committed only if it is in auto-commit
     * @param anchor a class in the package that holds the scripts
     * @param tablePrefix replaces every {@code ${prefix}} in the script, so one database can hold
     *     several sets of tables
     * @throws SQLException if a statement fails
     * @throws CutoverException if the module ships no script for this dialect
     */
    public static void runScript(Dialect dialect, Connection connection, Class<?> anchor, String tablePrefix)
            throws SQLException {
        boolean retryable = connection.getAutoCommit();
        for (String sql : scriptStatements(dialect, anchor, tablePrefix)) {
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
     * The statements of a dialect's script for a module, with {@code ${prefix}} replaced.
     *
     * @param dialect the dialect
     * @param anchor a class in the package that holds the scripts
     * @param tablePrefix replaces every {@code ${prefix}} in the script
     * @return the statements in order, without their terminating semicolons
     * @throws CutoverException if the module ships no script for this dialect
     */
    public static List<String> scriptStatements(Dialect dialect, Class<?> anchor, String tablePrefix) {
        Checks.identifier(tablePrefix, "tablePrefix");
        String path = resourceName(dialect) + ".sql";
        String text;
        try (InputStream in = anchor.getResourceAsStream(path)) {
            if (in == null) {
                throw new CutoverException("No " + path + " next to " + anchor.getName() + " for dialect " + dialect);
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
