package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.Mappings;
import dev.cutover.dualwrite.internal.jdbc.ConnectionHandler.KeysUnknownException;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Equality;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import dev.cutover.dualwrite.internal.jdbc.WriteProtocol.WrittenKey;
import dev.cutover.flags.Side;
import dev.cutover.router.ReadCall;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.sql.rowset.CachedRowSet;
import net.sf.jsqlparser.expression.Expression;

/**
 * A wrapped {@link Statement} or {@link PreparedStatement}. It records the application's parameters
 * and settings and, at each execution, decides where the SQL goes: reads through the read router
 * (or to the primary inside a transaction that has written), keyed writes to the primary with their
 * keys found, everything else to the primary in single-side stages or refused in dual-write stages.
 * Not thread-safe, like any JDBC statement.
 */
final class StatementHandler implements InvocationHandler {
    private static final Set<String> SETTINGS = Set.of("setQueryTimeout", "setMaxRows", "setLargeMaxRows",
            "setFetchSize", "setFetchDirection", "setMaxFieldSize", "setEscapeProcessing", "setPoolable",
            "setCursorName", "closeOnCompletion");
    /** The methods that run SQL; on a prepared statement, only without a SQL argument. */
    private static final Set<String> EXECUTIONS = Set.of("executeQuery", "executeUpdate", "executeLargeUpdate", "execute",
            "addBatch");
    /** How many times a write is tried when rows committed by others slipped in after its keys were read. */
    private static final int PHANTOM_ATTEMPTS = 10;

    private final ConnectionHandler connection;
    private final JdbcContext context;
    /** The SQL of a prepared statement; null for a plain statement. */
    private final String preparedSql;
    /** The arguments the statement was created with, after the SQL. */
    private final Object[] createArgs;
    private final Map<String, Object[]> settings = new LinkedHashMap<>();
    private final Map<String, Method> settingMethods = new LinkedHashMap<>();
    private final Parameters parameters = new Parameters();
    private final List<Parameters> batch = new ArrayList<>();
    private final List<String> sqlBatch = new ArrayList<>();
    private Statement proxy;
    /** The physical statement of the last execution on the primary connection. */
    private Statement physical;
    private ResultSet result;
    private ResultSet generatedKeys;
    private long updateCount = -1;
    /** Whether the last execution was a plain {@code execute} whose results only the driver's statement holds. */
    private boolean driverResults;
    private boolean closed;

    StatementHandler(ConnectionHandler connection, String preparedSql, Object[] createArgs) {
        this.connection = connection;
        this.context = connection.context();
        this.preparedSql = preparedSql;
        this.createArgs = createArgs == null ? new Object[0] : createArgs.clone();
    }

    void proxy(Statement proxy) {
        this.proxy = proxy;
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
            settings.put(name, args);
            settingMethods.put(name, method);
            if (physical != null) {
                forward(physical, method, args);
            }
            return null;
        }
        boolean ownSql = preparedSql != null && (args == null || args.length == 0);
        if (preparedSql != null && !ownSql && EXECUTIONS.contains(name)) {
            // As the drivers do: a prepared statement runs its own SQL. Running the text as a plain
            // statement instead would also skip the batch of parameter sets it holds.
            throw new SQLException("Can't use query methods that take a query string on a PreparedStatement", "42000");
        }
        String sql = ownSql ? preparedSql : args != null && args.length > 0 && args[0] instanceof String s ? s : preparedSql;
        Object keyRequest = ownSql ? userKeyRequest() : args != null && args.length > 1 ? args[1] : null;
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
                return ownResults() ? result : DriverObjects.resultSet(physical.getResultSet(), proxy);
            case "getUpdateCount":
                return ownResults() ? (int) updateCount : physical.getUpdateCount();
            case "getLargeUpdateCount":
                return ownResults() ? updateCount : physical.getLargeUpdateCount();
            case "getMoreResults":
                if (ownResults()) {
                    resetResults();
                    return false;
                }
                return forward(physical, method, args);
            case "getGeneratedKeys":
                return generatedKeys != null ? generatedKeys : DriverObjects.resultSet(physical().getGeneratedKeys(), proxy);
            case "cancel":
                if (physical != null) {
                    physical.cancel();
                }
                return null;
            default:
                return forward(physical(), method, args);
        }
    }

    /** @return whether the last execution's results are Cutover's (a routed read, a keyed write) rather than the driver's */
    private boolean ownResults() {
        return !driverResults || physical == null;
    }

    // ---- reads -------------------------------------------------------------------------------

    /** The JDBC method a statement runs through: what it answers, and what the driver is asked to do. */
    private enum Call {
        /** {@code executeQuery}: answers a result set. */
        QUERY,
        /** {@code executeUpdate}, {@code executeLargeUpdate}: answers a row count. */
        UPDATE,
        /** {@code execute}: answers whether a result set came, which the application then fetches. */
        EXECUTE
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
        if ((analysis.kind() == Kind.READ || analysis.kind() == Kind.LOCKING_READ) && call != Call.UPDATE) {
            ResultSet rows = query(sql, bound, analysis);
            return call == Call.QUERY ? rows : Boolean.TRUE;
        }
        resetResults();
        Stages stages = connection.beginStatement();
        Side primary = stages.primary();
        TableMapping mapping = analysis.kind() != Kind.SESSION ? resolve(stages, analysis) : null;
        String stage = mapping == null ? stages.describe() : stages.describe(context.part(mapping).migration());
        if (mapping != null && call == Call.QUERY && analysis.returning() == null) {
            // PostgreSQL's driver runs the write and only then complains that no rows came back: in the
            // application's transaction the row would stay, and commit unmirrored if the error is caught.
            throw refused(stage, sql, "executeQuery() expects rows, and this write returns none", "run it with"
                    + " executeUpdate() or execute(), or add a RETURNING clause");
        }
        if (mapping != null && call == Call.UPDATE && analysis.returning() != null) {
            throw refused(stage, sql, "executeUpdate() cannot hand out the rows a RETURNING clause returns, and"
                    + " drivers run the write before they complain", "run it with executeQuery() or execute()");
        }
        if (mapping != null && analysis.kind() == Kind.INSERT && analysis.returning() != null && call != Call.UPDATE
                && needsGenerated(insertKeys(analysis, mapping, primary, bound == null ? new Parameters() : bound))
                && returnedKeyPositions(analysis, mapping, primary, null) == null) {
            throw refused(stage, sql, "the database generates the key " + mapping.keyColumnNames(primary) + " of the"
                    + " inserted rows, and the RETURNING clause does not return it, so Cutover cannot learn the keys",
                    "add the key column(s) to the RETURNING clause, or insert the key's value explicitly");
        }
        Outcome outcome;
        if (mapping == null) {
            outcome = unmirrored(stages, analysis, () -> {
                Statement statement = track(create(connection.physical(), sql, keyRequestFor(sql, keyRequest), bound));
                if (call == Call.EXECUTE) {
                    // The driver's own results: several, possibly, which only its statement can walk.
                    driverResults = true;
                    return new Outcome(-1, null, statement instanceof PreparedStatement prepared && sql == preparedSql
                            ? prepared.execute() : executePlain(statement, sql, keyRequest));
                }
                if (call == Call.QUERY) {
                    return new Outcome(-1, DriverObjects.resultSet(executeQuery(statement, sql), proxy), true);
                }
                return new Outcome(executeUpdate(statement, sql, keyRequest), null, false);
            });
            if (call == Call.QUERY) {
                result = outcome.rows();
            } else if (call == Call.UPDATE) {
                updateCount = outcome.count();
            }
        } else {
            outcome = connection.write(stages, context.part(mapping).migration(), (c, keys) -> keyedWrite(c, call,
                    analysis, mapping, primary, sql, bound, keyRequest, keys));
            result = outcome.rows();
            updateCount = outcome.rows() == null ? outcome.count() : -1;
        }
        return switch (call) {
            case QUERY -> result;
            case UPDATE -> outcome.count();
            case EXECUTE -> outcome.resultSet();
        };
    }

    /**
     * What one execution answered.
     *
     * @param count the rows written, or -1
     * @param rows the result set, or null
     * @param resultSet whether the answer is a result set
     */
    private record Outcome(long count, ResultSet rows, boolean resultSet) {
    }

    private ResultSet query(String sql, Parameters bound, SqlAnalysis analysis) throws SQLException {
        resetResults();
        Stages stages = connection.beginStatement();
        Side primary = stages.primary();
        JdbcContext.Part part = routable(analysis, primary);
        if (part != null) {
            result = routed(part, sql, bound, routingKey(analysis, primary, bound));
            return result;
        }
        if (!stages.agree()) {
            requirePrimaryOfEveryTable(stages, analysis);
        }
        Statement statement = track(create(connection.physical(), sql, null, bound));
        result = DriverObjects.resultSet(executeQuery(statement, sql), proxy);
        return result;
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
            TableMapping mapping = mapped(table, primary);
            if (mapping == null || part != null && part != context.part(mapping)) {
                return null;
            }
            part = context.part(mapping);
        }
        return context.readsMayCross(connection.physical(), connection.physical() == null ? primary
                : connection.physicalSide()) ? part : null;
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
            TableMapping mapping = mapped(table, stages.primary());
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
        return pinnedKey(analysis, mapped(analysis.tables().get(0), primary), primary, bound);
    }

    /**
     * The one key a statement's WHERE condition pins down ({@code key = value} for every key column in
     * its top-level AND chain), whether or not a row has that key.
     *
     * @return the key in the source's terms, or null if the condition does not pin one
     */
    private static String pinnedKey(SqlAnalysis analysis, TableMapping mapping, Side primary, Parameters bound) {
        if (analysis.equalities().isEmpty()) {
            return null;
        }
        List<Object> values = new ArrayList<>();
        for (String keyColumn : lower(mapping.keyColumnNames(primary))) {
            Object value = null;
            for (Equality equality : analysis.equalities()) {
                if (equality.column().equals(keyColumn)) {
                    value = KeyValues.value(equality.value(), bound == null ? new Parameters() : bound);
                    break;
                }
            }
            if (value == null || value == KeyValues.NOT_A_VALUE) {
                return null;
            }
            values.add(value);
        }
        try {
            return key(mapping, primary, values);
        } catch (RuntimeException e) {
            return null;
        }
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
            try (Statement statement = create(connection.physical(), sql, null, bound)) {
                return QueryResult.of(executeQuery(statement, sql));
            }
        }
        try (Connection other = connection.open(side);
                Statement statement = create(other, sql, null, bound)) {
            return QueryResult.of(executeQuery(statement, sql));
        }
    }

    private ResultSet executeQuery(Statement statement, String sql) throws SQLException {
        return statement instanceof PreparedStatement prepared && sql == preparedSql ? prepared.executeQuery()
                : statement.executeQuery(sql);
    }

    // ---- writes ------------------------------------------------------------------------------

    /**
     * Runs a keyed write on the primary, in its transaction, and adds the keys it wrote. A write with
     * RETURNING answers its rows, read to the end (so that its count shows phantoms, and so that it
     * outlives the commit of an auto-commit write).
     */
    private Outcome keyedWrite(Connection c, Call call, SqlAnalysis analysis, TableMapping mapping, Side primary,
            String sql, Parameters bound, Object keyRequest, List<WrittenKey> keys) throws SQLException {
        if (analysis.kind() != Kind.INSERT) {
            return withoutPhantoms(c, analysis, mapping, primary, bound, keys, found -> {
                found.addAll(lockKeys(c, analysis, mapping, primary, bound));
                Statement statement = track(create(c, sql, keyRequestFor(sql, keyRequest), bound));
                Outcome outcome = executeWrite(call, statement, sql, keyRequest);
                return new Attempt<>(outcome, outcome.count() > found.size());
            });
        }
        List<Object[]> rows = insertKeys(analysis, mapping, primary, bound);
        boolean generated = needsGenerated(rows);
        // With RETURNING, the returned rows carry the generated keys; without, the driver is asked for them.
        boolean fromReturning = generated && analysis.returning() != null;
        Object request = generated && !fromReturning ? generatedKeyRequest(keyRequest, mapping.keyColumnNames(primary))
                : keyRequest;
        Statement statement = track(create(c, sql, keyRequestFor(sql, request), bound));
        Outcome outcome = executeWrite(call, statement, sql, request);
        if (fromReturning) {
            int[] positions = returnedKeyPositions(analysis, mapping, primary,
                    outcome.rows() == null ? null : outcome.rows().getMetaData());
            if (outcome.rows() == null || positions == null) {
                throw new KeysUnknownException("Cutover could not read the generated key " + mapping.keyColumnNames(primary)
                        + " of the rows inserted by " + context.quote(sql) + " from its RETURNING rows, so the rows cannot be mirrored"
                        + " and nothing was written. Fix: run it with executeQuery() or execute(), or insert the key's"
                        + " value explicitly");
            }
            fillKeys((CachedRowSet) outcome.rows(), positions, rows, mapping, primary);
        } else if (generated) {
            fillGenerated(statement, rows, mapping, primary);
        }
        for (Object[] row : rows) {
            keys.add(new WrittenKey(mapping.entity(), key(mapping, primary, Arrays.asList(row))));
        }
        return outcome;
    }

    /** Runs a write through the JDBC method the application called. */
    private Outcome executeWrite(Call call, Statement statement, String sql, Object keyRequest) throws SQLException {
        boolean prepared = statement instanceof PreparedStatement && sql == preparedSql;
        switch (call) {
            case QUERY: {
                CachedRowSet rows = readAll(prepared ? ((PreparedStatement) statement).executeQuery()
                        : statement.executeQuery(sql));
                return new Outcome(rows.size(), rows, true);
            }
            case EXECUTE: {
                boolean resultSet = prepared ? ((PreparedStatement) statement).execute()
                        : executePlain(statement, sql, keyRequest);
                if (resultSet) {
                    CachedRowSet rows = readAll(statement.getResultSet());
                    return new Outcome(rows.size(), rows, true);
                }
                return new Outcome(statement.getUpdateCount(), null, false);
            }
            default:
                return new Outcome(executeUpdate(statement, sql, keyRequest), null, false);
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
     * @param meta the returned rows' metadata, or null to check the RETURNING clause only
     * @return per key column, its 1-based position in the rows an INSERT's RETURNING clause returns;
     *     null if a key column is not returned
     */
    private static int[] returnedKeyPositions(SqlAnalysis analysis, TableMapping mapping, Side primary,
            ResultSetMetaData meta) throws SQLException {
        List<String> keyColumns = lower(mapping.keyColumnNames(primary));
        List<String> returned = analysis.returning();
        boolean all = returned.contains("*");
        int[] positions = new int[keyColumns.size()];
        for (int k = 0; k < keyColumns.size(); k++) {
            if (!all) {
                positions[k] = returned.indexOf(keyColumns.get(k)) + 1;
            } else if (meta == null) {
                positions[k] = 1;
            } else {
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    if (meta.getColumnLabel(i).equalsIgnoreCase(keyColumns.get(k))) {
                        positions[k] = i;
                        break;
                    }
                }
            }
            if (positions[k] == 0) {
                return null;
            }
        }
        return positions;
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
            TableMapping mapping = analysis.kind() != Kind.SESSION ? resolve(stages, analysis) : null;
            if (mapping == null) {
                return unmirrored(stages, analysis, () -> preparedBatch(connection.physical(), sets, userKeyRequest()));
            }
            String migration = context.part(mapping).migration();
            refuseReturningInBatch(stages.describe(migration), analysis);
            if (analysis.kind() != Kind.INSERT) {
                // One by one: an entry's locking read must see what the entries before it changed.
                return connection.write(stages, migration, (c, keys) -> {
                    long[] counts = new long[sets.size()];
                    for (int i = 0; i < sets.size(); i++) {
                        Parameters set = sets.get(i);
                        counts[i] = withoutPhantoms(c, analysis, mapping, primary, set, keys, found -> {
                            found.addAll(lockKeys(c, analysis, mapping, primary, set));
                            PreparedStatement statement = (PreparedStatement) track(create(c, preparedSql,
                                    keyRequestFor(preparedSql, userKeyRequest()), set));
                            long count = statement.executeUpdate();
                            return new Attempt<>(count, count > found.size());
                        });
                    }
                    return counts;
                });
            }
            return connection.write(stages, migration, (c, keys) -> {
                List<Object[]> rows = new ArrayList<>();
                for (Parameters set : sets) {
                    rows.addAll(insertKeys(analysis, mapping, primary, set));
                }
                boolean generated = needsGenerated(rows);
                Object request = generated ? generatedKeyRequest(userKeyRequest(), mapping.keyColumnNames(primary))
                        : userKeyRequest();
                long[] counts = preparedBatch(c, sets, request);
                if (generated) {
                    fillGenerated(physical, rows, mapping, primary);
                }
                for (Object[] row : rows) {
                    keys.add(new WrittenKey(mapping.entity(), key(mapping, primary, Arrays.asList(row))));
                }
                return counts;
            });
        }
        List<String> sqls = List.copyOf(sqlBatch);
        sqlBatch.clear();
        List<SqlAnalysis> analyses = new ArrayList<>();
        List<TableMapping> mappings = new ArrayList<>();
        Set<String> migrations = new LinkedHashSet<>();
        for (String sql : sqls) {
            SqlAnalysis analysis = context.analyzer().analyze(sql);
            TableMapping mapping = analysis.kind() != Kind.SESSION ? resolve(stages, analysis) : null;
            if (mapping != null) {
                migrations.add(context.part(mapping).migration());
                refuseReturningInBatch(stages.describe(context.part(mapping).migration()), analysis);
            }
            if (mapping != null && analysis.kind() == Kind.INSERT
                    && needsGenerated(insertKeys(analysis, mapping, primary, new Parameters()))) {
                throw refused(stages.describe(context.part(mapping).migration()), sql,
                        "a Statement batch cannot return generated keys",
                        "insert rows with generated keys through a PreparedStatement with RETURN_GENERATED_KEYS");
            }
            analyses.add(analysis);
            mappings.add(mapping);
        }
        if (mappings.stream().allMatch(m -> m == null)) {
            return unmirrored(stages, analyses.isEmpty() ? null : analyses.get(0), () -> plainBatch(connection.physical(), sqls));
        }
        // One by one: an entry's locking read must see what the entries before it changed. A batch over
        // tables of several migrations holds each one's permit, and each one's keys go to its mirror.
        return connection.write(stages, List.copyOf(migrations), (c, keysByMigration) -> {
            long[] counts = new long[sqls.size()];
            for (int i = 0; i < sqls.size(); i++) {
                String sql = sqls.get(i);
                SqlAnalysis analysis = analyses.get(i);
                TableMapping mapping = mappings.get(i);
                List<WrittenKey> keys = mapping == null ? null
                        : keysByMigration.get(context.part(mapping).migration());
                if (mapping == null || analysis.kind() == Kind.INSERT) {
                    counts[i] = track(create(c, null, null, null)).executeUpdate(sql);
                    if (mapping != null) {
                        for (Object[] row : insertKeys(analysis, mapping, primary, new Parameters())) {
                            keys.add(new WrittenKey(mapping.entity(), key(mapping, primary, Arrays.asList(row))));
                        }
                    }
                    continue;
                }
                counts[i] = withoutPhantoms(c, analysis, mapping, primary, null, keys, found -> {
                    found.addAll(lockKeys(c, analysis, mapping, primary, null));
                    long count = track(create(c, null, null, null)).executeUpdate(sql);
                    return new Attempt<>(count, count > found.size());
                });
            }
            return counts;
        });
    }

    /**
     * Drivers run a batch entry with RETURNING without handing out its rows, and some take the
     * returned rows for generated keys; Cutover would learn wrong keys or none.
     */
    private void refuseReturningInBatch(String stage, SqlAnalysis analysis) throws SQLException {
        if (analysis.returning() != null) {
            throw refused(stage, analysis.sql(), "a batch does not hand out the rows a RETURNING clause returns, so"
                    + " Cutover cannot read the keys it wrote from them", "run it with executeQuery() or execute(), one"
                    + " statement at a time, or drop the RETURNING clause from the batch");
        }
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
                String pinned = pinnedKey(analysis, mapping, primary, bound);
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

    private long[] preparedBatch(Connection c, List<Parameters> sets, Object request) throws SQLException {
        PreparedStatement statement = (PreparedStatement) track(create(c, preparedSql, keyRequestFor(preparedSql, request),
                null));
        for (Parameters set : sets) {
            statement.clearParameters();
            set.bindAll(statement);
            statement.addBatch();
        }
        return toLong(statement.executeBatch());
    }

    private long[] plainBatch(Connection c, List<String> sqls) throws SQLException {
        Statement statement = track(create(c, null, null, null));
        for (String sql : sqls) {
            statement.addBatch(sql);
        }
        return toLong(statement.executeBatch());
    }

    /**
     * Decides where a statement goes. A write of a mapped table follows its migration's stage: keyed
     * and mirrored in a dual-write stage, untouched in a single-side one. Other statements run
     * untouched while no migration writes both sides, and otherwise only on pass-through tables.
     *
     * @return the mapping of the table it writes, to be mirrored, or null when it runs on the primary unmirrored
     * @throws SQLFeatureNotSupportedException when it cannot be mirrored safely
     */
    private TableMapping resolve(Stages stages, SqlAnalysis analysis) throws SQLException {
        if (analysis.kind() == Kind.READ || analysis.kind() == Kind.LOCKING_READ || !stages.anyDualWrites()) {
            return null;
        }
        Side primary = stages.primary();
        // A mapped table is mirrored whatever passThrough says: passing it through would lose its copies.
        TableMapping mapping = analysis.table() == null ? null : mapped(analysis.table(), primary);
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
                fix += ", or, if table " + analysis.table() + " is not migrated, declare it passThrough(\""
                        + analysis.table() + "\") to write it on the primary only";
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
                                + " a different table, add a TableMapping for it, or declare it passThrough(\"" + table
                                + "\") to write it on the primary only");
            }
            throw refused(stage, analysis.sql(), "table " + table + " is not mapped by the KeyResync, so its"
                    + " rows would never reach the " + primary.other().name().toLowerCase(Locale.ROOT),
                    "add a TableMapping for it, or, if it is not migrated, declare it passThrough(\"" + table + "\") to"
                            + " write it on the primary only");
        }
        if (analysis.refusal() != null) {
            throw refused(stage, analysis.sql(), analysis.refusal(), analysis.fix() == null
                    ? "write one table per statement, with INSERT ... VALUES, UPDATE or DELETE" : analysis.fix());
        }
        List<String> keyColumns = lower(mapping.keyColumnNames(primary));
        for (String column : analysis.setColumns()) {
            if (keyColumns.contains(column)) {
                throw refused(stage, analysis.sql(), "it changes key column " + column + ", and a copy by key cannot"
                        + " follow a row to its new key", "delete the row and insert it under its new key");
            }
        }
        return mapping;
    }

    /**
     * Finds the mapping of a table as a statement names it. A qualified name ({@code public.stock},
     * {@code shop.stock}) of an unqualified mapped table is that table when its qualifier is the
     * connection's current schema (PostgreSQL) or catalog (MariaDB, MySQL): the same table the
     * unqualified name reaches.
     *
     * @return the mapping, or null
     */
    private TableMapping mapped(String table, Side primary) throws SQLException {
        TableMapping mapping = context.mapping(table, primary);
        if (mapping != null || table.indexOf('.') < 0) {
            return mapping;
        }
        int dot = table.lastIndexOf('.');
        TableMapping bare = context.mappingNamed(table.substring(dot + 1), primary);
        return bare != null && connection.isCurrentNamespace(table.substring(0, dot)) ? bare : null;
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

    /** Runs a statement on the primary without mirroring; counts it as a write unless it is a read or session statement. */
    private <T> T unmirrored(Stages stages, SqlAnalysis analysis, Action<T> action) throws SQLException {
        boolean write = analysis == null || analysis.isWrite() || analysis.kind() == Kind.OTHER;
        Side primary = stages.primary();
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

    /** Finds and locks the rows an UPDATE or DELETE is about to change, in its transaction. */
    private List<WrittenKey> lockKeys(Connection c, SqlAnalysis analysis, TableMapping mapping, Side primary,
            Parameters bound) throws SQLException {
        List<String> keyColumns = mapping.keyColumnNames(primary);
        String select = "SELECT " + String.join(", ", keyColumns) + " FROM " + analysis.fromSql()
                + (analysis.whereSql() == null ? "" : " WHERE " + analysis.whereSql()) + " FOR UPDATE";
        List<WrittenKey> keys = new ArrayList<>();
        try (PreparedStatement statement = c.prepareStatement(select)) {
            Object[] timeout = settings.get("setQueryTimeout");
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
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    List<Object> values = new ArrayList<>(keyColumns.size());
                    for (int i = 1; i <= keyColumns.size(); i++) {
                        values.add(rows.getObject(i));
                    }
                    keys.add(new WrittenKey(mapping.entity(), key(mapping, primary, values)));
                }
            }
        }
        return keys;
    }

    /** @return per inserted row, the key values in key order; null where the database generates the value */
    private static List<Object[]> insertKeys(SqlAnalysis analysis, TableMapping mapping, Side primary,
            Parameters bound) {
        List<String> keyColumns = lower(mapping.keyColumnNames(primary));
        List<Object[]> rows = new ArrayList<>();
        for (List<Expression> row : analysis.insertRows()) {
            Object[] values = new Object[keyColumns.size()];
            for (int k = 0; k < keyColumns.size(); k++) {
                int column = analysis.insertColumns().indexOf(keyColumns.get(k));
                Object value = column < 0 ? null : KeyValues.value(row.get(column), bound);
                values[k] = value == KeyValues.NOT_A_VALUE ? null : value;
            }
            rows.add(values);
        }
        return rows;
    }

    private static boolean needsGenerated(List<Object[]> rows) {
        return rows.stream().anyMatch(row -> Arrays.asList(row).contains(null));
    }

    /** The key request to prepare with when the table's key is generated: the application's own, widened to the key. */
    private static Object generatedKeyRequest(Object userRequest, List<String> keyColumns) {
        if (userRequest instanceof Integer mode && mode == Statement.RETURN_GENERATED_KEYS || userRequest instanceof int[]) {
            return Statement.RETURN_GENERATED_KEYS;
        }
        Set<String> names = new LinkedHashSet<>();
        if (userRequest instanceof String[] userNames) {
            names.addAll(Arrays.asList(userNames));
        }
        names.addAll(keyColumns);
        return names.toArray(new String[0]);
    }

    /** Reads the generated keys into the rows' missing values, and keeps them for the application. */
    private void fillGenerated(Statement statement, List<Object[]> rows, TableMapping mapping, Side primary)
            throws SQLException {
        CachedRowSet keysRead = QueryResult.newRowSet();
        try (ResultSet generated = statement.getGeneratedKeys()) {
            keysRead.populate(generated);
        }
        List<String> keyColumns = mapping.keyColumnNames(primary);
        int[] positions = new int[keyColumns.size()];
        int width = keysRead.getMetaData().getColumnCount();
        for (int k = 0; k < keyColumns.size(); k++) {
            for (int i = 1; i <= width; i++) {
                if (keysRead.getMetaData().getColumnLabel(i).equalsIgnoreCase(keyColumns.get(k))) {
                    positions[k] = i;
                }
            }
            if (positions[k] == 0 && keyColumns.size() == 1 && width == 1) {
                positions[k] = 1;
            }
        }
        fillKeys(keysRead, positions, rows, mapping, primary);
        generatedKeys = keysRead;
    }

    /** Fills the rows' missing key values from returned rows, in order; fails if any stays missing. */
    private static void fillKeys(CachedRowSet keysRead, int[] positions, List<Object[]> rows, TableMapping mapping,
            Side primary) throws SQLException {
        int r = 0;
        keysRead.beforeFirst();
        while (keysRead.next()) {
            if (r >= rows.size()) {
                break;
            }
            Object[] row = rows.get(r++);
            for (int k = 0; k < row.length; k++) {
                if (row[k] == null && positions[k] > 0) {
                    row[k] = keysRead.getObject(positions[k]);
                }
            }
        }
        keysRead.beforeFirst();
        if (r != rows.size() || needsGenerated(rows)) {
            throw new KeysUnknownException("Cutover could not read the generated key " + mapping.keyColumnNames(primary)
                    + " of " + rows.size() + " inserted row(s) of " + mapping.entity() + " (the driver returned " + r
                    + " row(s) of " + keysRead.getMetaData().getColumnCount() + " column(s)), so the rows cannot be"
                    + " mirrored and nothing was written. Fix: insert the key's value explicitly, or make it the"
                    + " table's generated (identity, serial, auto-increment) key");
        }
    }

    // ---- physical statements -----------------------------------------------------------------

    /** @return the key request the application gave when it prepared this statement, or null */
    private Object userKeyRequest() {
        return preparedSql != null && createArgs.length == 1 ? createArgs[0] : null;
    }

    /** Prepared statements take their key request when prepared; plain ones when executed. */
    private Object keyRequestFor(String sql, Object request) {
        return preparedSql != null && sql == preparedSql ? request : null;
    }

    /** Creates a statement on a connection with this statement's settings (and parameters, for a prepared one). */
    private Statement create(Connection c, String sql, Object keyRequest, Parameters bound) throws SQLException {
        Statement statement;
        boolean prepared = preparedSql != null && sql == preparedSql;
        if (prepared) {
            if (keyRequest instanceof Integer mode) {
                statement = c.prepareStatement(sql, mode);
            } else if (keyRequest instanceof int[] indexes) {
                statement = c.prepareStatement(sql, indexes);
            } else if (keyRequest instanceof String[] names) {
                statement = c.prepareStatement(sql, names);
            } else if (createArgs.length == 2) {
                statement = c.prepareStatement(sql, (Integer) createArgs[0], (Integer) createArgs[1]);
            } else if (createArgs.length == 3) {
                statement = c.prepareStatement(sql, (Integer) createArgs[0], (Integer) createArgs[1], (Integer) createArgs[2]);
            } else {
                statement = c.prepareStatement(sql);
            }
        } else if (preparedSql == null && createArgs.length == 2) {
            statement = c.createStatement((Integer) createArgs[0], (Integer) createArgs[1]);
        } else if (preparedSql == null && createArgs.length == 3) {
            statement = c.createStatement((Integer) createArgs[0], (Integer) createArgs[1], (Integer) createArgs[2]);
        } else {
            statement = c.createStatement();
        }
        try {
            for (Map.Entry<String, Object[]> setting : settings.entrySet()) {
                forward(statement, settingMethods.get(setting.getKey()), setting.getValue());
            }
            if (prepared && bound != null) {
                bound.bindAll((PreparedStatement) statement);
            }
        } catch (Throwable e) {
            statement.close();
            if (e instanceof SQLException sql1) {
                throw sql1;
            }
            throw new SQLException(e);
        }
        return statement;
    }

    private Statement track(Statement statement) throws SQLException {
        if (physical != null && physical != statement) {
            physical.close();
        }
        physical = statement;
        return statement;
    }

    private long executeUpdate(Statement statement, String sql, Object keyRequest) throws SQLException {
        if (statement instanceof PreparedStatement prepared && sql == preparedSql) {
            return prepared.executeUpdate();
        }
        if (keyRequest instanceof Integer mode) {
            return statement.executeUpdate(sql, mode);
        }
        if (keyRequest instanceof int[] indexes) {
            return statement.executeUpdate(sql, indexes);
        }
        if (keyRequest instanceof String[] names) {
            return statement.executeUpdate(sql, names);
        }
        return statement.executeUpdate(sql);
    }

    private static boolean executePlain(Statement statement, String sql, Object keyRequest) throws SQLException {
        if (keyRequest instanceof Integer mode) {
            return statement.execute(sql, mode);
        }
        if (keyRequest instanceof int[] indexes) {
            return statement.execute(sql, indexes);
        }
        if (keyRequest instanceof String[] names) {
            return statement.execute(sql, names);
        }
        return statement.execute(sql);
    }

    /** The physical statement for calls Cutover does not interpret (getters, metadata, warnings). */
    private Statement physical() throws SQLException {
        if (physical == null) {
            physical = create(connection.physical(), preparedSql, null, null);
        }
        return physical;
    }

    void physicalConnectionChanged() {
        closePhysicalQuietly();
    }

    private void resetResults() throws SQLException {
        if (result instanceof CachedRowSet routedResult) {
            routedResult.close();
        }
        result = null;
        generatedKeys = null;
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
        if (physical != null) {
            physical.close();
            physical = null;
        }
    }

    void closeQuietly() {
        try {
            close();
        } catch (SQLException e) {
            // Closing the connection closes its statements; a statement that fails to close is gone anyway.
        }
    }

    private void closePhysicalQuietly() {
        if (physical != null) {
            try {
                physical.close();
            } catch (SQLException e) {
                // The physical connection is being replaced; its statements die with it.
            }
            physical = null;
        }
    }

    static String key(TableMapping mapping, Side primary, List<Object> values) {
        List<Object> sourceValues = primary == Side.SOURCE ? values : Mappings.convertKey(mapping, Side.TARGET, values);
        return mapping.key(sourceValues.toArray());
    }

    private static List<String> lower(List<String> names) {
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }

    private static long[] toLong(int[] counts) {
        return Arrays.stream(counts).asLongStream().toArray();
    }

    private static Object forward(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
