package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.UnmirroredWriteException;
import dev.cutover.dualwrite.internal.jdbc.WriteProtocol.WrittenKey;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.WritePermit;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientException;
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
    /** The open transaction's write permit (fenced primary handover), from its first keyed write to its end; or null. */
    private WritePermit permit;
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
        if (permit == null && !inTransaction) {
            // Auto-commit: the permit must be held before this statement's own transaction begins.
            beginPermit(primary);
        }
        boolean own = autoCommit;
        if (own) {
            physical.setAutoCommit(false);
            inTransaction = true;
            transactionStage = stage;
        }
        T result;
        List<WrittenKey> keys = new ArrayList<>();
        try {
            if (permit == null) {
                beginPermit(primary);
            }
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

    /**
     * Takes the transaction's write permit at its first keyed write: waits out a handover, and refuses
     * (nothing of the transaction is written yet) when the primary moved since the transaction began.
     */
    private void beginPermit(Side primary) throws SQLException {
        WritePermit next = context.protocol().beginWrite();
        if (next.stage().primary() != primary) {
            next.close();
            throw new SQLTransientException("The primary of migration " + context.migration() + " moved to the "
                    + next.stage().primary().name().toLowerCase(java.util.Locale.ROOT) + " since this transaction began"
                    + " on the " + primary.name().toLowerCase(java.util.Locale.ROOT) + "; nothing of it was written."
                    + " Roll back and retry the transaction", "40001");
        }
        permit = next;
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
                return unwrapSelf(proxy, (Class<?>) args[0], "connection");
            case "isWrapperFor":
                return ((Class<?>) args[0]).isInstance(proxy);
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
            case "getMetaData":
                return DriverObjects.metaData(physical.getMetaData(), this.proxy);
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

    /**
     * Unwraps a wrapper to itself only. A pool's wrapper (HikariCP's, for one) unwraps to the driver's
     * connection or statement; Cutover's does not, because SQL run on the driver's objects would
     * bypass the refusals and the mirror, in this stage or after a later flip.
     */
    static Object unwrapSelf(Object self, Class<?> iface, String what) throws SQLException {
        if (iface.isInstance(self)) {
            return self;
        }
        throw new SQLException("Cutover does not unwrap its " + what + " to " + iface.getName() + ": SQL run on the"
                + " driver's " + what + " would bypass the mirror and lose writes on the other side. Fix: use the"
                + " java.sql interfaces; for driver-specific APIs, take a connection from the underlying pool, for"
                + " tables declared passThrough(...) or in a single-side stage", "0A000");
    }

    /**
     * Whether a qualifier names what an unqualified table name reaches on the primary connection: its
     * current schema ({@code public.stock} on PostgreSQL), or its catalog where the engine has no
     * schemas ({@code shop.stock} on MariaDB), or both ({@code db.public.stock}).
     *
     * @param qualifier the qualifier, normalised (unquoted, lower case)
     * @return whether it names the current schema or catalog
     */
    boolean isCurrentNamespace(String qualifier) throws SQLException {
        String schema = lower(physical.getSchema());
        String catalog = lower(physical.getCatalog());
        String[] parts = qualifier.split("\\.");
        if (parts.length == 1) {
            return parts[0].equals(schema) || schema == null && parts[0].equals(catalog);
        }
        return parts.length == 2 && parts[0].equals(catalog) && parts[1].equals(schema);
    }

    /** @return the primary connection's schema and catalog, for messages */
    String currentNamespace() {
        try {
            return "schema " + physical.getSchema() + ", catalog " + physical.getCatalog();
        } catch (SQLException e) {
            return "unknown: " + e.getMessage();
        }
    }

    private static String lower(String name) {
        return name == null ? null : name.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Prepares a procedure call. A procedure may write rows Cutover cannot key, so calls are refused in
     * dual-write stages, when prepared and again at each execution: a call prepared in a single-side
     * stage must not run unmirrored after a flip.
     */
    private CallableStatement prepareCall(Method method, Object[] args) throws Throwable {
        Stage stage = beginStatement();
        String sql = (String) args[0];
        if (stage.dualWrites()) {
            throw refusedCall(stage, sql);
        }
        CallableStatement call = (CallableStatement) forward(method, args);
        Connection preparedOn = physical;
        return (CallableStatement) Proxy.newProxyInstance(ConnectionHandler.class.getClassLoader(),
                new Class<?>[] {CallableStatement.class}, (self, m, a) -> {
                    String name = m.getName();
                    switch (name) {
                        case "equals":
                            return self == a[0];
                        case "hashCode":
                            return System.identityHashCode(self);
                        case "getConnection":
                            return this.proxy;
                        case "unwrap":
                            return unwrapSelf(self, (Class<?>) a[0], "statement");
                        case "isWrapperFor":
                            return ((Class<?>) a[0]).isInstance(self);
                        default:
                            break;
                    }
                    if (!name.startsWith("execute")) {
                        Object answer = invokeOn(call, m, a);
                        return answer instanceof ResultSet rs ? DriverObjects.resultSet(rs, (Statement) self) : answer;
                    }
                    Stage now = beginStatement();
                    if (now.dualWrites()) {
                        throw refusedCall(now, sql);
                    }
                    if (physical != preparedOn) {
                        throw new SQLException("The call " + context.quote(sql) + " was prepared on the " + physicalSide.other()
                                .name().toLowerCase(java.util.Locale.ROOT) + ", which is no longer the primary. Fix:"
                                + " prepare the call again", "08003");
                    }
                    try {
                        Object result = invokeOn(call, m, a);
                        context.protocol().primaryWrite(now.primary(), true);
                        return result instanceof ResultSet rs ? DriverObjects.resultSet(rs, (Statement) self) : result;
                    } catch (SQLException | RuntimeException e) {
                        context.protocol().primaryWrite(now.primary(), false);
                        throw e;
                    }
                });
    }

    private SQLFeatureNotSupportedException refusedCall(Stage stage, String sql) {
        return new SQLFeatureNotSupportedException("Cutover refused a procedure call in stage " + stage + " of migration "
                + context.migration() + ": " + context.quote(sql) + " . Reason: a procedure may write rows Cutover cannot key, so"
                + " they would never reach the other side. Fix: call it in a single-side stage, or write the rows with"
                + " plain INSERT/UPDATE/DELETE statements on mapped tables.", "0A000");
    }

    private static Object invokeOn(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
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
            if (mirrored && permit != null && !permit.ensureCopyWindow()) {
                // Too close to the end of the copy window: a commit now could not be copied in time.
                physical.rollback();
                throw new SQLTransientException("Rolled back instead of committed: the copy window of the primary of"
                        + " migration " + context.migration() + " is closing (the primary is moving, or the flags were"
                        + " not confirmed in time), so the transaction could not be mirrored; nothing was written."
                        + " Retry the transaction", "40001");
            }
            boolean outbox = mirrored && context.protocol().outbox(primary);
            if (outbox) {
                try {
                    context.protocol().writeOutbox(physical, primary, keys);
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(e);
                    throw new SQLException("Could not record the retry entries of the transaction of migration "
                            + context.migration() + ", so it was rolled back and nothing was written: "
                            + Redaction.message(e, context.logValues()),
                            "40000", e);
                }
            }
            try {
                physical.commit();
            } catch (SQLException | RuntimeException e) {
                context.protocol().primaryWrite(primary, false);
                if (mirrored && !outbox) {
                    try {
                        context.protocol().commitFailed(primary, keys, permit);
                    } catch (RuntimeException unqueued) {
                        e.addSuppressed(unqueued);
                    }
                }
                throw e;
            }
            boolean inWindow;
            try {
                inWindow = !mirrored || context.protocol().committed(primary, physical, keys, permit, outbox);
            } catch (UnmirroredWriteException e) {
                throw new SQLException(e.getMessage(), e);
            }
            if (!inWindow) {
                throw new SQLTransientException("The transaction of migration " + context.migration() + " committed"
                        + " on the " + primary.name().toLowerCase(java.util.Locale.ROOT) + ", but its copy window"
                        + " closed before it was copied (the primary moved while it was in flight): it may or may not"
                        + " persist, as a whole, once the retry-queue copies its keys from the primary after the"
                        + " handover", "40001");
            }
        } finally {
            endTransaction();
        }
    }

    private void endTransaction() {
        if (permit != null) {
            permit.close();
            permit = null;
        }
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
