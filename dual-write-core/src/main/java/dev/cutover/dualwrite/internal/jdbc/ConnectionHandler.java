package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.dualwrite.internal.jdbc.WriteProtocol.WrittenKey;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wrapped connection: one physical connection to the primary of the stage in force when the current
 * transaction (or, in auto-commit, the current statement) began; the keys written in the
 * transaction, mirrored after its commit; and the statements, which decide per execution where
 * each statement goes. Not thread-safe, like any JDBC connection.
 */
final class ConnectionHandler implements InvocationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final JdbcContext context;
    private final String user;
    private final String password;
    private final Set<WrittenKey> written = new LinkedHashSet<>();
    private final List<StatementHandler> statements = new ArrayList<>();
    private Connection proxy;
    private Connection physical;
    private Side physicalSide;
    private boolean autoCommit = true;
    private Integer isolation;
    private Boolean readOnly;
    /** Whether a transaction is open: auto-commit is off and a statement ran since the last end. */
    private boolean inTransaction;
    private Stage transactionStage;
    /** Why the open transaction can only roll back, or null. */
    private String rollbackOnly;
    private boolean closed;

    ConnectionHandler(JdbcContext context, String user, String password) {
        this.context = context;
        this.user = user;
        this.password = password;
    }

    void open(Connection proxy) throws SQLException {
        this.proxy = proxy;
        usePrimary(context.protocol().stage().primary());
    }

    JdbcContext context() {
        return context;
    }

    Connection proxy() {
        return proxy;
    }

    Connection physical() {
        return physical;
    }

    Side physicalSide() {
        return physicalSide;
    }

    /**
     * Whether a read may go through the router: in auto-commit, or in a transaction the application
     * marked read-only. A read-write transaction's reads stay on its own connection, written or not:
     * they may feed its writes (read, modify, write), and a value read from the other, possibly
     * lagging, side would be written back to the primary as if it were current.
     *
     * @return whether reads may be routed
     */
    boolean readsMayBeRouted() {
        return autoCommit || Boolean.TRUE.equals(readOnly);
    }

    /**
     * Starts a statement: outside a transaction, reads the stage and moves to its primary.
     *
     * @return the stage the statement runs under
     */
    Stage beginStatement() throws SQLException {
        requireOpen();
        if (inTransaction) {
            return transactionStage;
        }
        Stage stage = context.protocol().stage();
        usePrimary(stage.primary());
        if (!autoCommit) {
            inTransaction = true;
            transactionStage = stage;
        }
        return stage;
    }

    /**
     * Runs a write of a dual-write stage. In auto-commit it runs in a transaction of its own, committed
     * (and mirrored) here; in the application's transaction its keys are mirrored after the commit.
     */
    <T> T write(Stage stage, Side primary, Write<T> action) throws SQLException {
        boolean own = autoCommit;
        if (own) {
            physical.setAutoCommit(false);
            inTransaction = true;
            transactionStage = stage;
        }
        T result;
        List<WrittenKey> keys = new ArrayList<>();
        try {
            result = action.run(physical, keys);
        } catch (KeysUnknownException e) {
            context.protocol().primaryWrite(primary, false);
            if (own) {
                rollbackQuietly(e);
                endTransaction();
                restoreAutoCommit();
            } else {
                rollbackOnly = e.getMessage();
            }
            throw e;
        } catch (SQLException | RuntimeException e) {
            context.protocol().primaryWrite(primary, false);
            if (own) {
                rollbackQuietly(e);
                endTransaction();
                restoreAutoCommit();
            }
            throw e;
        }
        written.addAll(keys);
        if (own) {
            try {
                commitTransaction();
            } finally {
                restoreAutoCommit();
            }
        }
        context.protocol().primaryWrite(primary, true);
        return result;
    }

    /** A write on the primary whose keys {@link Write#run} adds to the list. */
    @FunctionalInterface
    interface Write<T> {
        T run(Connection primary, List<WrittenKey> keys) throws SQLException;
    }

    /** The statement wrote rows whose keys could not be read back; nothing of it may commit. */
    static final class KeysUnknownException extends SQLException {
        private static final long serialVersionUID = 1L;

        KeysUnknownException(String message) {
            super(message, "0A000");
        }
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        switch (name) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return "CutoverConnection[migration " + context.migration() + ", on the " + physicalSide + "]";
            case "close":
                close();
                return null;
            case "isClosed":
                return closed;
            case "unwrap":
                return ((Class<?>) args[0]).isInstance(proxy) ? proxy : physical().unwrap((Class<?>) args[0]);
            case "isWrapperFor":
                return ((Class<?>) args[0]).isInstance(proxy) || physical().isWrapperFor((Class<?>) args[0]);
            default:
                break;
        }
        requireOpen();
        switch (name) {
            case "createStatement":
                return statement(Statement.class, null, args);
            case "prepareStatement":
                return statement(PreparedStatement.class, (String) args[0], args);
            case "prepareCall":
                return prepareCall(method, args);
            case "getAutoCommit":
                return autoCommit;
            case "setAutoCommit":
                setAutoCommit((Boolean) args[0]);
                return null;
            case "commit":
                if (autoCommit) {
                    return forward(method, args);
                }
                commitTransaction();
                return null;
            case "rollback":
                if (args == null || args.length == 0) {
                    try {
                        physical.rollback();
                    } finally {
                        if (!autoCommit) {
                            endTransaction();
                        }
                    }
                    return null;
                }
                return forward(method, args);
            case "setTransactionIsolation":
                forward(method, args);
                isolation = (Integer) args[0];
                return null;
            case "setReadOnly":
                forward(method, args);
                readOnly = (Boolean) args[0];
                return null;
            case "abort":
                closed = true;
                return forward(method, args);
            default:
                return forward(method, args);
        }
    }

    private Object statement(Class<? extends Statement> type, String sql, Object[] args) {
        StatementHandler handler = new StatementHandler(this, type == PreparedStatement.class ? sql : null,
                sql == null ? args : tail(args));
        Statement statement = (Statement) Proxy.newProxyInstance(ConnectionHandler.class.getClassLoader(),
                new Class<?>[] {type}, handler);
        handler.proxy(statement);
        statements.add(handler);
        return statement;
    }

    void closed(StatementHandler statement) {
        statements.remove(statement);
    }

    private CallableStatement prepareCall(Method method, Object[] args) throws Throwable {
        Stage stage = beginStatement();
        if (stage.dualWrites()) {
            throw new SQLFeatureNotSupportedException("Cutover refused a procedure call in stage " + stage + " of migration "
                    + context.migration() + ": " + args[0] + ". Reason: a procedure may write rows Cutover cannot key,"
                    + " so they would never reach the other side. Fix: call it in a single-side stage, or write the"
                    + " rows with plain INSERT/UPDATE/DELETE statements on mapped tables.", "0A000");
        }
        return (CallableStatement) forward(method, args);
    }

    private void setAutoCommit(boolean on) throws SQLException {
        if (on == autoCommit) {
            return;
        }
        if (on && inTransaction) {
            // JDBC commits the open transaction when auto-commit is switched on; so must the mirror.
            commitTransaction();
        }
        physical.setAutoCommit(on);
        autoCommit = on;
    }

    private void commitTransaction() throws SQLException {
        if (!inTransaction) {
            physical.commit();
            return;
        }
        Side primary = transactionStage.primary();
        boolean mirrored = transactionStage.dualWrites() && !written.isEmpty();
        List<WrittenKey> keys = List.copyOf(written);
        try {
            if (rollbackOnly != null) {
                physical.rollback();
                throw new SQLException("Rolled back instead of committed: " + rollbackOnly, "40000");
            }
            boolean outbox = mirrored && context.protocol().outbox(primary);
            if (outbox) {
                try {
                    context.protocol().writeOutbox(physical, primary, keys);
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(e);
                    throw new SQLException("Could not record the retry entries of the transaction of migration "
                            + context.migration() + ", so it was rolled back and nothing was written: " + e.getMessage(),
                            "40000", e);
                }
            }
            try {
                physical.commit();
            } catch (SQLException | RuntimeException e) {
                context.protocol().primaryWrite(primary, false);
                if (mirrored && !outbox) {
                    context.protocol().commitFailed(primary, keys);
                }
                throw e;
            }
            if (outbox) {
                context.protocol().outboxCommitted(primary, physical, keys);
            } else if (mirrored) {
                context.protocol().committed(primary, physical, keys);
            }
        } finally {
            endTransaction();
        }
    }

    private void endTransaction() {
        inTransaction = false;
        transactionStage = null;
        rollbackOnly = null;
        written.clear();
    }

    private void usePrimary(Side side) throws SQLException {
        if (physical != null && physicalSide == side) {
            return;
        }
        Connection next = open(side);
        try {
            if (!autoCommit) {
                next.setAutoCommit(false);
            }
            if (isolation != null) {
                next.setTransactionIsolation(isolation);
            }
            if (readOnly != null) {
                next.setReadOnly(readOnly);
            }
        } catch (SQLException | RuntimeException e) {
            next.close();
            throw e;
        }
        Connection previous = physical;
        physical = next;
        physicalSide = side;
        if (previous != null) {
            for (StatementHandler statement : List.copyOf(statements)) {
                statement.physicalConnectionChanged();
            }
            previous.close();
        }
    }

    /** @return a new connection to a side, with this connection's credentials */
    Connection open(Side side) throws SQLException {
        return user == null ? context.dataSource(side).getConnection()
                : context.dataSource(side).getConnection(user, password);
    }

    private void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        for (StatementHandler statement : List.copyOf(statements)) {
            statement.closeQuietly();
        }
        try {
            if (inTransaction) {
                physical.rollback();
            }
        } finally {
            endTransaction();
            physical.close();
        }
    }

    private void requireOpen() throws SQLException {
        if (closed) {
            throw new SQLException("Connection is closed", "08003");
        }
    }

    private void rollbackQuietly(Exception cause) {
        try {
            physical.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private void restoreAutoCommit() {
        try {
            physical.setAutoCommit(true);
        } catch (SQLException e) {
            LOG.debug("Could not switch auto-commit back on: {}", e.getMessage());
        }
    }

    private Object forward(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(physical, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Object[] tail(Object[] args) {
        Object[] rest = new Object[args.length - 1];
        System.arraycopy(args, 1, rest, 0, rest.length);
        return rest;
    }
}
