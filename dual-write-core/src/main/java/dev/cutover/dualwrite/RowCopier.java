package dev.cutover.dualwrite;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.ColumnValues;
import dev.cutover.dualwrite.internal.Mappings;
import dev.cutover.dualwrite.internal.RowSql;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a key's current row from one side of a migration to the other: the row is upserted on the
 * receiving side, or deleted there when the sending side has no row for the key. This is how
 * Cutover mirrors writes: by state, never by replaying the operation.
 *
 * <p><b>Protocol.</b> In a transaction on the sending side (normally the primary) the key's row is
 * read with {@code SELECT ... FOR UPDATE}; while that lock is held, the row is upserted (or the key
 * deleted) on the receiving side and that transaction is committed; only then is the sending
 * transaction ended (it wrote nothing: rolled back, on H2 committed, see below), which releases the
 * lock. Writers of the key on the sending side wait for the lock, so copies of one key reach the
 * receiving side in the order of the sending side's commits, and the last copy carries the latest
 * committed row: increments, deletes and re-inserts cannot leave the two sides different, whatever
 * the interleaving of threads and instances. When the sending side has no row, there is no row to
 * lock; the copy then deletes on the receiving side and reads the sending side once more, with a
 * plain read, before committing: if a row appeared in between, the delete is rolled back and the
 * copy starts again with the new row. A concurrent copy of the re-inserted row waits for that delete's row lock on
 * the receiving side (on PostgreSQL, for the key lock every copy takes there), so it lands after it.
 * The re-read takes no lock because that concurrent copy may hold the sending row's lock while it
 * waits: a locking re-read would wait for it in turn, across two databases, until both budgets ran out.
 *
 * <p>Every copy runs within a budget ({@link Builder#copyBudget(Duration)}, 5 s by default): the
 * borrow of each connection (which waits on a helper thread, so that the pool's own
 * {@code connectionTimeout} and validation cannot hold the caller), every statement, the commit and
 * the restoring of the connections. Each statement, lock waits included, may take the smaller of
 * {@link Builder#statementTimeout(Duration)} and what is left of the budget: two copies of one key
 * in opposite directions (possible for a moment around a flip of the primary) cannot wait for each
 * other forever; one fails and its caller queues it. On a connection the copy borrowed that bound is
 * the connection's network timeout, because a silently stalled network holds back the driver's
 * cancel request, and a driver waits for its cancel request after a query timeout fired (so the
 * query timeout is set a little longer and never fires first); a statement that reaches it closes
 * that connection, and the pool replaces it. On the application's own connection (see below) the
 * bound is the query timeout, rounded up to whole seconds, and its network timeout stays the
 * application's. Within one process copies of a key are also serialised by a striped lock, whose
 * wait draws on the same budget.
 *
 * <p>Needs on both tables a primary key or unique index on exactly the key columns. The sending
 * side's transaction writes nothing; its row stays locked while the receiving side is written, which
 * is what orders concurrent copies of a key. So a slow or stalled receiving side delays the sending
 * side's writers of that row by at most the copy budget per copy, until the mirror circuit breaker
 * opens and new writes go to the queue instead. One connection per side is had per copy, before the
 * row is locked, and returned with auto-commit and network timeout restored; the wrapped
 * {@link CutoverDataSource} reads the sending side on the application's own connection that just
 * committed, so the copy takes nothing from the application's pool.
 *
 * <p><b>H2.</b> On an H2 sending side the locking transaction is committed instead of rolled back:
 * H2's rollback of a transaction whose locking read met a row deleted meanwhile also deletes a row
 * of that key inserted and committed after that delete, by another transaction (H2 2.3.232 to
 * 2.5.252), which would lose the application's acknowledged insert on both sides.
 *
 * <p><b>Asynchronous mirror.</b> In {@link MirrorMode#ASYNC} the row copier owns the copier thread
 * of every repository built on it: {@link #close()} copies (or queues) the keys still pending and
 * stops it. Close it when the application stops, before its retry-queue and flags; the
 * {@code Cutover} runtime does so for its migrations.
 *
 * <p>Thread-safe.
 */
public final class RowCopier implements AutoCloseable {
    /** How many times a copy restarts when rows keep appearing for a key it found absent. */
    static final int MAX_ABSENT_RECHECKS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(RowCopier.class);
    private static final int LOCK_STRIPES = 256;
    /** The least network timeout of the clean-up after a copy, so that a healthy connection survives it. */
    private static final int CLEANUP_FLOOR_MILLIS = 50;

    private final DataSource source;
    private final DataSource target;
    private final Map<String, TableMapping> mappings;
    private final int timeoutSeconds;
    private final Duration copyBudget;
    private final boolean logValues;
    private final MirrorMode mirrorMode;
    private final int asyncBacklog;
    private final int asyncBatchSize;
    private final Duration asyncGatherDelay;
    /** The copier of the repositories in {@link MirrorMode#ASYNC}; null in {@link MirrorMode#SYNC}. */
    private final AsyncMirror asyncMirror;
    private final Map<Side, Dialect> dialects = new ConcurrentHashMap<>();
    private final Map<String, String> upserts = new ConcurrentHashMap<>();
    /**
     * Per entity and side, whether the side's table is written without {@code ON DUPLICATE KEY
     * UPDATE}: on MariaDB and MySQL that clause fires on any unique index, so a copy whose row
     * collides with another row on a unique column (an e-mail taken over from a row whose own copy
     * is still queued) would silently overwrite that other row.
     */
    private final Map<String, Boolean> guardedWrites = new ConcurrentHashMap<>();
    private final ReentrantLock[] stripes = new ReentrantLock[LOCK_STRIPES];

    private RowCopier(Builder b) {
        this.source = b.source;
        this.target = b.target;
        this.mappings = Collections.unmodifiableMap(new LinkedHashMap<>(b.mappings));
        this.timeoutSeconds = (int) Math.max(1, (b.statementTimeout.toMillis() + 999) / 1000);
        this.copyBudget = b.copyBudget == null ? Duration.ofSeconds(timeoutSeconds) : b.copyBudget;
        this.logValues = b.logValues;
        this.mirrorMode = b.mirrorMode;
        this.asyncBacklog = b.asyncBacklog;
        this.asyncBatchSize = b.asyncBatchSize;
        this.asyncGatherDelay = b.asyncGatherDelay;
        this.asyncMirror = mirrorMode == MirrorMode.ASYNC ? new AsyncMirror(this) : null;
        b.dialects.forEach(dialects::put);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Starts a row copier over two databases.
     *
     * @param source the source database
     * @param target the target database
     * @return the builder
     */
    public static Builder builder(DataSource source, DataSource target) {
        return new Builder(source, target);
    }

    /** @return the names of the mapped entities */
    public Set<String> entities() {
        return mappings.keySet();
    }

    /**
     * The mapping of an entity.
     *
     * @param entity the entity's name
     * @return the mapping
     * @throws IllegalArgumentException if the entity is not mapped
     */
    public TableMapping mapping(String entity) {
        TableMapping mapping = mappings.get(Objects.requireNonNull(entity, "null entity"));
        if (mapping == null) {
            throw new IllegalArgumentException("Entity '" + entity + "' is not mapped; mapped entities are " + mappings.keySet());
        }
        return mapping;
    }

    /**
     * Copies a key's current row from the source to the target.
     *
     * @param entity the entity's name
     * @param key the routing key, see {@link TableMapping#key(Object...)}
     * @throws SQLException if either database fails, a statement times out, or the key kept
     *     changing between absent and present {@value #MAX_ABSENT_RECHECKS} times in a row
     * @throws IllegalArgumentException if the entity is not mapped or the key does not parse
     */
    public void copy(String entity, String key) throws SQLException {
        copy(entity, key, Side.SOURCE);
    }

    /**
     * Copies a key's current row from one side to the other, with the protocol described above.
     *
     * @param entity the entity's name
     * @param key the routing key, see {@link TableMapping#key(Object...)}
     * @param from the side whose row is copied; the other side receives it
     * @throws SQLException if either database fails, a statement times out, or the key kept
     *     changing between absent and present {@value #MAX_ABSENT_RECHECKS} times in a row
     * @throws IllegalArgumentException if the entity is not mapped or the key does not parse
     */
    public void copy(String entity, String key, Side from) throws SQLException {
        copy(entity, key, from, null, CopyBudget.start(copyBudget), null);
    }

    /**
     * Copies a key as {@link #copy(String, String, Side)} does, but only if the receiving side is
     * written before a deadline (the copy window of a primary epoch, see
     * {@link WritePermit#deadlineNanos()}); see
     * {@link #copy(String, String, Side, Connection, CopyBudget, java.util.function.BooleanSupplier)}.
     */
    void copy(String entity, String key, Side from, java.util.function.BooleanSupplier inWindow) throws SQLException {
        copy(entity, key, from, null, CopyBudget.start(copyBudget), inWindow);
    }

    /**
     * Copies a key within a budget, optionally reading and locking the sending side's row on a
     * connection the caller holds (the application's own, just committed), so that the copy borrows
     * nothing from the sending side's pool; and, with {@code inWindow}, only if the receiving side is
     * written inside the copy window of a primary epoch: {@code inWindow} is asked after the receiving
     * statement returned, when the receiving row is locked until the commit; if it says no, the
     * receiving side is rolled back and {@link CopyWindowClosedException} is thrown.
     *
     * @param sending a connection to the sending side outside any transaction, left outside one
     *     with its auto-commit mode as found; or null to borrow one
     * @param inWindow whether the copy window is still open; null for none
     */
    void copy(String entity, String key, Side from, Connection sending, CopyBudget budget,
            java.util.function.BooleanSupplier inWindow) throws SQLException {
        TableMapping mapping = mapping(entity);
        Objects.requireNonNull(from, "null from");
        List<Object> keyValues = mapping.keyValues(key);
        ReentrantLock stripe = stripes[Math.floorMod((entity + '\0' + key).hashCode(), LOCK_STRIPES)];
        try {
            if (!stripe.tryLock(Math.min(4L * timeoutSeconds * 1000, budget.copyMillisLeft()), TimeUnit.MILLISECONDS)) {
                throw new SQLTimeoutException("Another copy of " + entity + "/" + key + " in this process did not finish in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTimeoutException("Interrupted while waiting to copy " + entity + "/" + key, e);
        }
        try {
            copy(mapping, keyValues, from, sending, budget, inWindow);
        } finally {
            stripe.unlock();
        }
    }

    /**
     * @return whether the mirrors and replays of this row copier (and a {@code CutoverDataSource} over it)
     *     log failures and quote SQL with the row values in them; see {@link Builder#logValues}
     */
    public boolean logValues() {
        return logValues;
    }

    /** @return when writes' copies are made, see {@link Builder#mirrorMode} */
    public MirrorMode mirrorMode() {
        return mirrorMode;
    }

    /** @return how many keys this row copier keeps pending in the asynchronous mode, see {@link Builder#asyncBacklog} */
    public int asyncBacklog() {
        return asyncBacklog;
    }

    /** @return how many keys one asynchronous copy takes at most, see {@link Builder#asyncBatchSize} */
    public int asyncBatchSize() {
        return asyncBatchSize;
    }

    /** @return how long the asynchronous copier lets a batch gather, see {@link Builder#asyncGatherDelay} */
    public Duration asyncGatherDelay() {
        return asyncGatherDelay;
    }

    /** @return the asynchronous copier shared by the repositories of this row copier; null in {@link MirrorMode#SYNC} */
    AsyncMirror asyncMirror() {
        return asyncMirror;
    }

    /**
     * Stops the asynchronous copier ({@link MirrorMode#ASYNC}): it copies every key still pending,
     * queueing in the retry-queue those it cannot copy, and its threads end before this returns.
     * Writes through its repositories from then on are mirrored inside the call, as in
     * {@link MirrorMode#SYNC}. Call it before closing the retry-queue and the flags, which the
     * pending copies still use. Does nothing in {@link MirrorMode#SYNC}; idempotent. One-key copies
     * ({@link #copy(String, String)}) keep working.
     */
    @Override
    public void close() {
        if (asyncMirror != null) {
            asyncMirror.close();
        }
    }

    /** @return the time one call's mirror may take inside the call, see {@link Builder#copyBudget} */
    public Duration copyBudget() {
        return copyBudget;
    }

    private void copy(TableMapping mapping, List<Object> sourceKey, Side from, Connection callersSending,
            CopyBudget budget, java.util.function.BooleanSupplier inWindow) throws SQLException {
        Side to = from.other();
        List<Object> fromKey = from == Side.SOURCE ? sourceKey : mapping.convertKey(Side.SOURCE, sourceKey);
        List<Object> toKey = mapping.convertKey(from, fromKey);
        Dialect toDialect = dialect(to, budget);
        Dialect fromDialect = dialect(from, budget);
        List<String> fromColumns = mapping.columnNames(from);
        List<String> fromKeys = mapping.keyColumnNames(from);
        List<String> toColumns = mapping.columnNames(to);
        List<String> toKeys = mapping.keyColumnNames(to);
        String select = RowSql.selectForUpdate(table(mapping, from), fromColumns, fromKeys);
        String upsert = upserts.computeIfAbsent(mapping.entity() + '\0' + to,
                k -> RowSql.upsert(toDialect, table(mapping, to), toColumns, toKeys));
        String delete = RowSql.deleteByKey(table(mapping, to), toKeys);
        // Both connections are had before the row is locked, so an unreachable receiving side fails
        // the copy without making the sending side's writers wait for the lock.
        try (Borrowed sendingBorrowed = callersSending == null ? borrow(from, budget) : Borrowed.callers(callersSending);
                Borrowed receivingBorrowed = borrow(to, budget)) {
            Connection sending = sendingBorrowed.connection;
            Connection receiving = receivingBorrowed.connection;
            boolean sendingAutoCommit = sending.getAutoCommit();
            boolean receivingAutoCommit = receiving.getAutoCommit();
            sendingBorrowed.limit(budget, "switching off auto-commit");
            sending.setAutoCommit(false);
            receivingBorrowed.limit(budget, "switching off auto-commit");
            receiving.setAutoCommit(false);
            try {
                for (int attempt = 1; attempt <= MAX_ABSENT_RECHECKS; attempt++) {
                    sendingBorrowed.limit(budget, "the locking read");
                    List<Object> row = readLocked(sendingBorrowed, fromDialect, select, fromKey, fromColumns.size(), budget);
                    if (row != null) {
                        receivingBorrowed.limit(budget, "the key's lock and the upsert");
                        List<Object> converted = mapping.convertRow(from, row);
                        if (guardedWrite(mapping, to, toDialect, receiving)) {
                            writeGuarded(receiving, receivingBorrowed.queryTimeoutSeconds(budget, timeoutSeconds),
                                    table(mapping, to), toColumns, toKeys, converted, toKey);
                        } else {
                            lockReceivingKeysAndExecute(receivingBorrowed, toDialect, table(mapping, to), List.of(toKey),
                                    upsert, converted, budget);
                        }
                    } else {
                        receivingBorrowed.limit(budget, "the key's lock and the delete");
                        lockReceivingKeysAndExecute(receivingBorrowed, toDialect, table(mapping, to), List.of(toKey),
                                delete, toKey, budget);
                        // The re-read takes no lock: another instance's copy of a re-insert may hold this
                        // very source row while it waits for the key lock the delete holds here, and a
                        // locking read would wait for it in turn, across two databases whose deadlock
                        // detectors each see half of it (both copies then hung until their budgets ran
                        // out). A row it sees sends the copy round again without the receiving side's
                        // locks; one committed after it has its copy wait for the delete's key lock.
                        sendingBorrowed.limit(budget, "the re-read");
                        if (exists(sendingBorrowed, RowSql.selectKey(table(mapping, from), fromKeys), fromKey, budget)) {
                            receiving.rollback();
                            LOG.debug("A row of {} appeared while its absence was being copied; copying again",
                                    mapping.entity());
                            continue;
                        }
                    }
                    if (inWindow != null && !inWindow.getAsBoolean()) {
                        throw new CopyWindowClosedException(mapping.entity() + " was not written on the "
                                + to.name().toLowerCase(java.util.Locale.ROOT) + " before the copy window of its primary"
                                + " closed (the primary may have moved); the copy was rolled back");
                    }
                    receivingBorrowed.limit(budget, "the commit");
                    receiving.commit();
                    sendingBorrowed.limitAfterCopy(budget);
                    endLockOnly(sending, fromDialect);
                    return;
                }
                throw new SQLException("Rows of " + mapping.entity() + " kept appearing and disappearing while being copied ("
                        + MAX_ABSENT_RECHECKS + " attempts); the key stays queued");
            } catch (SQLException | RuntimeException e) {
                abandon(e, sendingBorrowed, receivingBorrowed, fromDialect, budget);
                throw e;
            } finally {
                restoreAfterCopy(sendingBorrowed, sendingAutoCommit, receivingBorrowed, receivingAutoCommit, budget);
            }
        }
    }

    /**
     * Copies several present keys of one entity in one pair of transactions: one locking read of
     * all their rows on the sending side ({@code ... FOR UPDATE SKIP LOCKED}, in key order), one
     * multi-row upsert on the receiving side, its commit, then the end of the sending transaction,
     * which releases the locks. Like {@link #copy(String, String)}, each copied row is written while its sending
     * row is locked, so copies of a key still land in the sending side's commit order. A row that is
     * locked by another transaction is skipped, not waited for: waiting while holding other rows'
     * locks could deadlock with an application transaction that locks the same rows in another
     * order. Skipped and absent keys (which need the delete-and-recheck protocol of {@link #copy(String, String)}),
     * and every key of a side whose writes are guarded ({@link #guardedWrite}) or whose database
     * cannot skip locked rows (H2), are returned for one-key copies.
     *
     * @param keys routing keys of the entity, in the source's terms, distinct
     * @param callersSending the application's connection on the sending side, outside any
     *     transaction, to read and lock the rows on instead of borrowing one; or null
     * @param inWindow whether the copy window is still open, asked before the receiving commit; null for none
     * @return the keys this call did not copy
     * @throws CopyWindowClosedException if {@code inWindow} said no; nothing was committed
     * @throws SQLException if either side fails; nothing of the batch was committed on the receiving side
     */
    List<String> copyBatch(String entity, List<String> keys, Side from, Connection callersSending, CopyBudget budget,
            java.util.function.BooleanSupplier inWindow) throws SQLException {
        TableMapping mapping = mapping(entity);
        Side to = from.other();
        Dialect fromDialect = dialect(from, budget);
        Dialect toDialect = dialect(to, budget);
        if (keys.size() < 2 || fromDialect == Dialect.H2) {
            return keys;
        }
        List<String> fromColumns = mapping.columnNames(from);
        List<String> fromKeys = mapping.keyColumnNames(from);
        List<String> toColumns = mapping.columnNames(to);
        List<String> toKeys = mapping.keyColumnNames(to);
        List<List<Object>> fromKeyValues = new java.util.ArrayList<>(keys.size());
        for (String key : keys) {
            List<Object> sourceKey = mapping.keyValues(key);
            fromKeyValues.add(from == Side.SOURCE ? sourceKey : mapping.convertKey(Side.SOURCE, sourceKey));
        }
        int[] keyPositions = fromKeys.stream().mapToInt(fromColumns::indexOf).toArray();
        try (Borrowed sendingBorrowed = callersSending == null ? borrow(from, budget) : Borrowed.callers(callersSending);
                Borrowed receivingBorrowed = borrow(to, budget)) {
            Connection sending = sendingBorrowed.connection;
            Connection receiving = receivingBorrowed.connection;
            if (guardedWrite(mapping, to, toDialect, receiving)) {
                return keys;
            }
            boolean sendingAutoCommit = sending.getAutoCommit();
            boolean receivingAutoCommit = receiving.getAutoCommit();
            sendingBorrowed.limit(budget, "switching off auto-commit");
            sending.setAutoCommit(false);
            receivingBorrowed.limit(budget, "switching off auto-commit");
            receiving.setAutoCommit(false);
            try {
                sendingBorrowed.limit(budget, "the locking read of a batch");
                List<List<Object>> rows = new java.util.ArrayList<>();
                try (PreparedStatement statement = sending.prepareStatement(RowSql.selectForUpdateSkipLocked(
                        table(mapping, from), fromColumns, fromKeys, keys.size()))) {
                    statement.setQueryTimeout(sendingBorrowed.queryTimeoutSeconds(budget, timeoutSeconds));
                    List<Object> values = new java.util.ArrayList<>();
                    fromKeyValues.forEach(values::addAll);
                    bind(statement, values);
                    try (ResultSet rs = statement.executeQuery()) {
                        ColumnValues reader = null;
                        while (rs.next()) {
                            if (reader == null) {
                                reader = ColumnValues.of(rs.getMetaData(), fromColumns.size(), fromDialect);
                            }
                            rows.add(reader.row(rs));
                        }
                    }
                }
                // Rows matched to keys through one map: matching each row against every key, with two
                // decimal parses per comparison, was most of the copier's CPU on batches of 100 keys.
                Map<List<Object>, Integer> keyIndex = new java.util.HashMap<>();
                for (int i = 0; i < fromKeyValues.size(); i++) {
                    keyIndex.putIfAbsent(matchable(fromKeyValues.get(i)), i);
                }
                java.util.Set<Integer> copied = new java.util.HashSet<>();
                for (List<Object> row : rows) {
                    List<Object> rowKey = new java.util.ArrayList<>(keyPositions.length);
                    for (int position : keyPositions) {
                        rowKey.add(row.get(position));
                    }
                    Integer index = keyIndex.get(matchable(rowKey));
                    if (index != null) {
                        copied.add(index);
                    }
                }
                if (copied.size() != rows.size()) {
                    throw new SQLException("A batch read of " + entity + " returned rows that match none of its "
                            + keys.size() + " keys; the keys are copied one by one");
                }
                if (!rows.isEmpty()) {
                    List<Object> values = new java.util.ArrayList<>();
                    List<List<Object>> copiedToKeys = new java.util.ArrayList<>();
                    for (List<Object> row : rows) {
                        values.addAll(mapping.convertRow(from, row));
                    }
                    for (int i : copied) {
                        copiedToKeys.add(mapping.convertKey(from, fromKeyValues.get(i)));
                    }
                    receivingBorrowed.limit(budget, "the keys' locks and the upsert of a batch");
                    lockReceivingKeysAndExecute(receivingBorrowed, toDialect, table(mapping, to), copiedToKeys,
                            RowSql.upsertRows(toDialect, table(mapping, to), toColumns, toKeys, rows.size()), values,
                            budget);
                    if (inWindow != null && !inWindow.getAsBoolean()) {
                        throw new CopyWindowClosedException("A batch of " + entity + " was not written on the "
                                + to.name().toLowerCase(java.util.Locale.ROOT) + " before the copy window of its primary"
                                + " closed (the primary may have moved); the copy was rolled back");
                    }
                    receivingBorrowed.limit(budget, "the commit of a batch");
                    receiving.commit();
                }
                sendingBorrowed.limitAfterCopy(budget);
                endLockOnly(sending, fromDialect);
                List<String> rest = new java.util.ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    if (!copied.contains(i)) {
                        rest.add(keys.get(i));
                    }
                }
                return rest;
            } catch (SQLException | RuntimeException e) {
                abandon(e, sendingBorrowed, receivingBorrowed, fromDialect, budget);
                throw e;
            } finally {
                restoreAfterCopy(sendingBorrowed, sendingAutoCommit, receivingBorrowed, receivingAutoCommit, budget);
            }
        }
    }

    /**
     * Runs a copy's write on the receiving side, on PostgreSQL after the key's and its table's
     * advisory locks, in the same round trip: see {@link ReceivingLocks#lockAndExecute}.
     *
     * @param toKeys the keys in the receiving side's terms
     * @param write the upsert or delete
     * @param values its parameters
     */
    private void lockReceivingKeysAndExecute(Borrowed receiving, Dialect dialect, String table,
            List<List<Object>> toKeys, String write, List<Object> values, CopyBudget budget) throws SQLException {
        ReceivingLocks.lockAndExecute(receiving.connection, receiving.queryTimeoutSeconds(budget, timeoutSeconds),
                dialect, table, toKeys, write, values);
    }

    /**
     * Waits, on a side about to become the primary, until every copy transaction and {@link Backfill}
     * chunk into the tables of this row copier that had begun writing there has ended, committed or rolled
     * back (PostgreSQL; elsewhere it returns at once). A copy or chunk of the old primary's epoch checks
     * its copy window after its receiving statement and before its commit, and one whose client gave
     * up may still commit later (see {@link ReceivingLocks}): on PostgreSQL the new primary's
     * statements pass over its uncommitted insert, which would then commit after them. Copies and
     * chunks that begin there after this returns are past every old copy window, so they roll back.
     *
     * <p>It tries each table's lock without queueing for it: a queued exclusive request would hold up
     * every copy that asks for the shared lock after it, and one whose client gave up stays queued on
     * the server (PostgreSQL does not notice a closed connection while a backend waits for a lock).
     *
     * @param side the new primary
     * @param connection a connection to it, in auto-commit; used in one short transaction
     * @param wait how long to keep trying
     * @throws SQLException if a copy was still open there after {@code wait}, or the side failed
     */
    void awaitCopiesInto(Side side, Connection connection, Duration wait) throws SQLException {
        if (dialect(side) != Dialect.POSTGRESQL) {
            return;
        }
        int[] ids = mappings.values().stream().mapToInt(mapping -> ReceivingLocks.tableLockId(table(mapping, side)))
                .distinct().sorted().toArray();
        long deadline = System.nanoTime() + wait.toNanos();
        connection.setAutoCommit(false);
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?, ?)")) {
            for (int id : ids) {
                statement.setInt(1, ReceivingLocks.TABLE_LOCK_CLASS);
                statement.setInt(2, id);
                while (!tryLock(statement)) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new SQLTransientException("a copy into " + side.name().toLowerCase(java.util.Locale.ROOT)
                                + " that began before the move was still open there after " + wait.toMillis() + " ms");
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SQLTransientException("Interrupted while waiting for copies to end", e);
                    }
                }
            }
            // Holding the locks any longer would only hold up the copies of the old direction's queue entries.
            connection.rollback();
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private static boolean tryLock(PreparedStatement statement) throws SQLException {
        try (ResultSet rs = statement.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** A number of a key, by value: {@code 7}, {@code 7L} and {@code 7.00} are equal, and none equals the text "7". */
    private record NumberValue(String canonical) {
    }

    /** A key's values as a batch read matches them to its rows: numbers by value, other values as they are. */
    private static List<Object> matchable(List<Object> key) {
        List<Object> values = new java.util.ArrayList<>(key.size());
        for (Object value : key) {
            values.add(value instanceof Number number ? new NumberValue(ReceivingLocks.canonicalNumber(number)) : value);
        }
        return values;
    }

    /**
     * Whether the table of an entity on a side has a unique index besides its key's, on MariaDB or
     * MySQL: then {@link #writeGuarded} writes it instead of {@code ON DUPLICATE KEY UPDATE}. Looked
     * up once per entity and side, from the driver's index metadata.
     */
    boolean guardedWrite(TableMapping mapping, Side side, Dialect dialect, Connection connection)
            throws SQLException {
        if (dialect != Dialect.MARIADB && dialect != Dialect.MYSQL) {
            return false;
        }
        String cacheKey = mapping.entity() + '\0' + side;
        Boolean known = guardedWrites.get(cacheKey);
        if (known != null) {
            return known;
        }
        String table = table(mapping, side);
        int dot = table.lastIndexOf('.');
        String catalog = dot < 0 ? connection.getCatalog() : table.substring(0, dot);
        String bare = table.substring(dot + 1);
        Set<String> keys = new java.util.HashSet<>();
        mapping.keyColumnNames(side).forEach(k -> keys.add(k.toLowerCase(java.util.Locale.ROOT)));
        Map<String, Set<String>> uniqueIndexes = new LinkedHashMap<>();
        try (ResultSet rs = connection.getMetaData().getIndexInfo(catalog, null, bare, true, true)) {
            while (rs.next()) {
                String index = rs.getString("INDEX_NAME");
                String column = rs.getString("COLUMN_NAME");
                if (index != null && column != null && !rs.getBoolean("NON_UNIQUE")) {
                    uniqueIndexes.computeIfAbsent(index, i -> new java.util.HashSet<>())
                            .add(column.toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        boolean guarded = uniqueIndexes.values().stream().anyMatch(columns -> !columns.equals(keys));
        if (guarded) {
            LOG.info("Table {} has a unique index besides its key's: copies of {} write it with a locked read, then"
                    + " an update by key or a plain insert, so that a collision on that index fails the copy instead of"
                    + " overwriting another row", table, mapping.entity());
        }
        guardedWrites.put(cacheKey, guarded);
        return guarded;
    }

    /**
     * Writes a row by key without {@code ON DUPLICATE KEY UPDATE}: reads the key's row with a lock,
     * then updates it by key, or inserts it with a plain insert, which fails (and the copy with it,
     * leaving the key queued) when another row holds one of its unique values.
     */
    static void writeGuarded(Connection receiving, int queryTimeoutSeconds, String table, List<String> columns,
            List<String> keyColumns, List<Object> row, List<Object> key) throws SQLException {
        boolean exists;
        try (PreparedStatement statement = receiving.prepareStatement(RowSql.selectForUpdate(table, keyColumns, keyColumns))) {
            statement.setQueryTimeout(queryTimeoutSeconds);
            bind(statement, key);
            try (ResultSet rs = statement.executeQuery()) {
                exists = rs.next();
            }
        }
        List<String> valueColumns = new java.util.ArrayList<>();
        List<Object> values = new java.util.ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (!keyColumns.contains(columns.get(i))) {
                valueColumns.add(columns.get(i));
                values.add(row.get(i));
            }
        }
        String sql;
        if (!exists) {
            sql = RowSql.insert(table, columns);
            values = row;
        } else if (valueColumns.isEmpty()) {
            return;
        } else {
            sql = RowSql.updateByKey(table, valueColumns, keyColumns);
            values.addAll(key);
        }
        try (PreparedStatement statement = receiving.prepareStatement(sql)) {
            statement.setQueryTimeout(queryTimeoutSeconds);
            bind(statement, values);
            statement.executeUpdate();
            // Only MariaDB and MySQL targets are written this way.
            ReceivingLocks.refuseChangedValues(statement, table);
        }
    }

    /** A copy whose receiving side was written too late for its primary epoch; nothing of it committed. */
    static final class CopyWindowClosedException extends SQLException {
        private static final long serialVersionUID = 1L;

        CopyWindowClosedException(String message) {
            super(message, "40001");
        }
    }


    /**
     * Borrows a connection within the budget. The pool's own wait ({@code connectionTimeout}, 30 s in
     * HikariCP) and its validation of an idle connection (up to 5 s on a stalled one) run on a helper
     * thread; a connection that arrives after the caller gave up is returned to the pool at once.
     */
    private Borrowed borrow(Side side, CopyBudget budget) throws SQLException {
        DataSource dataSource = dataSource(side);
        Connection connection = budget.callWithinCopyTime("borrowing a " + side.name().toLowerCase(java.util.Locale.ROOT)
                + " connection", dataSource::getConnection, CopyBudget::closeLate);
        Borrowed borrowed;
        try {
            Dialect dialect = dialects.get(side);
            if (dialect == null) {
                dialect = Dialect.detect(connection);
                dialects.put(side, dialect);
            }
            borrowed = Borrowed.own(connection, timeoutSeconds * 1000L, dialect != Dialect.H2);
            borrowed.limit(budget, "the first statement");
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        return borrowed;
    }

    /**
     * A connection of a copy: borrowed by Cutover (its network timeout follows the budget and is put
     * back before it is returned) or the caller's own (its network timeout is the application's and
     * stays untouched; the copy's statements still carry query timeouts within the budget).
     */
    private static final class Borrowed implements AutoCloseable {
        final Connection connection;
        private final boolean own;
        private final int previousNetworkTimeout;
        private final long statementTimeoutMillis;
        /** The network timeout the last {@link #limit} set. */
        private int networkTimeoutMillis;

        private Borrowed(Connection connection, boolean own, int previousNetworkTimeout, long statementTimeoutMillis) {
            this.statementTimeoutMillis = statementTimeoutMillis;
            this.connection = connection;
            this.own = own;
            this.previousNetworkTimeout = previousNetworkTimeout;
        }

        static Borrowed callers(Connection connection) {
            return new Borrowed(connection, false, -1, 0);
        }

        /**
         * @param networked false for an embedded database (H2), whose driver accepts a network
         *     timeout but has no network to apply it to: its statements are bounded by query
         *     timeouts within the budget instead
         */
        static Borrowed own(Connection connection, long statementTimeoutMillis, boolean networked) throws SQLException {
            int previous = -1;
            try {
                if (networked) {
                    previous = connection.getNetworkTimeout();
                }
            } catch (SQLFeatureNotSupportedException e) {
                previous = -1;
            }
            return new Borrowed(connection, true, previous, statementTimeoutMillis);
        }

        /**
         * Bounds the next step's network reads by what is left of the copy share, and by the
         * statement timeout: on a connection Cutover borrowed, this network timeout is what bounds
         * a statement.
         */
        void limit(CopyBudget budget, String what) throws SQLException {
            if (boundedByNetwork()) {
                networkTimeoutMillis = budget.limitNetwork(connection, what, statementTimeoutMillis);
            }
        }

        /**
         * The query timeout of the next statement. On a connection whose network timeout Cutover
         * sets, it is a second longer than that network timeout, so that it never fires first: a
         * fired query timeout sends the driver's cancel request over a new connection, which a
         * stalled network holds back, and the statement's thread then waits for that request
         * (pgjdbc: seconds) after its own network timeout. On the caller's connection it is what is
         * left of the copy share, rounded up to whole seconds.
         */
        int queryTimeoutSeconds(CopyBudget budget, int cap) throws SQLException {
            if (boundedByNetwork()) {
                return (int) Math.min(Integer.MAX_VALUE, networkTimeoutMillis / 1000L + 2);
            }
            return budget.queryTimeoutSeconds(cap);
        }

        private boolean boundedByNetwork() {
            return own && previousNetworkTimeout >= 0;
        }

        /**
         * Bounds the clean-up after the copy (rollback, auto-commit) by what is left of the whole
         * budget, but gives it at least a moment, so that a healthy connection is not broken by a
         * budget just used up.
         */
        void limitAfterCopy(CopyBudget budget) {
            if (boundedByNetwork()) {
                try {
                    connection.setNetworkTimeout(Runnable::run, (int) Math.max(CLEANUP_FLOOR_MILLIS, budget.millisLeft()));
                } catch (SQLException e) {
                    LOG.debug("Could not bound the clean-up of a copy's connection: {}", e.getMessage());
                }
            }
        }

        @Override
        public void close() throws SQLException {
            if (!own) {
                return;
            }
            if (boundedByNetwork()) {
                try {
                    if (!connection.isClosed()) {
                        connection.setNetworkTimeout(Runnable::run, previousNetworkTimeout);
                    }
                } catch (SQLException e) {
                    LOG.debug("Could not restore the network timeout of a copy's connection: {}", e.getMessage());
                }
            }
            connection.close();
        }
    }

    /**
     * Reads the key's row under a lock. Dates, times and timestamps are read as {@code java.time}
     * values with the stored fields ({@link ColumnValues}): through {@code java.sql.Timestamp} a
     * wall time in the JVM zone's daylight-saving gap would be copied an hour later.
     */
    private List<Object> readLocked(Borrowed connection, Dialect dialect, String select, List<Object> keyValues,
            int width, CopyBudget budget) throws SQLException {
        try (PreparedStatement statement = connection.connection.prepareStatement(select)) {
            statement.setQueryTimeout(connection.queryTimeoutSeconds(budget, timeoutSeconds));
            bind(statement, keyValues);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return ColumnValues.of(rs.getMetaData(), width, dialect).row(rs);
            }
        }
    }

    /** Reads whether the key's row exists, without a lock; see the absent case of the copy. */
    private boolean exists(Borrowed connection, String select, List<Object> keyValues, CopyBudget budget)
            throws SQLException {
        try (PreparedStatement statement = connection.connection.prepareStatement(select)) {
            statement.setQueryTimeout(connection.queryTimeoutSeconds(budget, timeoutSeconds));
            bind(statement, keyValues);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void bind(PreparedStatement statement, List<Object> values) throws SQLException {
        ColumnValues.bind(statement, values);
    }

    private static String table(TableMapping mapping, Side side) {
        return side == Side.SOURCE ? mapping.sourceTable() : mapping.targetTable();
    }

    DataSource dataSource(Side side) {
        return side == Side.SOURCE ? source : target;
    }

    /** The side's dialect, detected on first use within a copy budget of its own. */
    Dialect dialect(Side side) throws SQLException {
        return dialect(side, CopyBudget.start(copyBudget));
    }

    private Dialect dialect(Side side, CopyBudget budget) throws SQLException {
        Dialect known = dialects.get(side);
        if (known != null) {
            return known;
        }
        try (Borrowed borrowed = borrow(side, budget)) {
            return dialects.get(side);
        }
    }

    /**
     * Ends the sending side's transaction, which only locked rows, releasing the locks. Both ways of
     * ending it leave the data as it was, so each dialect gets the cheaper safe one: a rollback skips
     * the commit's wait for a log flush (PostgreSQL logs a row lock and flushes it at commit, which
     * was a third of a copy's time). H2 (2.3.232 to at least 2.5.252) commits instead: when a locking
     * read meets a row that another transaction deleted and committed in the meantime, H2 logs the
     * missing row as the lock's undo record, and a rollback then deletes whatever row of that key
     * is there, also one a third transaction inserted and committed after the delete: an
     * acknowledged insert on the sending side would vanish, and its copy with it. A commit does not
     * replay undo records.
     */
    static void endLockOnly(Connection sending, Dialect dialect) throws SQLException {
        if (dialect == Dialect.H2) {
            sending.commit();
        } else {
            sending.rollback();
        }
    }

    /**
     * Undoes a copy that failed before it committed: the receiving side rolled back, the sending
     * side's row lock ended, each within what is left of the budget; what fails on the way is added
     * to the failure, which the caller throws.
     */
    private static void abandon(Exception failure, Borrowed sendingBorrowed, Borrowed receivingBorrowed,
            Dialect fromDialect, CopyBudget budget) {
        receivingBorrowed.limitAfterCopy(budget);
        rollbackQuietly(receivingBorrowed.connection, failure);
        sendingBorrowed.limitAfterCopy(budget);
        try {
            endLockOnly(sendingBorrowed.connection, fromDialect);
        } catch (SQLException end) {
            failure.addSuppressed(end);
        }
    }

    /**
     * Gives both connections back their auto-commit, bounded like every other step: a committed copy
     * on a stalled connection once spent six seconds here. A restore that times out breaks the
     * connection, which the pool then discards; the copy itself stands.
     */
    private static void restoreAfterCopy(Borrowed sendingBorrowed, boolean sendingAutoCommit,
            Borrowed receivingBorrowed, boolean receivingAutoCommit, CopyBudget budget) {
        receivingBorrowed.limitAfterCopy(budget);
        restoreAutoCommit(receivingBorrowed.connection, receivingAutoCommit);
        sendingBorrowed.limitAfterCopy(budget);
        restoreAutoCommit(sendingBorrowed.connection, sendingAutoCommit);
    }

    private static void rollbackQuietly(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static void restoreAutoCommit(Connection connection, boolean autoCommit) {
        try {
            connection.setAutoCommit(autoCommit);
        } catch (SQLException e) {
            LOG.debug("Could not restore auto-commit on a connection that failed: {}", e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "RowCopier" + mappings.keySet();
    }

    /** Builds a {@link RowCopier}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final DataSource source;
        private final DataSource target;
        private final Map<String, TableMapping> mappings = new LinkedHashMap<>();
        private final Map<Side, Dialect> dialects = new LinkedHashMap<>();
        private Duration statementTimeout = Duration.ofSeconds(5);
        private Duration copyBudget;
        private boolean logValues;
        private MirrorMode mirrorMode = MirrorMode.SYNC;
        private int asyncBacklog = 1_000;
        private int asyncBatchSize = 100;
        private Duration asyncGatherDelay = Duration.ofMillis(2);

        private Builder(DataSource source, DataSource target) {
            this.source = Objects.requireNonNull(source, "null source");
            this.target = Objects.requireNonNull(target, "null target");
        }

        /**
         * Adds an entity's mapping.
         *
         * @param mapping the mapping
         * @return this builder
         * @throws CutoverConfigurationException if an entity of that name is already mapped
         */
        public Builder mapping(TableMapping mapping) {
            Mappings.addOnce(mappings, mapping);
            return this;
        }

        /**
         * Sets the longest query timeout of a statement of a copy, which also bounds how long a copy
         * waits for a row lock; within a copy's budget ({@link #copyBudget}) the statement gets the
         * smaller of this and what is left of the budget.
         *
         * @param timeout 1 second to 10 minutes, rounded up to whole seconds; default 5 seconds
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder statementTimeout(Duration timeout) {
            this.statementTimeout = Checks.between("statementTimeout", timeout, Duration.ofSeconds(1), Duration.ofMinutes(10));
            return this;
        }

        /**
         * Sets the copy budget: the longest time the mirror of one write call (for
         * {@link #copy(String, String)}, of one copy) may take inside that call. Everything the mirror does there
         * draws on it: borrowing and validating connections from the pools (which would otherwise
         * wait up to the pool's own {@code connectionTimeout}, 30 s in HikariCP), the copy's
         * statements and lock waits, its commit, restoring the connections, the retry-queue's
         * pending check and the enqueue. A copy that does not finish within all of it but the last
         * second (the last half, for budgets under 2 s) fails, counts as a failed copy for the mirror
         * circuit breaker, and its key is queued in that last part; a borrow still waiting then completes in the background and its connection is
         * returned to the pool at once. So a write call, however many keys it wrote, waits at most
         * about this long for its mirror, whatever state the other side is in.
         *
         * @param budget 100 ms to 10 minutes; default the statement timeout (5 s)
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder copyBudget(Duration budget) {
            this.copyBudget = Checks.between("copyBudget", budget, Duration.ofMillis(100), Duration.ofMinutes(10));
            return this;
        }

        /**
         * Whether the failures of copies made with this row copier are logged with the drivers' whole
         * messages, and the SQL that a {@code CutoverDataSource} over it quotes in its messages
         * (refused statements, read operations) keeps its literals. By default they keep exception
         * classes, SQL states, table, column and constraint names and keys, and row values become
         * {@code ?}: migrations move customer data, and logs are read by many.
         *
         * @param logValues true only for debugging on data that is not personal; default false
         * @return this builder
         */
        public Builder logValues(boolean logValues) {
            this.logValues = logValues;
            return this;
        }

        /**
         * Sets when the repositories of this migration copy a write to the other side.
         * {@link MirrorMode#SYNC} (the default) copies inside the call, so the other side has the
         * row when the call returns. {@link MirrorMode#ASYNC} returns after the primary write and
         * copies off the caller's thread, in commit order, coalescing keys written again meanwhile
         * and batching many keys per copy, on one copier thread of this row copier; reads of a key
         * still pending in the migration, through any of its repositories on this row copier, are
         * served by the primary. A key pending when the primary moves is queued in the retry-queue
         * before the move's copy window closes, so the handover waits for it. {@link RowCopier#close()}
         * copies the pending keys and stops the thread. Only the repository style supports it: a
         * {@link CutoverDataSource} over this row copier refuses to build.
         *
         * @param mode the mode; default {@link MirrorMode#SYNC}
         * @return this builder
         */
        public Builder mirrorMode(MirrorMode mode) {
            this.mirrorMode = Objects.requireNonNull(mode, "null mode");
            return this;
        }

        /**
         * Sets how many keys this row copier in {@link MirrorMode#ASYNC} keeps waiting for their copy
         * in memory. A write whose key would pass it queues the key in the retry-queue inside the call
         * instead (never drops it), which costs that call one enqueue. It also bounds the flush to the
         * retry-queue when the primary moves, which must finish within the handover's copy window.
         *
         * @param keys 1 to 100,000; default 1,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder asyncBacklog(int keys) {
            this.asyncBacklog = Checks.between("asyncBacklog", keys, 1, 100_000);
            return this;
        }

        /**
         * Sets how many keys one asynchronous copy takes: they share one locking read and one
         * multi-row upsert per table (row by row on MariaDB and MySQL targets with unique indexes
         * besides the key's, and from H2).
         *
         * @param keys 1 to 1,000; default 100
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder asyncBatchSize(int keys) {
            this.asyncBatchSize = Checks.between("asyncBatchSize", keys, 1, 1_000);
            return this;
        }

        /**
         * Sets how long the asynchronous copier lets a batch gather after its oldest key was written,
         * unless the batch fills first ({@link #asyncBatchSize}). Longer gathering makes one copy carry
         * the keys of more writes, so the copier's locking reads, upserts and commits come less often
         * and disturb the callers' own writes less; it adds up to as much to the mirror lag. Pending
         * keys are read from the primary meanwhile, and a move of the primary queues them at once, so
         * it delays nothing but the copy. BENCHMARKS.md has the trade-off as measured on a 2-core
         * machine: with 10 ms, one caller's p50 and p99 fell a little and hot-row throughput rose,
         * while at 5,000 writes/s the lag's tail stalled more often.
         *
         * @param delay 0 (copy as soon as the copier is free) to 1 second; default 2 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder asyncGatherDelay(Duration delay) {
            this.asyncGatherDelay = Checks.between("asyncGatherDelay", delay, Duration.ZERO, Duration.ofSeconds(1));
            return this;
        }

        /**
         * Declares a side's dialect instead of detecting it on first use (detection borrows one connection).
         *
         * @param side the side
         * @param dialect its dialect
         * @return this builder
         */
        public Builder dialect(Side side, Dialect dialect) {
            dialects.put(Objects.requireNonNull(side, "null side"), Objects.requireNonNull(dialect, "null dialect"));
            return this;
        }

        /**
         * Builds the row copier; it touches neither database until used.
         *
         * @return the row copier
         * @throws CutoverConfigurationException if no mapping was added
         */
        public RowCopier build() {
            if (mappings.isEmpty()) {
                throw new CutoverConfigurationException("RowCopier needs at least one mapping: call mapping(TableMapping)");
            }
            return new RowCopier(this);
        }
    }
}
