package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.UnmirroredWriteException;
import dev.cutover.dualwrite.internal.jdbc.WriteProtocol.WrittenKey;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wrapped connection: one physical connection to the primary of the stages in force when the
 * current transaction (or, in auto-commit, the current statement) began; the keys written in the
 * transaction, per migration, mirrored after its commit; and the statements, which decide per
 * execution where each statement goes. Not thread-safe, like any JDBC connection.
 */
final class ConnectionHandler implements InvocationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    private final JdbcContext context;
    private final String user;
    private final String password;
    /** Per migration, in the order first written: the keys the open transaction wrote. */
    private final Map<String, Set<WrittenKey>> written = new LinkedHashMap<>();
    private final List<StatementHandler> statements = new ArrayList<>();
    private Connection proxy;
    private Connection physical;
    private Side physicalSide;
    private boolean autoCommit = true;
    private Integer isolation;
    private Boolean readOnly;
    /** Whether this statement's own transaction lifted the connection's read-only mark, put back with auto-commit. */
    private boolean readOnlyLifted;
    /** Whether a transaction is open: auto-commit is off and a statement ran since the last end. */
    private boolean inTransaction;
    private Stages transactionStages;
    /**
     * Per migration: the open transaction's write permit (fenced primary handover), from its first keyed
     * write of the migration to the transaction's end.
     */
    private final Map<String, WritePermit> permits = new LinkedHashMap<>();
    /**
     * Whether the application may have moved the physical connection to another schema or catalog
     * ({@code setSchema}, {@code setCatalog}, or SQL such as {@code USE} and {@code SET search_path}).
     */
    private boolean namespaceMayHaveChanged;
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
        usePrimary(context.stages().primary());
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
     * Starts a statement: outside a transaction, reads the stages and moves to their primary.
     *
     * @return the stages the statement runs under
     */
    Stages beginStatement() throws SQLException {
        requireOpen();
        if (inTransaction) {
            return transactionStages;
        }
        Stages stages = context.stages();
        usePrimary(stages.primary());
        if (!autoCommit) {
            inTransaction = true;
            transactionStages = stages;
        }
        return stages;
    }

    /**
     * Refuses a write, before it runs, while the migrations disagree about the primary: the
     * transaction's one connection is not the primary of every migration.
     *
     * @param stages the stages the statement runs under
     * @throws SQLTransientException (SQLState 55000) if they disagree
     */
    static void requireOnePrimary(Stages stages) throws SQLException {
        if (!stages.agree()) {
            throw new SQLTransientException(stages.disagreement("a write before writing anything"), "55000");
        }
    }

    /**
     * Runs a write of a migration in a dual-write stage. In auto-commit it runs in a transaction of its
     * own, committed (and mirrored) here; in the application's transaction its keys are mirrored after
     * the commit.
     */
    <T> T write(Stages stages, String migration, Write<T> action) throws SQLException {
        return write(stages, List.of(migration), (c, keys) -> action.run(c, keys.get(migration)));
    }

    /**
     * Runs a write of several migrations, all in dual-write stages, as {@link #write(Stages, String, Write)}
     * runs one: it holds each migration's permit, and mirrors each one's keys by its own protocol.
     */
    <T> T write(Stages stages, List<String> migrations, MultiWrite<T> action) throws SQLException {
        requireOnePrimary(stages);
        requireHomeNamespace(stages);
        Side primary = stages.primary();
        // Counted on the first migration, as one statement.
        WriteProtocol protocol = context.protocol(migrations.get(0));
        if (!inTransaction) {
            // Auto-commit: the permits must be held before this statement's own transaction begins.
            try {
                beginPermits(migrations, primary);
            } catch (SQLException | RuntimeException e) {
                endTransaction();
                throw e;
            }
        }
        boolean own = autoCommit;
        if (own) {
            liftReadOnlyForOwnTransaction();
            physical.setAutoCommit(false);
            inTransaction = true;
            transactionStages = stages;
        }
        T result;
        Map<String, List<WrittenKey>> keys = new LinkedHashMap<>();
        migrations.forEach(migration -> keys.put(migration, new ArrayList<>()));
        try {
            beginPermits(migrations, primary);
            result = action.run(physical, keys);
        } catch (KeysUnknownException e) {
            protocol.primaryWrite(primary, false);
            if (own) {
                rollbackQuietly(e);
                endTransaction();
                restoreAutoCommit();
            } else {
                rollbackOnly = e.getMessage();
            }
            throw e;
        } catch (SQLException | RuntimeException e) {
            protocol.primaryWrite(primary, false);
            if (own) {
                rollbackQuietly(e);
                endTransaction();
                restoreAutoCommit();
            }
            throw e;
        }
        keys.forEach((migration, its) -> written.computeIfAbsent(migration, m -> new LinkedHashSet<>()).addAll(its));
        if (own) {
            try {
                commitTransaction();
            } finally {
                restoreAutoCommit();
            }
        }
        protocol.primaryWrite(primary, true);
        return result;
    }

    /**
     * Fences a sequence draw as a write is fenced: it takes the write permit of every migration in a
     * dual-write stage, so it waits out a handover, whose sequence step moves the new primary's
     * sequences up to the old primary's. Drawn before that step, the value (an ORM's whole id block)
     * was one the old primary had handed out, and the inserts using it failed with duplicate keys.
     * Held to the transaction's end, the permits also keep the handover from reading the old
     * primary's sequences before a draw on it finished.
     *
     * @return whether the permits were taken for this statement alone (auto-commit), to release after it
     */
    boolean fenceSequenceDraw() throws SQLException {
        Stages stages = beginStatement();
        if (!stages.agree() || !stages.anyDualWrites()) {
            return false;
        }
        List<String> dual = context.migrations().stream().filter(m -> stages.of(m).dualWrites()).toList();
        boolean own = !inTransaction;
        try {
            beginPermits(dual, stages.primary());
        } catch (SQLException | RuntimeException e) {
            if (own) {
                releaseSequenceDraw();
            }
            throw e;
        }
        return own;
    }

    /**
     * Fences a locking read ({@code SELECT ... FOR UPDATE}, Spring Data JDBC's and JPA's pessimistic
     * locks) in a read-write transaction as a write is fenced: it takes the write permit of each
     * migration in a dual-write stage whose mapped table it reads, held to the transaction's end. The row
     * locks it takes are a write's in all but name: without the permit, a handover could wait for another
     * transaction of the old primary that waits for those locks, while this transaction's next write
     * waited for the handover, and every write of the migration stalled for the handover's maximum wait.
     *
     * @param stages the stages the read runs under
     * @param tables the tables the read names, or null if they cannot be told (then every dual-writing migration)
     */
    void fenceLockingRead(Stages stages, List<String> tables) throws SQLException {
        if (!inTransaction || autoCommit || Boolean.TRUE.equals(readOnly) || !stages.agree()
                || !stages.anyDualWrites()) {
            return;
        }
        List<String> migrations = new ArrayList<>();
        if (tables == null) {
            context.migrations().stream().filter(m -> stages.of(m).dualWrites()).forEach(migrations::add);
        } else {
            for (String table : tables) {
                TableMapping mapping = mapped(table, stages.primary());
                if (mapping != null) {
                    String migration = context.part(mapping).migration();
                    if (stages.of(migration).dualWrites() && !migrations.contains(migration)) {
                        migrations.add(migration);
                    }
                }
            }
        }
        beginPermits(migrations, stages.primary());
    }

    /** Releases the permits an auto-commit sequence draw took. */
    void releaseSequenceDraw() {
        permits.values().forEach(WritePermit::close);
        permits.clear();
    }

    /**
     * Notes, before a call or statement that may change the connection's current schema or catalog
     * runs, that keyed writes must check it, and the close restore it.
     */
    void namespaceMayChange() {
        namespaceMayHaveChanged = true;
    }

    /** Notes what a statement may change of the session before it runs: {@code set_config} moves the search path. */
    void beforeRunning(SqlAnalysis analysis) {
        if (analysis.functions() == null || analysis.functions().contains("set_config")) {
            namespaceMayChange();
        }
    }

    static List<String> namespace(Connection c) throws SQLException {
        return Arrays.asList(c.getSchema(), c.getCatalog());
    }

    /**
     * Refuses a keyed write, before it runs, on a connection whose current schema or catalog is no
     * longer the one it came with: its unqualified table names then reach other tables than the mapped
     * ones, while the copies read and write the mapped tables.
     */
    private void requireHomeNamespace(Stages stages) throws SQLException {
        if (!namespaceMayHaveChanged) {
            return;
        }
        List<String> homeNamespace = context.homeNamespace(physicalSide);
        List<String> now = namespace(physical);
        if (!now.equals(homeNamespace)) {
            throw new SQLFeatureNotSupportedException("Cutover refused a write in " + stages.describe()
                    + ": the connection's current schema and catalog are " + now + ", no longer " + homeNamespace
                    + " as it came from the pool (setSchema, setCatalog, USE or SET search_path changed them), so"
                    + " the tables the statement names are not the mapped tables the copies read and write, and"
                    + " its rows would not reach the " + stages.primary().other().name().toLowerCase(java.util.Locale.ROOT)
                    + ". Fix: switch back to " + homeNamespace + " before writing migrated tables, or write other"
                    + " schemas' tables through a data source of their own", "0A000");
        }
    }

    private void beginPermits(List<String> migrations, Side primary) throws SQLException {
        for (String migration : migrations) {
            if (!permits.containsKey(migration)) {
                beginPermit(migration, primary);
            }
        }
    }

    /**
     * Takes the transaction's write permit of a migration at its first keyed write of the migration:
     * waits out the migration's handover, and refuses the statement (before it writes) when the
     * migration's primary moved since the transaction began.
     */
    private void beginPermit(String migration, Side primary) throws SQLException {
        if (!permits.isEmpty() && context.stages().of(migration).primary() != primary) {
            // Refused at once rather than after the handover: holding another migration's permit of the
            // old primary, this transaction could hold up a handover that another, symmetric one waits on.
            throw movedSinceBegin(migration, context.stages().of(migration).primary(), primary);
        }
        // A write on this thread's second connection while its first holds the old primary's permit
        // is refused by the flags at once (SQLState 40001), instead of waiting for its own transaction.
        WritePermit next = context.protocol(migration).beginWrite();
        if (next.stage().primary() != primary) {
            next.close();
            throw movedSinceBegin(migration, next.stage().primary(), primary);
        }
        permits.put(migration, next);
    }

    private SQLTransientException movedSinceBegin(String migration, Side now, Side primary) {
        return new SQLTransientException("The primary of migration " + migration + " moved to the "
                + now.name().toLowerCase(java.util.Locale.ROOT) + " since this transaction began on the "
                + primary.name().toLowerCase(java.util.Locale.ROOT) + "; " + (permits.isEmpty()
                        ? "nothing of it was written" : "this statement wrote nothing") + "."
                + " Roll back and retry the transaction", "40001");
    }

    /** A write on the primary whose keys {@link Write#run} adds to the list. */
    @FunctionalInterface
    interface Write<T> {
        T run(Connection primary, List<WrittenKey> keys) throws SQLException;
    }

    /** A write on the primary of several migrations' tables; {@link MultiWrite#run} adds each one's keys to its list. */
    @FunctionalInterface
    interface MultiWrite<T> {
        T run(Connection primary, Map<String, List<WrittenKey>> keys) throws SQLException;
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
                return "CutoverConnection[migrations " + context.migrations() + ", on the " + physicalSide + "]";
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
                return ProcedureCalls.prepare(this, method, args);
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
            case "setSchema":
            case "setCatalog":
                namespaceMayChange();
                return forward(method, args);
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
     * Finds the mapping of a table as a statement names it. A qualified name ({@code public.stock},
     * {@code shop.stock}) of an unqualified mapped table is that table when its qualifier is the
     * connection's current schema (PostgreSQL) or catalog (MariaDB, MySQL): the same table the
     * unqualified name reaches.
     *
     * @return the mapping, or null
     */
    TableMapping mapped(String table, Side primary) throws SQLException {
        TableMapping mapping = context.mapping(table, primary);
        if (mapping != null || table.indexOf('.') < 0) {
            return mapping;
        }
        int dot = table.lastIndexOf('.');
        TableMapping bare = context.mappingNamed(table.substring(dot + 1), primary);
        return bare != null && isCurrentNamespace(table.substring(0, dot)) ? bare : null;
    }

    /**
     * Whether a qualifier names what an unqualified table name reaches on the primary connection: its
     * current schema ({@code public.stock} on PostgreSQL), or its catalog where the engine has no
     * schemas ({@code shop.stock} on MariaDB), or both ({@code db.public.stock}).
     *
     * @param qualifier the qualifier, normalised (unquoted, lower case)
     * @return whether it names the current schema or catalog
     */
    private boolean isCurrentNamespace(String qualifier) throws SQLException {
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
        Side primary = transactionStages.primary();
        // Per migration written in a dual-write stage: its keys, mirrored by its own protocol and permit.
        Map<String, List<WrittenKey>> mirrored = new LinkedHashMap<>();
        written.forEach((migration, keys) -> {
            if (transactionStages.of(migration).dualWrites() && !keys.isEmpty()) {
                mirrored.put(migration, List.copyOf(keys));
            }
        });
        try {
            if (rollbackOnly != null) {
                physical.rollback();
                throw new SQLException("Rolled back instead of committed: " + rollbackOnly, "40000");
            }
            for (String migration : mirrored.keySet()) {
                WritePermit permit = permits.get(migration);
                if (permit != null && !permit.ensureCopyWindow()) {
                    // Too close to the end of the copy window: a commit now could not be copied in time.
                    physical.rollback();
                    throw new SQLTransientException("Rolled back instead of committed: the copy window of the primary"
                            + " of migration " + migration + " is closing (the primary is moving, or the flags were"
                            + " not confirmed in time), so the transaction could not be mirrored; nothing was"
                            + " written. Retry the transaction", "40001");
                }
            }
            Set<String> outboxed = new LinkedHashSet<>();
            for (Map.Entry<String, List<WrittenKey>> e : mirrored.entrySet()) {
                WriteProtocol protocol = context.protocol(e.getKey());
                if (!protocol.outbox(primary)) {
                    continue;
                }
                try {
                    protocol.writeOutbox(physical, primary, e.getValue());
                } catch (SQLException | RuntimeException failure) {
                    rollbackQuietly(failure);
                    throw new SQLException("Could not record the retry entries of the transaction of migration "
                            + e.getKey() + ", so it was rolled back and nothing was written: "
                            + Redaction.message(failure, context.logValues()),
                            "40000", failure);
                }
                outboxed.add(e.getKey());
            }
            try {
                physical.commit();
            } catch (SQLException | RuntimeException e) {
                WriteProtocol counted = mirrored.isEmpty() ? context.first().protocol()
                        : context.protocol(mirrored.keySet().iterator().next());
                counted.primaryWrite(primary, false);
                mirrored.forEach((migration, keys) -> {
                    if (!outboxed.contains(migration)) {
                        try {
                            context.protocol(migration).commitFailed(primary, keys, permits.get(migration));
                        } catch (RuntimeException unqueued) {
                            e.addSuppressed(unqueued);
                        }
                    }
                });
                throw e;
            }
            // Every migration's keys are copied or queued, whatever happens to another migration's.
            List<String> late = new ArrayList<>();
            UnmirroredWriteException unmirrored = null;
            // The copies lock and read the committed rows, and queue keys, on this connection: at the
            // application's REPEATABLE READ or SERIALIZABLE, PostgreSQL fails such a read of a row another
            // writer changed meanwhile (could not serialize access), and the key and every later write
            // of it would go to the retry-queue. They run at READ COMMITTED, as the backfill's chunks do.
            boolean strict = isolation != null && isolation > Connection.TRANSACTION_READ_COMMITTED
                    && !mirrored.isEmpty() && readCommitted();
            try {
                for (Map.Entry<String, List<WrittenKey>> e : mirrored.entrySet()) {
                    String migration = e.getKey();
                    try {
                        if (!context.protocol(migration).committed(primary, physical, e.getValue(), permits.get(migration),
                                outboxed.contains(migration))) {
                            late.add(migration);
                        }
                    } catch (UnmirroredWriteException failure) {
                        if (unmirrored == null) {
                            unmirrored = failure;
                        } else {
                            unmirrored.addSuppressed(failure);
                        }
                    }
                }
            } finally {
                if (strict) {
                    restoreIsolation();
                }
            }
            if (unmirrored != null) {
                throw new SQLException(unmirrored.getMessage(), unmirrored);
            }
            if (!late.isEmpty()) {
                throw new SQLTransientException("The transaction of migration" + (late.size() == 1 ? " " : "s ")
                        + String.join(", ", late) + " committed on the " + primary.name().toLowerCase(java.util.Locale.ROOT)
                        + ", but its copy window closed before it was copied (the primary moved while it was in"
                        + " flight): it may or may not persist, as a whole, once the retry-queue copies its keys from"
                        + " the primary after the handover", "40001");
            }
        } finally {
            endTransaction();
        }
    }

    /** @return whether the physical connection now runs at READ COMMITTED, for the copies after a commit */
    private boolean readCommitted() {
        try {
            physical.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            return true;
        } catch (SQLException | RuntimeException e) {
            // The copies run at the application's level then; a copy that fails is queued as always.
            LOG.debug("Could not run the copies at READ COMMITTED: {}", Redaction.describe(e, context.logValues()));
            return false;
        }
    }

    /**
     * Gives the physical connection the application's isolation back after the copies. Only a broken
     * connection refuses it, and that one fails the application's next call anyway.
     */
    private void restoreIsolation() {
        try {
            physical.setTransactionIsolation(isolation);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Could not give the connection its isolation level back after the copies of its transaction: {}",
                    Redaction.describe(e, context.logValues()));
        }
    }

    private void endTransaction() {
        permits.values().forEach(WritePermit::close);
        permits.clear();
        inTransaction = false;
        transactionStages = null;
        rollbackOnly = null;
        written.clear();
    }

    private void usePrimary(Side side) throws SQLException {
        if (physical != null && physicalSide == side) {
            return;
        }
        Connection next = open(side);
        try {
            context.rememberHomeNamespace(side, next);
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
        namespaceMayHaveChanged = false;
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
            restoreNamespace();
        } finally {
            endTransaction();
            physical.close();
        }
    }

    /**
     * Gives the pool its connection back in the namespace it lent it in: a pool resets what its own
     * setters changed, not what SQL changed, and the next borrower's unqualified names must reach the
     * mapped tables.
     */
    private void restoreNamespace() {
        if (!namespaceMayHaveChanged) {
            return;
        }
        List<String> homeNamespace = context.homeNamespace(physicalSide);
        try {
            List<String> now = namespace(physical);
            if (!Objects.equals(now.get(1), homeNamespace.get(1)) && homeNamespace.get(1) != null) {
                physical.setCatalog(homeNamespace.get(1));
            }
            if (!Objects.equals(now.get(0), homeNamespace.get(0)) && homeNamespace.get(0) != null) {
                physical.setSchema(homeNamespace.get(0));
            }
        } catch (SQLException e) {
            LOG.warn("Could not restore the schema and catalog {} of a connection before returning it to the pool: {}",
                    homeNamespace, e.getMessage());
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
            if (readOnlyLifted) {
                readOnlyLifted = false;
                physical.setReadOnly(true);
            }
        } catch (SQLException e) {
            LOG.debug("Could not switch auto-commit back on: {}", e.getMessage());
        }
    }

    /**
     * PostgreSQL's driver enforces a connection's read-only mark only inside transactions by default
     * ({@code readOnlyMode=transaction}), so an auto-commit write on a connection left read-only runs on
     * the plain pool. Cutover runs such a write in a transaction of its own (its locking read, the write,
     * then the copies on the same connection), where the mark would refuse it with a message naming a
     * {@code SELECT ... FOR UPDATE} the application never sent; the mark is lifted for that transaction
     * when the session itself is not read-only (as it is with {@code readOnlyMode=always}, which refuses
     * the write on the plain pool too).
     */
    private void liftReadOnlyForOwnTransaction() throws SQLException {
        if (!Boolean.TRUE.equals(readOnly) || Dialect.detect(physical) != Dialect.POSTGRESQL) {
            return;
        }
        try (Statement show = physical.createStatement();
                ResultSet mode = show.executeQuery("SHOW transaction_read_only")) {
            if (mode.next() && "off".equalsIgnoreCase(mode.getString(1))) {
                physical.setReadOnly(false);
                readOnlyLifted = true;
            }
        }
    }

    /** Calls a {@code Connection} method on the physical connection, passing on what it threw. */
    Object forward(Method method, Object[] args) throws Throwable {
        return PhysicalStatements.forward(physical, method, args);
    }

    private static Object[] tail(Object[] args) {
        Object[] rest = new Object[args.length - 1];
        System.arraycopy(args, 1, rest, 0, rest.length);
        return rest;
    }
}
