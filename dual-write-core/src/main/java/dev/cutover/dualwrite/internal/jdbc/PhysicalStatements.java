package dev.cutover.dualwrite.internal.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver's statements behind one wrapped statement. A wrapped statement outlives the physical
 * connection it started on and runs some SQL on other connections (a write's own transaction, the
 * read router's sides), so it cannot hold one driver statement: it records how the application
 * created and configured it, creates a driver statement like that wherever the SQL runs, executes it
 * through the overload the application picked, and keeps the last one on the primary for the calls
 * Cutover does not interpret.
 */
final class PhysicalStatements {
    private final ConnectionHandler connection;
    /** The SQL of a prepared statement; null for a plain statement. */
    private final String preparedSql;
    /** The arguments the statement was created with, after the SQL. */
    private final Object[] createArgs;
    private final Map<String, Object[]> settings = new LinkedHashMap<>();
    private final Map<String, Method> settingMethods = new LinkedHashMap<>();
    private Statement proxy;
    /** The physical statement of the last execution on the primary connection. */
    private Statement last;

    PhysicalStatements(ConnectionHandler connection, String preparedSql, Object[] createArgs) {
        this.connection = connection;
        this.preparedSql = preparedSql;
        this.createArgs = createArgs == null ? new Object[0] : createArgs.clone();
    }

    void proxy(Statement proxy) {
        this.proxy = proxy;
    }

    /** @return the SQL of a prepared statement; null for a plain statement */
    String preparedSql() {
        return preparedSql;
    }

    /** Records a setting for the statements to come, and applies it to the last one. */
    void set(String name, Method method, Object[] args) throws Throwable {
        settings.put(name, args);
        settingMethods.put(name, method);
        if (last != null) {
            forward(last, method, args);
        }
    }

    /** @return the arguments of a recorded setting, or null */
    Object[] setting(String name) {
        return settings.get(name);
    }

    /**
     * @return whether the application asked for updatable result sets ({@link ResultSet#CONCUR_UPDATABLE}),
     *     whose {@code updateRow}, {@code insertRow} and {@code deleteRow} write through the driver
     */
    boolean updatable() {
        return createArgs.length >= 2 && createArgs[1] instanceof Integer concurrency
                && concurrency == ResultSet.CONCUR_UPDATABLE;
    }

    /** @return the key request the application gave when it prepared this statement, or null */
    Object userKeyRequest() {
        return preparedSql != null && createArgs.length == 1 ? createArgs[0] : null;
    }

    /** Prepared statements take their key request when prepared; plain ones when executed. */
    Object keyRequestFor(String sql, Object request) {
        return preparedSql != null && sql == preparedSql ? request : null;
    }

    /** Creates a statement on a connection with this statement's settings (and parameters, for a prepared one). */
    Statement create(Connection c, String sql, Object keyRequest, Parameters bound) throws SQLException {
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

    /** Keeps a statement as the last one, closing the one before. */
    Statement track(Statement statement) throws SQLException {
        if (last != null && last != statement) {
            last.close();
        }
        last = statement;
        return statement;
    }

    /** @return the physical statement of the last execution on the primary connection, or null */
    Statement last() {
        return last;
    }

    /** The physical statement for calls Cutover does not interpret (getters, metadata, warnings). */
    Statement lastOrNew() throws SQLException {
        if (last == null) {
            last = create(connection.physical(), preparedSql, null, null);
        }
        return last;
    }

    /** @return a driver's result set that answers the wrapped statement as its statement */
    ResultSet wrap(ResultSet rs) {
        return DriverObjects.resultSet(rs, proxy);
    }

    ResultSet executeQuery(Statement statement, String sql) throws SQLException {
        return statement instanceof PreparedStatement prepared && sql == preparedSql ? prepared.executeQuery()
                : statement.executeQuery(sql);
    }

    int executeUpdate(Statement statement, String sql, Object keyRequest) throws SQLException {
        if (statement instanceof PreparedStatement prepared && sql == preparedSql) {
            return prepared.executeUpdate();
        }
        return withKeyRequest(sql, keyRequest, statement::executeUpdate, statement::executeUpdate,
                statement::executeUpdate, statement::executeUpdate);
    }

    /** @return whether the first result is a result set, as {@link Statement#execute(String)} */
    boolean execute(Statement statement, String sql, Object keyRequest) throws SQLException {
        if (statement instanceof PreparedStatement prepared && sql == preparedSql) {
            return prepared.execute();
        }
        return withKeyRequest(sql, keyRequest, statement::execute, statement::execute, statement::execute,
                statement::execute);
    }

    /**
     * Runs SQL on a plain statement through the overload that asks for generated keys as the
     * application did: by a mode ({@link Statement#RETURN_GENERATED_KEYS} or not), by column
     * indexes, by column names, or not at all.
     */
    private static <R> R withKeyRequest(String sql, Object keyRequest, KeyedRun<Integer, R> byMode,
            KeyedRun<int[], R> byIndexes, KeyedRun<String[], R> byNames, Run<R> withoutKeys) throws SQLException {
        if (keyRequest instanceof Integer mode) {
            return byMode.run(sql, mode);
        }
        if (keyRequest instanceof int[] indexes) {
            return byIndexes.run(sql, indexes);
        }
        if (keyRequest instanceof String[] names) {
            return byNames.run(sql, names);
        }
        return withoutKeys.run(sql);
    }

    long[] preparedBatch(Connection c, List<Parameters> sets, Object request) throws SQLException {
        PreparedStatement statement = (PreparedStatement) track(create(c, preparedSql, keyRequestFor(preparedSql, request),
                null));
        for (Parameters set : sets) {
            statement.clearParameters();
            set.bindAll(statement);
            statement.addBatch();
        }
        return toLong(statement.executeBatch());
    }

    long[] plainBatch(Connection c, List<String> sqls) throws SQLException {
        Statement statement = track(create(c, null, null, null));
        for (String sql : sqls) {
            statement.addBatch(sql);
        }
        return toLong(statement.executeBatch());
    }

    void cancel() throws SQLException {
        if (last != null) {
            last.cancel();
        }
    }

    void close() throws SQLException {
        if (last != null) {
            last.close();
            last = null;
        }
    }

    void closeQuietly() {
        if (last != null) {
            try {
                last.close();
            } catch (SQLException e) {
                // The physical connection is being replaced; its statements die with it.
            }
            last = null;
        }
    }

    private static long[] toLong(int[] counts) {
        return Arrays.stream(counts).asLongStream().toArray();
    }

    static Object forward(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** One overload of a plain statement's execute methods: the SQL alone. */
    @FunctionalInterface
    private interface Run<R> {
        R run(String sql) throws SQLException;
    }

    /** One overload of a plain statement's execute methods: the SQL and a generated-keys request. */
    @FunctionalInterface
    private interface KeyedRun<K, R> {
        R run(String sql, K keyRequest) throws SQLException;
    }
}
