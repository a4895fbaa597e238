package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import dev.cutover.dualwrite.internal.jdbc.StatementHandler.Call;
import dev.cutover.flags.Side;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Locale;

/**
 * Which statements Cutover refuses, and why. The wrapper is default-deny: in a dual-write stage a
 * statement runs only when Cutover can name the keys it writes, or prove it leaves the migrated
 * tables alone. Everything else (SQL shapes it cannot key, JDBC entry points that would hide the keys
 * or run the write before failing) is refused before it runs, with a message that names the problem
 * and the fix, since the application's developer meets it in a stack trace. Kept apart from the
 * execution so that a statement's refusals read in one place; {@link SqlAnalyzer} says why a shape
 * cannot be keyed, and {@link ConnectionHandler} refuses procedure calls and writes while the
 * migrations disagree about the primary.
 */
final class RefusalPolicy {
    private final ConnectionHandler connection;
    private final JdbcContext context;

    RefusalPolicy(ConnectionHandler connection) {
        this.connection = connection;
        this.context = connection.context();
    }

    /**
     * Decides where a statement goes. A write of a mapped table follows its migration's stage: keyed
     * and mirrored in a dual-write stage, untouched in a single-side one. Other statements run
     * untouched while no migration writes both sides, and otherwise only on pass-through tables.
     *
     * @return the mapping of the table it writes, to be mirrored, or null when it runs on the primary unmirrored
     * @throws SQLFeatureNotSupportedException when it cannot be mirrored safely
     */
    TableMapping resolve(Stages stages, SqlAnalysis analysis) throws SQLException {
        if (analysis.kind() == Kind.READ || analysis.kind() == Kind.LOCKING_READ || !stages.anyDualWrites()) {
            return null;
        }
        Side primary = stages.primary();
        // A mapped table is mirrored whatever passThrough says: passing it through would lose its copies.
        TableMapping mapping = analysis.table() == null ? null : connection.mapped(analysis.table(), primary);
        String stage = mapping == null ? stages.describe() : stages.describe(context.part(mapping).migration());
        if (mapping != null && !stages.of(context.part(mapping).migration()).dualWrites()) {
            if (analysis.isWrite() && analysis.refusal() == null) {
                return null; // one table, of a migration in a single-side stage
            }
            throw refused(stages.describe(), analysis.sql(), analysis.refusal() == null ? "it is not a plain"
                    + " single-table INSERT, UPDATE or DELETE, so Cutover cannot prove that it leaves alone the tables"
                    + " of the migrations that write both sides" : analysis.refusal(), "run it while no migration of"
                    + " this data source writes both sides, or on each database's own data source (schema tools:"
                    + " Flyway, Liquibase)");
        }
        if (mapping == null && context.passThrough(analysis.table())) {
            return null;
        }
        if (analysis.kind() == Kind.OTHER) {
            String fix = analysis.fix() == null ? "run it in a single-side stage" : analysis.fix();
            if (mapping == null && analysis.table() != null && context.mapping(analysis.table(), primary) == null) {
                fix += ", or, if table " + analysis.table() + " is not migrated, declare it "
                        + passThrough(analysis.table()) + " to write it on the primary only";
            }
            throw refused(stage, analysis.sql(), analysis.refusal(), fix);
        }
        if (mapping == null) {
            String table = analysis.table();
            TableMapping sameName = otherNamespace(table, primary);
            if (sameName != null) {
                String name = table.substring(table.lastIndexOf('.') + 1);
                throw refused(stage, analysis.sql(), "table " + table + " is not the mapped table " + name + " (of entity "
                        + sameName.entity() + "): the qualifier names neither the connection's current schema nor its"
                        + " catalog (" + connection.currentNamespace() + "), so it is a different table, whose rows"
                        + " would never reach the " + primary.other().name().toLowerCase(Locale.ROOT),
                        "if you meant the mapped table, name it without the qualifier or with the current one; if it is"
                                + " a different table, add a TableMapping for it, or declare it " + passThrough(table)
                                + " to write it on the primary only");
            }
            throw refused(stage, analysis.sql(), "table " + table + " is not mapped by the RowCopier, so its"
                    + " rows would never reach the " + primary.other().name().toLowerCase(Locale.ROOT),
                    "add a TableMapping for it, or, if it is not migrated, declare it " + passThrough(table)
                            + " to write it on the primary only");
        }
        if (analysis.refusal() != null) {
            throw refused(stage, analysis.sql(), analysis.refusal(), analysis.fix() == null
                    ? "write one table per statement, with INSERT ... VALUES, UPDATE or DELETE" : analysis.fix());
        }
        List<String> keyColumns = StatementKeys.lower(mapping.keyColumnNames(primary));
        for (String column : analysis.setColumns()) {
            if (keyColumns.contains(column)) {
                throw refused(stage, analysis.sql(), "it changes key column " + column + ", and a copy by key cannot"
                        + " follow a row to its new key", "delete the row and insert it under its new key");
            }
        }
        // A copy carries the mapped columns only: a value written to another column would stay on the
        // primary, the other side keeping its old value or NULL, and the verifier (which compares the
        // mapped columns) would not see it.
        List<String> copied = StatementKeys.lower(mapping.columnNames(primary));
        for (List<String> written : List.of(analysis.insertColumns(), analysis.setColumns())) {
            for (String column : written) {
                if (!copied.contains(column)) {
                    throw refused(stage, analysis.sql(), "it writes column " + column + " of table " + analysis.table()
                            + ", which the mapping of entity " + mapping.entity() + " does not copy, so the "
                            + primary.other().name().toLowerCase(Locale.ROOT) + " would never get the value",
                            "add column " + column + " to the TableMapping of " + mapping.entity()
                                    + " (columns(...)), or stop writing it");
                }
            }
        }
        return mapping;
    }

    /**
     * How to declare a pass-through table, in the builder's terms and in the Spring Boot starter's,
     * whose users configure the wrapper by properties and never see its builder.
     */
    private static String passThrough(String table) {
        return "passThrough(\"" + table + "\") (with the Spring Boot starter: cutover.data-source.pass-through="
                + table + ")";
    }

    /**
     * Refuses a keyed write run through a JDBC method that cannot answer what it returns, or that
     * would keep from Cutover the keys it generates.
     *
     * @param stage where the statement runs, e.g. {@code stage DUAL_WRITE of migration orders}
     * @param bound the parameters of a prepared statement's own SQL, or null
     */
    void checkCall(Call call, String stage, String sql, SqlAnalysis analysis, TableMapping mapping, Side primary,
            Parameters bound) throws SQLException {
        if (call == Call.QUERY && analysis.returning() == null) {
            // PostgreSQL's driver runs the write and only then complains that no rows came back: in the
            // application's transaction the row would stay, and commit unmirrored if the error is caught.
            throw refused(stage, sql, "executeQuery() expects rows, and this write returns none", "run it with"
                    + " executeUpdate() or execute(), or add a RETURNING clause");
        }
        if (call == Call.UPDATE && analysis.returning() != null) {
            throw refused(stage, sql, "executeUpdate() cannot hand out the rows a RETURNING clause returns, and"
                    + " drivers run the write before they complain", "run it with executeQuery() or execute()");
        }
        if (analysis.kind() == Kind.INSERT && analysis.returning() != null && call != Call.UPDATE
                && StatementKeys.needsGenerated(StatementKeys.insertKeys(analysis, mapping, primary,
                        bound == null ? new Parameters() : bound))
                && StatementKeys.returnedKeyPositions(analysis, mapping, primary, null) == null) {
            throw refused(stage, sql, "the database generates the key " + mapping.keyColumnNames(primary) + " of the"
                    + " inserted rows, and the RETURNING clause does not return it, so Cutover cannot learn the keys",
                    "add the key column(s) to the RETURNING clause, or insert the key's value explicitly");
        }
    }

    /**
     * Drivers run a batch entry with RETURNING without handing out its rows, and some take the
     * returned rows for generated keys; Cutover would learn wrong keys or none.
     */
    void refuseReturningInBatch(String stage, SqlAnalysis analysis) throws SQLException {
        if (analysis.returning() != null) {
            throw refused(stage, analysis.sql(), "a batch does not hand out the rows a RETURNING clause returns, so"
                    + " Cutover cannot read the keys it wrote from them", "run it with executeQuery() or execute(), one"
                    + " statement at a time, or drop the RETURNING clause from the batch");
        }
    }

    /** A plain statement's batch answers no generated keys, so Cutover could not learn the rows' keys. */
    void refuseGeneratedKeysInStatementBatch(String stage, String sql, SqlAnalysis analysis, TableMapping mapping,
            Side primary) throws SQLException {
        if (analysis.kind() == Kind.INSERT
                && StatementKeys.needsGenerated(StatementKeys.insertKeys(analysis, mapping, primary, new Parameters()))) {
            throw refused(stage, sql, "a Statement batch cannot return generated keys",
                    "insert rows with generated keys through a PreparedStatement with RETURN_GENERATED_KEYS");
        }
    }

    /** @return the mapping of a table with the same unqualified name as a qualified one, or null */
    private TableMapping otherNamespace(String table, Side primary) {
        int dot = table.lastIndexOf('.');
        return dot < 0 ? null : context.mapping(table.substring(dot + 1), primary);
    }

    /**
     * @param stage where the statement was refused, e.g. {@code stage DUAL_WRITE of migration orders}
     */
    private SQLFeatureNotSupportedException refused(String stage, String sql, String reason, String fix) {
        return new SQLFeatureNotSupportedException("Cutover refused a statement in " + stage + ": " + context.quote(sql) + " . Reason: " + reason + ". Fix: " + fix + ".", "0A000");
    }
}
