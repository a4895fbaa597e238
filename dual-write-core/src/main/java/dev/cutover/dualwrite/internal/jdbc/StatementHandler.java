package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import dev.cutover.flags.Side;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.sql.rowset.CachedRowSet;

/**
 * A wrapped {@link Statement} or {@link PreparedStatement}. It records the application's parameters
 * and settings and, at each execution, decides where the SQL goes: reads through the read router
 * (or to the primary inside a transaction that has written), keyed writes to the primary with their
 * keys found, everything else to the primary in single-side stages or refused in dual-write stages.
 * The read path ({@link ReadPath}), the keyed writes ({@link KeyedWrites}), the refusals
 * ({@link RefusalPolicy}) and the driver's statements ({@link PhysicalStatements}) are their own
 * classes; this one dispatches the JDBC calls and holds the last execution's results. Not
 * thread-safe, like any JDBC statement.
 */
final class StatementHandler implements InvocationHandler {
    private static final Set<String> SETTINGS = Set.of("setQueryTimeout", "setMaxRows", "setLargeMaxRows",
            "setFetchSize", "setFetchDirection", "setMaxFieldSize", "setEscapeProcessing", "setPoolable",
            "setCursorName", "closeOnCompletion");
    /** The methods that run SQL; on a prepared statement, only without a SQL argument. */
    private static final Set<String> EXECUTIONS = Set.of("executeQuery", "executeUpdate", "executeLargeUpdate", "execute",
            "addBatch");

    private final ConnectionHandler connection;
    private final JdbcContext context;
    /** The SQL of a prepared statement; null for a plain statement. */
    private final String preparedSql;
    private final PhysicalStatements statements;
    private final ReadPath reads;
    private final KeyedWrites writes;
    private final RefusalPolicy refusals;
    private final Parameters parameters = new Parameters();
    private final List<Parameters> batch = new ArrayList<>();
    private final List<String> sqlBatch = new ArrayList<>();
    private ResultSet result;
    private long updateCount = -1;
    /** Whether the last execution was a plain {@code execute} whose results only the driver's statement holds. */
    private boolean driverResults;
    private boolean closed;

    StatementHandler(ConnectionHandler connection, String preparedSql, Object[] createArgs) {
        this.connection = connection;
        this.context = connection.context();
        this.preparedSql = preparedSql;
        this.statements = new PhysicalStatements(connection, preparedSql, createArgs);
        this.reads = new ReadPath(connection, statements);
        this.writes = new KeyedWrites(context, statements);
        this.refusals = new RefusalPolicy(connection);
    }

    void proxy(Statement proxy) {
        statements.proxy(proxy);
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        switch (name) {
            case "equals":
                return self == args[0];
            case "hashCode":
                return System.identityHashCode(self);
            case "toString":
                return "CutoverStatement[" + (preparedSql == null ? "" : preparedSql) + "]";
            case "close":
                close();
                return null;
            case "isClosed":
                return closed;
            case "getConnection":
                return connection.proxy();
            case "unwrap":
                return ConnectionHandler.unwrapSelf(self, (Class<?>) args[0], "statement");
            case "isWrapperFor":
                return ((Class<?>) args[0]).isInstance(self);
            default:
                break;
        }
        if (closed) {
            throw new SQLException("Statement is closed", "HY010");
        }
        if (preparedSql != null && name.startsWith("set") && args != null && args.length >= 2
                && args[0] instanceof Integer && method.getDeclaringClass() == PreparedStatement.class) {
            parameters.record(method, args);
            return null;
        }
        if (SETTINGS.contains(name)) {
            statements.set(name, method, args);
            return null;
        }
        boolean ownSql = preparedSql != null && (args == null || args.length == 0);
        if (preparedSql != null && !ownSql && EXECUTIONS.contains(name)) {
            // As the drivers do: a prepared statement runs its own SQL. Running the text as a plain
            // statement instead would also skip the batch of parameter sets it holds.
            throw new SQLException("Can't use query methods that take a query string on a PreparedStatement", "42000");
        }
        String sql = ownSql ? preparedSql : args != null && args.length > 0 && args[0] instanceof String s ? s : preparedSql;
        Object keyRequest = ownSql ? statements.userKeyRequest() : args != null && args.length > 1 ? args[1] : null;
        Parameters bound = ownSql ? parameters : null;
        switch (name) {
            case "clearParameters":
                parameters.clear();
                return null;
            case "addBatch":
                if (ownSql) {
                    batch.add(parameters.copy());
                } else {
                    sqlBatch.add(sql);
                }
                return null;
            case "clearBatch":
                batch.clear();
                sqlBatch.clear();
                return null;
            case "executeQuery":
                return run(Call.QUERY, sql, bound, keyRequest);
            case "executeUpdate":
                return (int) (long) (Long) run(Call.UPDATE, sql, bound, keyRequest);
            case "executeLargeUpdate":
                return run(Call.UPDATE, sql, bound, keyRequest);
            case "execute":
                return run(Call.EXECUTE, sql, bound, keyRequest);
            case "executeBatch":
                return Arrays.stream(executeBatch()).mapToInt(n -> (int) n).toArray();
            case "executeLargeBatch":
                return executeBatch();
            case "getResultSet":
                return ownResults() ? result : statements.wrap(statements.last().getResultSet());
            case "getUpdateCount":
                return ownResults() ? (int) updateCount : statements.last().getUpdateCount();
            case "getLargeUpdateCount":
                return ownResults() ? updateCount : statements.last().getLargeUpdateCount();
            case "getMoreResults":
                if (ownResults()) {
                    resetResults();
                    return false;
                }
                return PhysicalStatements.forward(statements.last(), method, args);
            case "getGeneratedKeys":
                return writes.generatedKeys() != null ? writes.generatedKeys()
                        : statements.wrap(statements.lastOrNew().getGeneratedKeys());
            case "cancel":
                statements.cancel();
                return null;
            default:
                return PhysicalStatements.forward(statements.lastOrNew(), method, args);
        }
    }

    /** @return whether the last execution's results are Cutover's (a routed read, a keyed write) rather than the driver's */
    private boolean ownResults() {
        return !driverResults || statements.last() == null;
    }

    /** The JDBC method a statement runs through: what it answers, and what the driver is asked to do. */
    enum Call {
        /** {@code executeQuery}: answers a result set. */
        QUERY,
        /** {@code executeUpdate}, {@code executeLargeUpdate}: answers a row count. */
        UPDATE,
        /** {@code execute}: answers whether a result set came, which the application then fetches. */
        EXECUTE
    }

    /**
     * What one execution answered.
     *
     * @param count the rows written, or -1
     * @param rows the result set, or null
     * @param resultSet whether the answer is a result set
     */
    record Outcome(long count, ResultSet rows, boolean resultSet) {
    }

    /**
     * Runs one SQL text through one JDBC method. Every entry point comes here, so that what is refused,
     * keyed and mirrored does not depend on the method the application or its framework picked: a
     * {@code DELETE ... RETURNING} is a keyed write whether it arrives through {@code executeQuery} or
     * {@code execute}.
     *
     * @return the result set (QUERY), the row count as a long (UPDATE), or whether a result set came (EXECUTE)
     */
    private Object run(Call call, String sql, Parameters bound, Object keyRequest) throws SQLException {
        SqlAnalysis analysis = context.analyzer().analyze(sql);
        boolean releaseAfter = analysis.drawsSequence() && connection.fenceSequenceDraw();
        try {
            return run(call, sql, bound, keyRequest, analysis);
        } finally {
            if (releaseAfter) {
                connection.releaseSequenceDraw();
            }
        }
    }

    private Object run(Call call, String sql, Parameters bound, Object keyRequest, SqlAnalysis analysis)
            throws SQLException {
        if ((analysis.kind() == Kind.READ || analysis.kind() == Kind.LOCKING_READ) && call != Call.UPDATE) {
            resetResults();
            result = reads.query(sql, bound, analysis);
            return call == Call.QUERY ? result : Boolean.TRUE;
        }
        resetResults();
        Stages stages = connection.beginStatement();
        Side primary = stages.primary();
        TableMapping mapping = analysis.kind() != Kind.SESSION ? refusals.resolve(stages, analysis) : null;
        refuseWritingFunctions(stages, analysis);
        connection.beforeRunning(analysis);
        Outcome outcome;
        if (mapping == null) {
            outcome = unmirrored(stages, analysis, () -> {
                Statement statement = statements.track(statements.create(connection.physical(), sql,
                        statements.keyRequestFor(sql, keyRequest), bound));
                if (call == Call.EXECUTE) {
                    // The driver's own results: several, possibly, which only its statement can walk.
                    driverResults = true;
                    return new Outcome(-1, null, statements.execute(statement, sql, keyRequest));
                }
                if (call == Call.QUERY) {
                    return new Outcome(-1, statements.wrap(statements.executeQuery(statement, sql)), true);
                }
                return new Outcome(statements.executeUpdate(statement, sql, keyRequest), null, false);
            });
            if (call == Call.QUERY) {
                result = outcome.rows();
            } else if (call == Call.UPDATE) {
                updateCount = outcome.count();
            }
        } else {
            String migration = context.part(mapping).migration();
            refusals.checkCall(call, stages.describe(migration), sql, analysis, mapping, primary, bound);
            outcome = connection.write(stages, migration, (c, keys) -> writes.write(c, call, analysis, mapping,
                    primary, sql, bound, keyRequest, keys));
            result = outcome.rows();
            updateCount = outcome.rows() == null ? outcome.count() : -1;
        }
        return switch (call) {
            case QUERY -> result;
            case UPDATE -> outcome.count();
            case EXECUTE -> outcome.resultSet();
        };
    }

    private long[] executeBatch() throws SQLException {
        resetResults();
        Stages stages = connection.beginStatement();
        Side primary = stages.primary();
        // A batch runs updates only (JDBC), none of which may run while the primaries disagree.
        ConnectionHandler.requireOnePrimary(stages);
        if (preparedSql != null) {
            List<Parameters> sets = List.copyOf(batch);
            batch.clear();
            SqlAnalysis analysis = context.analyzer().analyze(preparedSql);
            TableMapping mapping = analysis.kind() != Kind.SESSION ? refusals.resolve(stages, analysis) : null;
            refuseWritingFunctions(stages, analysis);
            if (mapping == null) {
                return unmirrored(stages, analysis, () -> statements.preparedBatch(connection.physical(), sets,
                        statements.userKeyRequest()));
            }
            String migration = context.part(mapping).migration();
            refusals.refuseReturningInBatch(stages.describe(migration), analysis);
            return connection.write(stages, migration, (c, keys) -> writes.preparedBatch(c, analysis, mapping, primary,
                    sets, keys));
        }
        List<String> sqls = List.copyOf(sqlBatch);
        sqlBatch.clear();
        List<SqlAnalysis> analyses = new ArrayList<>();
        List<TableMapping> mappings = new ArrayList<>();
        Set<String> migrations = new LinkedHashSet<>();
        for (String sql : sqls) {
            SqlAnalysis analysis = context.analyzer().analyze(sql);
            TableMapping mapping = analysis.kind() != Kind.SESSION ? refusals.resolve(stages, analysis) : null;
            refuseWritingFunctions(stages, analysis);
            if (mapping != null) {
                String stage = stages.describe(context.part(mapping).migration());
                migrations.add(context.part(mapping).migration());
                refusals.refuseReturningInBatch(stage, analysis);
                refusals.refuseGeneratedKeysInStatementBatch(stage, sql, analysis, mapping, primary);
            }
            analyses.add(analysis);
            mappings.add(mapping);
        }
        if (mappings.stream().anyMatch(m -> m != null) && analyses.stream().anyMatch(a -> a.kind() == Kind.SESSION)) {
            SqlAnalysis session = analyses.stream().filter(a -> a.kind() == Kind.SESSION).findFirst().orElseThrow();
            throw new java.sql.SQLFeatureNotSupportedException("Cutover refused a batch in " + stages.describe() + ": "
                    + context.quote(session.sql()) + " . Reason: a session statement in a batch with writes of migrated"
                    + " tables may change what their names reach (USE, SET search_path) after Cutover checked it."
                    + " Fix: run session statements with execute(), outside the batch", "0A000");
        }
        if (mappings.stream().allMatch(m -> m == null)) {
            if (analyses.stream().anyMatch(a -> a.kind() == Kind.SESSION || a.kind() == Kind.OTHER)) {
                connection.namespaceMayChange();
            }
            return unmirrored(stages, analyses.isEmpty() ? null : analyses.get(0),
                    () -> statements.plainBatch(connection.physical(), sqls));
        }
        // A batch over tables of several migrations holds each one's permit, and each one's keys go to its mirror.
        return connection.write(stages, List.copyOf(migrations), (c, keysByMigration) -> writes.statementBatch(c, sqls,
                analyses, mappings, primary, keysByMigration));
    }

    private void refuseWritingFunctions(Stages stages, SqlAnalysis analysis) throws SQLException {
        if (stages.anyDualWrites()) {
            context.writingFunctions().refuse(connection.physical(), connection.physicalSide(), stages.describe(),
                    analysis, context);
        }
    }

    /** Runs a statement on the primary without mirroring; counts it as a write unless it is a read or session statement. */
    private <T> T unmirrored(Stages stages, SqlAnalysis analysis, Action<T> action) throws SQLException {
        boolean write = analysis == null || analysis.isWrite() || analysis.kind() == Kind.OTHER;
        Side primary = stages.primary();
        if (analysis == null || analysis.kind() == Kind.SESSION || analysis.kind() == Kind.OTHER) {
            // USE, SET search_path and their like move the unqualified names of the writes to come.
            connection.namespaceMayChange();
        }
        if (write) {
            ConnectionHandler.requireOnePrimary(stages);
        }
        // Counted on the migration whose table it writes, else on the first.
        TableMapping mapping = analysis == null || analysis.table() == null ? null : context.mapping(analysis.table(), primary);
        WriteProtocol counter = mapping == null ? context.first().protocol() : context.part(mapping).protocol();
        try {
            T result = action.run();
            if (write) {
                counter.primaryWrite(primary, true);
            }
            return result;
        } catch (SQLException | RuntimeException e) {
            if (write) {
                counter.primaryWrite(primary, false);
            }
            throw e;
        }
    }

    @FunctionalInterface
    private interface Action<T> {
        T run() throws SQLException;
    }

    void physicalConnectionChanged() {
        statements.closeQuietly();
    }

    private void resetResults() throws SQLException {
        if (result instanceof CachedRowSet routedResult) {
            routedResult.close();
        }
        result = null;
        writes.forgetGeneratedKeys();
        updateCount = -1;
        driverResults = false;
    }

    private void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        connection.closed(this);
        resetResults();
        statements.close();
    }

    void closeQuietly() {
        try {
            close();
        } catch (SQLException e) {
            // Closing the connection closes its statements; a statement that fails to close is gone anyway.
        }
    }
}
