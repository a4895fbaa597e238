package dev.cutover.dualwrite.internal.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parameters bound to a prepared statement, recorded as the setter calls that bound them, so that
 * they can be replayed on whichever database the statement runs on and read as key values. Not
 * thread-safe, like the statement.
 */
final class Parameters {
    private final TreeMap<Integer, Call> calls = new TreeMap<>();

    private record Call(Method setter, Object[] args) {
    }

    Parameters() {
    }

    private Parameters(Map<Integer, Call> calls) {
        this.calls.putAll(calls);
    }

    /** Records {@code setX(index, value, ...)}. */
    void record(Method setter, Object[] args) {
        calls.put((Integer) args[0], new Call(setter, args.clone()));
    }

    void clear() {
        calls.clear();
    }

    Parameters copy() {
        return new Parameters(calls);
    }

    /** @return the value bound at the index: null for {@code setNull} or nothing bound */
    Object value(int index) {
        Call call = calls.get(index);
        if (call == null || call.setter().getName().equals("setNull") || call.args().length < 2) {
            return null;
        }
        return call.args()[1];
    }

    /** Binds every recorded parameter at its own index. */
    void bindAll(PreparedStatement statement) throws SQLException {
        for (Call call : calls.values()) {
            invoke(statement, call.setter(), call.args());
        }
    }

    /** Binds the parameter recorded at {@code from} at index {@code to} of another statement. */
    void bind(PreparedStatement statement, int to, int from) throws SQLException {
        Call call = calls.get(from);
        if (call == null) {
            throw new SQLException("Parameter " + from + " is not set");
        }
        Object[] args = call.args().clone();
        args[0] = to;
        invoke(statement, call.setter(), args);
    }

    private static void invoke(PreparedStatement statement, Method setter, Object[] args) throws SQLException {
        try {
            setter.invoke(statement, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new SQLException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
