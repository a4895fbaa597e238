package dev.cutover.dualwrite.internal.jdbc;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;

/**
 * The wrapped connection's {@code prepareCall}. A procedure may write rows Cutover cannot key, so
 * calls are refused in dual-write stages, when prepared and again at each execution: a call
 * prepared in a single-side stage must not run unmirrored after a flip.
 */
final class ProcedureCalls {
    private ProcedureCalls() {
    }

    static CallableStatement prepare(ConnectionHandler connection, Method method, Object[] args) throws Throwable {
        Stages stages = connection.beginStatement();
        String sql = (String) args[0];
        if (stages.anyDualWrites()) {
            throw refused(connection, stages, sql);
        }
        ConnectionHandler.requireOnePrimary(stages);
        CallableStatement call = (CallableStatement) connection.forward(method, args);
        Connection preparedOn = connection.physical();
        return (CallableStatement) Proxy.newProxyInstance(ProcedureCalls.class.getClassLoader(),
                new Class<?>[] {CallableStatement.class}, (self, m, a) -> {
                    String name = m.getName();
                    switch (name) {
                        case "equals":
                            return self == a[0];
                        case "hashCode":
                            return System.identityHashCode(self);
                        case "getConnection":
                            return connection.proxy();
                        case "unwrap":
                            return ConnectionHandler.unwrapSelf(self, (Class<?>) a[0], "statement");
                        case "isWrapperFor":
                            return ((Class<?>) a[0]).isInstance(self);
                        default:
                            break;
                    }
                    if (!name.startsWith("execute")) {
                        Object answer = PhysicalStatements.forward(call, m, a);
                        return answer instanceof ResultSet rs ? DriverObjects.resultSet(rs, (Statement) self) : answer;
                    }
                    Stages now = connection.beginStatement();
                    if (now.anyDualWrites()) {
                        throw refused(connection, now, sql);
                    }
                    ConnectionHandler.requireOnePrimary(now);
                    if (connection.physical() != preparedOn) {
                        throw new SQLException("The call " + connection.context().quote(sql) + " was prepared on the "
                                + connection.physicalSide().other().name().toLowerCase(Locale.ROOT) + ", which is no"
                                + " longer the primary. Fix: prepare the call again", "08003");
                    }
                    // A procedure may set the search path, as SET does.
                    connection.namespaceMayChange();
                    try {
                        Object result = PhysicalStatements.forward(call, m, a);
                        connection.context().first().protocol().primaryWrite(now.primary(), true);
                        return result instanceof ResultSet rs ? DriverObjects.resultSet(rs, (Statement) self) : result;
                    } catch (SQLException | RuntimeException e) {
                        connection.context().first().protocol().primaryWrite(now.primary(), false);
                        throw e;
                    }
                });
    }

    private static SQLFeatureNotSupportedException refused(ConnectionHandler connection, Stages stages, String sql) {
        return new SQLFeatureNotSupportedException("Cutover refused a procedure call in " + stages.describe() + ": "
                + connection.context().quote(sql) + " . Reason: a procedure may write rows Cutover cannot key, so"
                + " they would never reach the other side. Fix: call it in a single-side stage, or write the rows with"
                + " plain INSERT/UPDATE/DELETE statements on mapped tables.", "0A000");
    }
}
