package dev.cutover.dualwrite.internal.jdbc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cutover.common.Dialect;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import dev.cutover.flags.Side;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses, in dual-write stages, statements that call functions of the application's own which may
 * write rows: {@code SELECT my_function(1)} is a read to the parser, and an {@code UPDATE} that calls
 * one writes rows besides the ones it names; either way the function's rows reach the primary only.
 * Which functions may write is asked of the primary: on PostgreSQL, the volatile functions outside
 * {@code pg_catalog} and {@code information_schema} that no extension installed (a stable or immutable
 * function cannot write);
 * on MariaDB and MySQL, every stored function (their {@code READS SQL DATA} is not enforced). Answers
 * are kept for a while, since the same few names recur in every statement. Thread-safe.
 */
final class WritingFunctions {
    /** How long an answer is kept: a function created meanwhile is seen this much later at most. */
    private static final Duration KEPT = Duration.ofSeconds(30);

    private final Cache<String, Boolean> mayWrite = Caffeine.newBuilder().maximumSize(4096).expireAfterWrite(KEPT)
            .build();

    /**
     * @param primary the connection the statement runs on
     * @param side its side
     * @param stage where the statement runs, for the message
     * @throws SQLFeatureNotSupportedException if the statement calls a function that may write rows,
     *     or if the functions it calls cannot be told
     */
    void refuse(Connection primary, Side side, String stage, SqlAnalysis analysis, JdbcContext context)
            throws SQLException {
        List<String> names = analysis.functions();
        if (names == null) {
            if (analysis.kind() == Kind.SESSION || analysis.kind() == Kind.OTHER) {
                return; // SHOW, USE, RESET and the like call nothing; OTHER is refused on its own
            }
            throw refused(stage, analysis, context, "Cutover cannot tell which functions it calls, and a function"
                    + " may write rows it cannot key", "write it without function calls, or run it in a single-side"
                    + " stage");
        }
        if (names.isEmpty()) {
            return;
        }
        Dialect dialect = null;
        List<String> writing = new ArrayList<>();
        for (String name : names) {
            String key = side + ":" + name;
            Boolean answer = mayWrite.getIfPresent(key);
            if (answer == null) {
                dialect = dialect == null ? Dialect.detect(primary) : dialect;
                answer = lookUp(primary, dialect, name);
                mayWrite.put(key, answer);
            }
            if (answer) {
                writing.add(name);
            }
        }
        if (!writing.isEmpty()) {
            throw refused(stage, analysis, context, "it calls " + String.join(", ", writing) + ", a function of the"
                    + " database's own that may write rows (on PostgreSQL a VOLATILE one; on MariaDB and MySQL any"
                    + " stored function), and rows a function writes reach the primary only", "write those rows"
                    + " with INSERT, UPDATE or DELETE statements, or call the function in a single-side stage; on"
                    + " PostgreSQL, a function that writes nothing and returns the same result for the same arguments"
                    + " within a statement may be declared STABLE instead (not one that must give a new value per call,"
                    + " such as a random id)");
        }
    }

    private static boolean lookUp(Connection c, Dialect dialect, String name) throws SQLException {
        String sql = switch (dialect) {
            case POSTGRESQL -> "SELECT COUNT(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n"
                    + " ON n.oid = p.pronamespace WHERE lower(p.proname) = ? AND p.provolatile = 'v'"
                    + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                    // An extension's functions (uuid-ossp's uuid_generate_v4, pgcrypto's gen_salt) write no
                    // application rows, and cannot be redeclared: they are not the application's own.
                    + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass"
                    + " AND d.objid = p.oid AND d.deptype = 'e')";
            case MARIADB, MYSQL -> "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'FUNCTION'"
                    + " AND LOWER(ROUTINE_NAME) = ?";
            default -> null;
        };
        if (sql == null) {
            // H2's functions are Java aliases, mostly the application's tests' own: not looked up.
            return false;
        }
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && rows.getLong(1) > 0;
            }
        }
    }

    private static SQLFeatureNotSupportedException refused(String stage, SqlAnalysis analysis, JdbcContext context,
            String reason, String fix) {
        return new SQLFeatureNotSupportedException("Cutover refused a statement in " + stage + ": "
                + context.quote(analysis.sql()) + " . Reason: " + reason + ". Fix: " + fix + ".", "0A000");
    }
}
