package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import dev.cutover.flags.Side;
import dev.cutover.router.ReadCall;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Where a read runs: through its migration's read router when it reads one migration's tables
 * outside a read-write transaction, else on the primary connection, and refused while the
 * migrations disagree about the primary of a table it reads. Apart from the writes because a read
 * is never keyed or mirrored, and its own choices (routing, the routing key, the side's connection)
 * are the read router's concerns, not the mirror's.
 */
final class ReadPath {
    private final ConnectionHandler connection;
    private final JdbcContext context;
    private final PhysicalStatements statements;

    ReadPath(ConnectionHandler connection, PhysicalStatements statements) {
        this.connection = connection;
        this.context = connection.context();
        this.statements = statements;
    }

    /**
     * Runs a read (plain or locking).
     *
     * @param bound the parameters of a prepared statement's own SQL, or null
     * @return its rows: a routed read's read to the end, else the driver's
     */
    ResultSet query(String sql, Parameters bound, SqlAnalysis analysis) throws SQLException {
        Stages stages = connection.beginStatement();
        Side primary = stages.primary();
        // An updatable result set writes through the driver (updateRow, insertRow, deleteRow), past the
        // keying; and a routed read's disconnected copy would take those writes and write nothing.
        if (stages.anyDualWrites()) {
            context.writingFunctions().refuse(connection.physical(), connection.physicalSide(), stages.describe(),
                    analysis, context);
        }
        connection.beforeRunning(analysis);
        boolean updatable = statements.updatable();
        if (updatable) {
            requireUnmirroredTables(stages, analysis);
        }
        JdbcContext.Part part = updatable ? null : routable(analysis, primary);
        if (part != null) {
            return routed(part, sql, bound, routingKey(analysis, primary, bound));
        }
        if (!stages.agree()) {
            requirePrimaryOfEveryTable(stages, analysis);
        }
        if (analysis.kind() == Kind.LOCKING_READ) {
            connection.fenceLockingRead(stages, analysis.tables());
        }
        Statement statement = statements.track(statements.create(connection.physical(), sql, null, bound));
        return statements.wrap(statements.executeQuery(statement, sql));
    }

    /**
     * A plain read of one migration's mapped tables, in auto-commit or a read-only transaction, goes
     * through that migration's router, when both sides speak the primary's dialect (or cross-dialect
     * reads are allowed). A read of several migrations' tables runs on the primary: no one router's
     * stage holds for all of them.
     *
     * @return the migration whose router serves the read, or null to read on the primary connection
     */
    private JdbcContext.Part routable(SqlAnalysis analysis, Side primary) throws SQLException {
        if (analysis.kind() != Kind.READ || !connection.readsMayBeRouted() || analysis.tables() == null
                || analysis.tables().isEmpty()) {
            return null;
        }
        JdbcContext.Part part = null;
        for (String table : analysis.tables()) {
            TableMapping mapping = connection.mapped(table, primary);
            if (mapping == null || part != null && part != context.part(mapping)) {
                return null;
            }
            part = context.part(mapping);
        }
        return context.readsMayCross(connection.physical(), connection.physical() == null ? primary
                : connection.physicalSide()) ? part : null;
    }

    /**
     * Refuses an updatable read in a dual-write stage unless every table it reads is a pass-through
     * table: the rows its result set writes reach the primary only.
     */
    private void requireUnmirroredTables(Stages stages, SqlAnalysis analysis) throws SQLException {
        if (!stages.anyDualWrites()) {
            return;
        }
        boolean passThroughOnly = analysis.tables() != null && !analysis.tables().isEmpty();
        if (passThroughOnly) {
            for (String table : analysis.tables()) {
                passThroughOnly &= connection.mapped(table, stages.primary()) == null && context.passThrough(table);
            }
        }
        if (!passThroughOnly) {
            throw new SQLFeatureNotSupportedException("Cutover refused a statement in " + stages.describe() + ": "
                    + context.quote(analysis.sql()) + " . Reason: its statement was created with"
                    + " ResultSet.CONCUR_UPDATABLE, and rows written through an updatable result set (updateRow,"
                    + " insertRow, deleteRow) go from the driver to the primary without Cutover learning their keys, so"
                    + " they would never reach the other side. Fix: create the statement with ResultSet.CONCUR_READ_ONLY"
                    + " and write the rows with UPDATE, INSERT or DELETE statements", "0A000");
        }
    }

    /**
     * While the migrations disagree about the primary, a read on the connection's side is refused when
     * that side is not the primary of a migration whose table it reads: there it may lag behind, or
     * (TARGET_ONLY, SOURCE_ONLY) not be written at all.
     */
    private void requirePrimaryOfEveryTable(Stages stages, SqlAnalysis analysis) throws SQLException {
        if (analysis.tables() == null) {
            throw new SQLTransientException(stages.disagreement("a read whose tables it cannot tell ("
                    + context.quote(analysis.sql()) + "), since the side it would run on may not be their primary"),
                    "55000");
        }
        for (String table : analysis.tables()) {
            TableMapping mapping = connection.mapped(table, stages.primary());
            if (mapping != null && stages.of(context.part(mapping).migration()).primary() != stages.primary()) {
                throw new SQLTransientException(stages.disagreement("a read of table " + table + " of migration "
                        + context.part(mapping).migration() + " on the " + stages.primary().name().toLowerCase(Locale.ROOT)
                        + ", which is not its primary (in auto-commit or a read-only transaction, a read of one"
                        + " migration's tables is routed by its own stage)"), "55000");
            }
        }
    }

    private String routingKey(SqlAnalysis analysis, Side primary, Parameters bound) throws SQLException {
        if (analysis.tables().size() != 1 || analysis.equalities().isEmpty()) {
            return null;
        }
        return StatementKeys.pinnedKey(analysis, connection.mapped(analysis.tables().get(0), primary), primary, bound);
    }

    private ResultSet routed(JdbcContext.Part part, String sql, Parameters bound, String key) throws SQLException {
        Thread caller = Thread.currentThread();
        // The router may run a side later on another thread: it gets the parameters as they are now.
        Parameters snapshot = bound == null ? null : bound.copy();
        ReadCall<QueryResult> source = () -> read(Side.SOURCE, caller, sql, snapshot);
        ReadCall<QueryResult> target = () -> read(Side.TARGET, caller, sql, snapshot);
        try {
            return part.router().read(context.quote(sql), key, source, target).rowSet();
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new SQLException(e.getMessage(), e);
        }
    }

    private QueryResult read(Side side, Thread caller, String sql, Parameters bound) throws SQLException {
        if (Thread.currentThread() == caller && side == connection.physicalSide()) {
            // The caller's own connection, so that a read in a transaction sees what the transaction sees.
            try (Statement statement = statements.create(connection.physical(), sql, null, bound)) {
                return QueryResult.of(statements.executeQuery(statement, sql));
            }
        }
        try (Connection other = connection.open(side);
                Statement statement = statements.create(other, sql, null, bound)) {
            return QueryResult.of(statements.executeQuery(statement, sql));
        }
    }
}
