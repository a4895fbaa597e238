package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.common.Dialect;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.jdbc.ConnectionHandler.KeysUnknownException;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import dev.cutover.dualwrite.internal.jdbc.StatementHandler.Call;
import dev.cutover.dualwrite.internal.jdbc.StatementHandler.Outcome;
import dev.cutover.dualwrite.internal.jdbc.WriteProtocol.WrittenKey;
import dev.cutover.flags.Side;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.sql.rowset.CachedRowSet;

/**
 * Runs the writes of mapped tables in a dual-write stage on the primary, inside the transaction
 * {@link ConnectionHandler#write} holds, and adds the keys they wrote for the mirror. A key missed
 * here is a row that never reaches the other side, so every write learns its keys the one way that
 * holds for its shape: an INSERT from its values, its RETURNING rows or the driver's generated keys;
 * an UPDATE or DELETE from a locking read of its rows before it runs, retried while rows committed by
 * others slip in. Kept apart from the statement's JDBC plumbing so that this protocol reads in one
 * place.
 */
final class KeyedWrites {
    /** How many times a write is tried when rows committed by others slipped in after its keys were read. */
    private static final int PHANTOM_ATTEMPTS = 10;
    /** How many levels of rows a chain of cascading deletes is followed through before the delete is refused. */
    private static final int MAX_CASCADE_DEPTH = 8;

    private final JdbcContext context;
    private final PhysicalStatements statements;
    /** The keys the last write read from the driver, kept for the application; the driver hands them out once. */
    private CachedRowSet generatedKeys;

    KeyedWrites(JdbcContext context, PhysicalStatements statements) {
        this.context = context;
        this.statements = statements;
    }

    /**
     * Runs a keyed write on the primary, in its transaction, and adds the keys it wrote. A write with
     * RETURNING answers its rows, read to the end (so that its count shows phantoms, and so that it
     * outlives the commit of an auto-commit write).
     */
    Outcome write(Connection c, Call call, SqlAnalysis analysis, TableMapping mapping, Side primary,
            String sql, Parameters bound, Object keyRequest, List<WrittenKey> keys) throws SQLException {
        if (analysis.kind() != Kind.INSERT) {
            return withoutPhantoms(c, analysis, mapping, primary, bound, keys, found -> {
                int own = lockRows(c, analysis, mapping, primary, bound, found);
                Statement statement = statements.track(statements.create(c, sql,
                        statements.keyRequestFor(sql, keyRequest), bound));
                Outcome outcome = execute(call, statement, sql, keyRequest);
                return new Attempt<>(outcome, outcome.count() > own);
            });
        }
        List<Object[]> rows = StatementKeys.insertKeys(analysis, mapping, primary, bound);
        StatementKeys.requireExactKeys(rows, mapping, primary, Dialect.detect(c), zeroGenerates(c, mapping, primary),
                context.quote(sql));
        boolean generated = StatementKeys.needsGenerated(rows);
        // With RETURNING, the returned rows carry the generated keys; without, the driver is asked for them.
        boolean fromReturning = generated && analysis.returning() != null;
        Object request = generated && !fromReturning
                ? StatementKeys.generatedKeyRequest(keyRequest, mapping.keyColumnNames(primary)) : keyRequest;
        Statement statement = statements.track(statements.create(c, sql, statements.keyRequestFor(sql, request), bound));
        Outcome outcome = execute(call, statement, sql, request);
        if (fromReturning) {
            int[] positions = StatementKeys.returnedKeyPositions(analysis, mapping, primary,
                    outcome.rows() == null ? null : outcome.rows().getMetaData());
            if (outcome.rows() == null || positions == null) {
                throw new KeysUnknownException("Cutover could not read the generated key " + mapping.keyColumnNames(primary)
                        + " of the rows inserted by " + context.quote(sql) + " from its RETURNING rows, so the rows cannot be mirrored"
                        + " and nothing was written. Fix: run it with executeQuery() or execute(), or insert the key's"
                        + " value explicitly");
            }
            StatementKeys.fillKeys((CachedRowSet) outcome.rows(), positions, rows, mapping, primary);
        } else if (generated) {
            generatedKeys = StatementKeys.fillGenerated(statement, rows, mapping, primary);
        }
        addInserted(keys, rows, mapping, primary);
        return outcome;
    }

    /** Runs a write through the JDBC method the application called. */
    private Outcome execute(Call call, Statement statement, String sql, Object keyRequest) throws SQLException {
        switch (call) {
            case QUERY: {
                CachedRowSet rows = readAll(statements.executeQuery(statement, sql));
                return new Outcome(rows.size(), rows, true);
            }
            case EXECUTE: {
                if (statements.execute(statement, sql, keyRequest)) {
                    CachedRowSet rows = readAll(statement.getResultSet());
                    return new Outcome(rows.size(), rows, true);
                }
                return new Outcome(statement.getUpdateCount(), null, false);
            }
            default:
                return new Outcome(statements.executeUpdate(statement, sql, keyRequest), null, false);
        }
    }

    private static CachedRowSet readAll(ResultSet rs) throws SQLException {
        CachedRowSet rows = QueryResult.newRowSet();
        try (rs) {
            rows.populate(rs);
        }
        rows.beforeFirst();
        return rows;
    }

    /**
     * Runs a prepared statement's batch of parameter sets as one keyed write. An UPDATE or DELETE runs
     * one set at a time: an entry's locking read must see what the entries before it changed.
     */
    long[] preparedBatch(Connection c, SqlAnalysis analysis, TableMapping mapping, Side primary,
            List<Parameters> sets, List<WrittenKey> keys) throws SQLException {
        String sql = statements.preparedSql();
        if (analysis.kind() != Kind.INSERT) {
            long[] counts = new long[sets.size()];
            for (int i = 0; i < sets.size(); i++) {
                Parameters set = sets.get(i);
                counts[i] = withoutPhantoms(c, analysis, mapping, primary, set, keys, found -> {
                    int own = lockRows(c, analysis, mapping, primary, set, found);
                    PreparedStatement statement = (PreparedStatement) statements.track(statements.create(c, sql,
                            statements.keyRequestFor(sql, statements.userKeyRequest()), set));
                    long count = statement.executeUpdate();
                    return new Attempt<>(count, count > own);
                });
            }
            return counts;
        }
        List<Object[]> rows = new ArrayList<>();
        for (Parameters set : sets) {
            rows.addAll(StatementKeys.insertKeys(analysis, mapping, primary, set));
        }
        StatementKeys.requireExactKeys(rows, mapping, primary, Dialect.detect(c), zeroGenerates(c, mapping, primary),
                context.quote(sql));
        boolean generated = StatementKeys.needsGenerated(rows);
        Object request = generated
                ? StatementKeys.generatedKeyRequest(statements.userKeyRequest(), mapping.keyColumnNames(primary))
                : statements.userKeyRequest();
        long[] counts = statements.preparedBatch(c, sets, request);
        if (generated) {
            generatedKeys = StatementKeys.fillGenerated(statements.last(), rows, mapping, primary);
        }
        addInserted(keys, rows, mapping, primary);
        return counts;
    }

    /**
     * Runs a plain statement's batch, one entry at a time: an entry's locking read must see what the
     * entries before it changed. A batch over tables of several migrations adds each one's keys to
     * its own migration's.
     *
     * @param mappings per entry, the mapping of the table it writes, or null for an unmirrored entry
     */
    long[] statementBatch(Connection c, List<String> sqls, List<SqlAnalysis> analyses, List<TableMapping> mappings,
            Side primary, Map<String, List<WrittenKey>> keysByMigration) throws SQLException {
        long[] counts = new long[sqls.size()];
        for (int i = 0; i < sqls.size(); i++) {
            String sql = sqls.get(i);
            SqlAnalysis analysis = analyses.get(i);
            TableMapping mapping = mappings.get(i);
            List<WrittenKey> keys = mapping == null ? null
                    : keysByMigration.get(context.part(mapping).migration());
            if (mapping == null || analysis.kind() == Kind.INSERT) {
                List<Object[]> rows = mapping == null ? List.of()
                        : StatementKeys.insertKeys(analysis, mapping, primary, new Parameters());
                if (mapping != null) {
                    StatementKeys.requireExactKeys(rows, mapping, primary, Dialect.detect(c),
                            zeroGenerates(c, mapping, primary), context.quote(sql));
                }
                counts[i] = statements.track(statements.create(c, null, null, null)).executeUpdate(sql);
                if (mapping != null) {
                    addInserted(keys, rows, mapping, primary);
                }
                continue;
            }
            counts[i] = withoutPhantoms(c, analysis, mapping, primary, null, keys, found -> {
                int own = lockRows(c, analysis, mapping, primary, null, found);
                long count = statements.track(statements.create(c, null, null, null)).executeUpdate(sql);
                return new Attempt<>(count, count > own);
            });
        }
        return counts;
    }

    private StatementKeys.ZeroGenerates zeroGenerates(Connection c, TableMapping mapping, Side primary) {
        String table = primary == Side.SOURCE ? mapping.sourceTable() : mapping.targetTable();
        return column -> context.autoIncrementColumns().generatesOnZero(c, primary, table, column);
    }

    private static void addInserted(List<WrittenKey> keys, List<Object[]> rows, TableMapping mapping, Side primary) {
        for (Object[] row : rows) {
            keys.add(new WrittenKey(mapping.entity(), StatementKeys.key(mapping, primary, Arrays.asList(row))));
        }
    }

    /** @return the generated keys the last write read from the driver, or null */
    CachedRowSet generatedKeys() {
        return generatedKeys;
    }

    void forgetGeneratedKeys() {
        generatedKeys = null;
    }

    /** One try of a keyed write: its result, and whether it changed rows its locking read did not find. */
    private record Attempt<T>(T value, boolean phantom) {
    }

    @FunctionalInterface
    private interface KeyedAttempt<T> {
        Attempt<T> run(List<WrittenKey> found) throws SQLException;
    }

    /**
     * Runs an UPDATE or DELETE after its locking read, inside a savepoint. A row another transaction
     * inserted and committed after the locking read is not locked, but the statement (which reads
     * the latest committed rows) changes it anyway: its key would never be mirrored. The affected-row
     * count shows it; the attempt is then rolled back to the savepoint and made again, and now the
     * locking read sees the row. The key the WHERE condition pins down, if any, is added to the keys
     * found, also when no row has it.
     */
    private <T> T withoutPhantoms(Connection c, SqlAnalysis analysis, TableMapping mapping, Side primary,
            Parameters bound, List<WrittenKey> keys, KeyedAttempt<T> attempt) throws SQLException {
        for (int i = 1; i <= PHANTOM_ATTEMPTS; i++) {
            Savepoint savepoint = c.setSavepoint();
            List<WrittenKey> found = new ArrayList<>();
            Attempt<T> result = attempt.run(found);
            if (!result.phantom()) {
                c.releaseSavepoint(savepoint);
                keys.addAll(found);
                // A statement that pins its key acted on that key's state even where it changed nothing
                // (no row, or one its other conditions rule out), so the key is mirrored all the same, as
                // the repository style mirrors its routing keys: the copy carries that state across
                // within this write's copy window, or the write fails. Unmirrored, the state could be an
                // earlier write's whose copy came too late and which the next primary then undoes,
                // leaving this acknowledged write as if it had run on a state that never was.
                String pinned = StatementKeys.pinnedKey(analysis, mapping, primary, bound);
                if (pinned != null) {
                    keys.add(new WrittenKey(mapping.entity(), pinned));
                }
                return result.value();
            }
            c.rollback(savepoint);
        }
        throw new KeysUnknownException("Cutover could not lock the rows of " + context.quote(analysis.sql())
                + " : rows matching it kept"
                + " being inserted by other transactions (" + PHANTOM_ATTEMPTS + " attempts), so nothing was written."
                + " Fix: retry the transaction");
    }

    /**
     * Finds and locks the rows an UPDATE or DELETE is about to change, in its transaction, and adds
     * their keys: its own rows, and the rows of mapped tables that foreign keys referencing its table
     * delete or update with them ({@code ON DELETE CASCADE}, {@code SET NULL}, {@code SET DEFAULT}, and
     * their {@code ON UPDATE} forms when it sets referenced columns), down a chain of cascading deletes.
     * The primary changes those rows inside the statement; keyed by its own rows alone, they kept their
     * rows on the other side, which has no foreign keys between the mapped tables.
     *
     * @return how many of its own rows it found, for the phantom check
     */
    private int lockRows(Connection c, SqlAnalysis analysis, TableMapping mapping, Side primary, Parameters bound,
            List<WrittenKey> found) throws SQLException {
        String rows = "FROM " + analysis.fromSql() + (analysis.whereSql() == null ? "" : " WHERE " + analysis.whereSql());
        List<WrittenKey> own = lockedKeys(c, rows, mapping, primary, analysis, bound);
        found.addAll(own);
        String table = primary == Side.SOURCE ? mapping.sourceTable() : mapping.targetTable();
        lockReferencing(c, analysis, context.part(mapping).migration(), primary, bound, table, rows,
                analysis.kind() == Kind.DELETE, found, 1);
        return own.size();
    }

    /**
     * Locks the rows that foreign keys referencing {@code table} change when the statement changes its
     * {@code rows}, adding their keys; follows cascading deletes into the tables referencing those.
     */
    private void lockReferencing(Connection c, SqlAnalysis analysis, String migration, Side primary, Parameters bound,
            String table, String rows, boolean delete, List<WrittenKey> found, int depth) throws SQLException {
        for (ReferencingKeys.Reference reference : context.referencingKeys().changedBy(c, primary, table, delete,
                analysis.setColumns() == null ? List.of() : analysis.setColumns())) {
            String referencing = "FROM " + reference.table() + " WHERE " + tuple(reference.columns()) + " IN (SELECT "
                    + String.join(", ", reference.referenced()) + " " + rows + ")";
            TableMapping mapped = context.mapping(SqlAnalyzer.normalise(reference.table()), primary);
            boolean changesRows;
            if (mapped == null) {
                // Not mirrored itself, but its cascade may reach a mapped table.
                changesRows = !lockedKeys(c, referencing, null, primary, analysis, bound).isEmpty();
            } else {
                List<WrittenKey> keys = lockedKeys(c, referencing, mapped, primary, analysis, bound);
                changesRows = !keys.isEmpty();
                String its = context.part(mapped).migration();
                if (its.equals(migration)) {
                    found.addAll(keys);
                } else if (changesRows && context.stages().of(its).dualWrites()) {
                    throw refused(analysis, "a foreign key of " + reference.table() + " (" + String.join(", ",
                            reference.columns()) + ") " + (delete ? "deletes or updates" : "updates") + " its rows with"
                            + " the rows this statement changes, and " + reference.table() + " is mapped by migration "
                            + its + ", whose mirror this write does not hold", "change the " + reference.table()
                            + " rows first with a statement of their own, or map both tables in one migration");
                }
            }
            if (changesRows && delete && reference.deletes()) {
                if (depth >= MAX_CASCADE_DEPTH) {
                    throw refused(analysis, "its foreign keys cascade its delete through more than "
                            + MAX_CASCADE_DEPTH + " levels of rows (" + reference.table() + ")", "delete the rows"
                            + " from the deepest level up, a statement per level");
                }
                lockReferencing(c, analysis, migration, primary, bound, reference.table(), referencing, true, found,
                        depth + 1);
            }
        }
    }

    private SQLFeatureNotSupportedException refused(SqlAnalysis analysis, String reason, String fix) {
        return new SQLFeatureNotSupportedException("Cutover refused " + context.quote(analysis.sql()) + " . Reason: "
                + reason + "; those rows would reach the primary only. Fix: " + fix + "; nothing was written.", "0A000");
    }

    private static String tuple(List<String> columns) {
        return columns.size() == 1 ? columns.get(0) : "(" + String.join(", ", columns) + ")";
    }

    /**
     * Runs a locking read of {@code rows} (a FROM clause with the statement's WHERE in it, whose
     * parameters it binds) and returns the keys of the mapping's rows it locked; for no mapping, one
     * placeholder per row.
     */
    private List<WrittenKey> lockedKeys(Connection c, String rows, TableMapping mapping, Side primary,
            SqlAnalysis analysis, Parameters bound) throws SQLException {
        List<String> keyColumns = mapping == null ? List.of("1") : mapping.keyColumnNames(primary);
        String select = "SELECT " + String.join(", ", keyColumns) + " " + rows + " FOR UPDATE";
        List<WrittenKey> keys = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(select)) {
            Object[] timeout = statements.setting("setQueryTimeout");
            if (timeout != null) {
                statement.setQueryTimeout((Integer) timeout[0]);
            }
            List<Integer> whereParameters = analysis.whereParameters();
            for (int i = 0; i < whereParameters.size(); i++) {
                if (bound == null) {
                    throw new SQLException("A plain Statement cannot have parameters: " + context.quote(analysis.sql()),
                            "07001");
                }
                bound.bind(statement, i + 1, whereParameters.get(i));
            }
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    if (mapping == null) {
                        keys.add(null);
                        continue;
                    }
                    List<Object> values = new ArrayList<>(keyColumns.size());
                    for (int i = 1; i <= keyColumns.size(); i++) {
                        values.add(result.getObject(i));
                    }
                    keys.add(new WrittenKey(mapping.entity(), StatementKeys.key(mapping, primary, values)));
                }
            }
        }
        return keys;
    }
}
