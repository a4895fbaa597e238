package dev.cutover.dualwrite;

import dev.cutover.common.Dialect;
import dev.cutover.common.internal.ColumnValues;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.dualwrite.internal.RowSql;
import dev.cutover.flags.Side;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
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
 * transaction ended (rolled back: it wrote nothing), which releases the lock. Writers of the key on
 * the sending side wait for the lock, so copies of one key reach the receiving side in the order of
 * the sending side's commits, and the last copy carries the latest committed row: increments,
 * deletes and re-inserts cannot leave the two sides different, whatever the interleaving of threads
 * and instances. When the sending side has no row, there is no row to lock; the copy then deletes
 * on the receiving side and reads the sending side once more, with a locking read, before
 * committing: if a row appeared in between, the delete is rolled back and the copy starts again
 * with the new row. A concurrent copy of the re-inserted row waits for that delete's row lock on
 * the receiving side, so it lands after it.
 *
 * <p>Every statement runs with a query timeout ({@link Builder#statementTimeout(Duration)}), which
 * also bounds lock waits: two copies of one key in opposite directions (possible for a moment
 * around a flip of the primary) cannot wait for each other forever; one fails and its caller queues
 * it. Every connection also gets a network timeout one second longer than the query timeout,
 * because a silently stalled network holds back the driver's cancel request too: without it the
 * writer whose call makes the copy would hang until the stall ended. Within one process copies of
 * a key are also serialised by a striped lock.
 *
 * <p>Needs on both tables a primary key or unique index on exactly the key columns. The sending
 * side's transaction writes nothing; its row stays locked while the receiving side is written, which
 * is what orders concurrent copies of a key. So a slow or stalled receiving side delays the sending
 * side's writers of that row, by at most the statement timeout plus one second per copy (6 s by
 * default), until the repository's mirror circuit breaker opens and new writes go to the queue
 * instead: keep the application's own statement timeouts above that, or lower
 * {@link Builder#statementTimeout}. One connection per side is borrowed per copy, before the row is
 * locked, and returned with auto-commit restored.
 *
 * <p>Thread-safe.
 */
public final class KeyResync {
    /** How many times a copy restarts when rows keep appearing for a key it found absent. */
    static final int MAX_ABSENT_RECHECKS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(KeyResync.class);
    private static final int LOCK_STRIPES = 256;

    private final DataSource source;
    private final DataSource target;
    private final Map<String, TableMapping> mappings;
    private final int timeoutSeconds;
    private final int networkTimeoutMillis;
    private final Map<Side, Dialect> dialects = new ConcurrentHashMap<>();
    private final Map<String, String> upserts = new ConcurrentHashMap<>();
    private final ReentrantLock[] stripes = new ReentrantLock[LOCK_STRIPES];

    private KeyResync(Builder b) {
        this.source = b.source;
        this.target = b.target;
        this.mappings = Collections.unmodifiableMap(new LinkedHashMap<>(b.mappings));
        this.timeoutSeconds = (int) Math.max(1, (b.statementTimeout.toMillis() + 999) / 1000);
        // Longer than the query timeout, so that a slow statement fails with the server's cancel;
        // only a stalled network reaches it.
        this.networkTimeoutMillis = (timeoutSeconds + 1) * 1000;
        b.dialects.forEach(dialects::put);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Starts a resync over two databases.
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
    public void resync(String entity, String key) throws SQLException {
        resync(entity, key, Side.SOURCE);
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
    public void resync(String entity, String key, Side from) throws SQLException {
        resync(entity, key, from, null);
    }

    /**
     * Copies a key as {@link #resync(String, String, Side)} does, but only if the receiving side is
     * written before a deadline (the copy window of a primary epoch, see
     * {@link dev.cutover.flags.WritePermit#deadlineNanos()}): {@code inWindow} is asked after the
     * receiving statement returned, when the receiving row is locked until the commit; if it says no,
     * the receiving side is rolled back and {@link CopyWindowClosedException} is thrown.
     *
     * @param inWindow whether the copy window is still open; null for none
     */
    void resync(String entity, String key, Side from, java.util.function.BooleanSupplier inWindow) throws SQLException {
        TableMapping mapping = mapping(entity);
        Objects.requireNonNull(from, "null from");
        List<Object> keyValues = mapping.keyValues(key);
        ReentrantLock stripe = stripes[Math.floorMod((entity + '\0' + key).hashCode(), LOCK_STRIPES)];
        try {
            if (!stripe.tryLock(4L * timeoutSeconds, TimeUnit.SECONDS)) {
                throw new SQLTimeoutException("Another copy of " + entity + "/" + key + " in this process did not finish in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTimeoutException("Interrupted while waiting to copy " + entity + "/" + key, e);
        }
        try {
            copy(mapping, keyValues, from, inWindow);
        } finally {
            stripe.unlock();
        }
    }

    private void copy(TableMapping mapping, List<Object> sourceKey, Side from, java.util.function.BooleanSupplier inWindow)
            throws SQLException {
        Side to = from.other();
        List<Object> fromKey = from == Side.SOURCE ? sourceKey : mapping.convertKey(Side.SOURCE, sourceKey);
        List<Object> toKey = mapping.convertKey(from, fromKey);
        Dialect toDialect = dialect(to);
        Dialect fromDialect = dialect(from);
        List<String> fromColumns = mapping.columnNames(from);
        List<String> fromKeys = mapping.keyColumnNames(from);
        List<String> toColumns = mapping.columnNames(to);
        List<String> toKeys = mapping.keyColumnNames(to);
        String select = RowSql.selectForUpdate(table(mapping, from), fromColumns, fromKeys);
        String upsert = upserts.computeIfAbsent(mapping.entity() + '\0' + to,
                k -> RowSql.upsert(toDialect, table(mapping, to), toColumns, toKeys));
        String delete = RowSql.deleteByKey(table(mapping, to), toKeys);
        // Both connections are borrowed before the row is locked, so an unreachable receiving side
        // fails the copy without making the sending side's writers wait for the lock.
        try (Connection sending = NetworkTimeouts.connect(dataSource(from), networkTimeoutMillis);
                Connection receiving = NetworkTimeouts.connect(dataSource(to), networkTimeoutMillis)) {
            boolean sendingAutoCommit = sending.getAutoCommit();
            boolean receivingAutoCommit = receiving.getAutoCommit();
            sending.setAutoCommit(false);
            receiving.setAutoCommit(false);
            try {
                for (int attempt = 1; attempt <= MAX_ABSENT_RECHECKS; attempt++) {
                    List<Object> row = readLocked(sending, fromDialect, select, fromKey, fromColumns.size());
                    if (row != null) {
                        execute(receiving, upsert, mapping.convertRow(from, row));
                    } else {
                        execute(receiving, delete, toKey);
                        if (readLocked(sending, fromDialect, select, fromKey, fromColumns.size()) != null) {
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
                    receiving.commit();
                    // The sending transaction only locked the row, so ending it either way releases the
                    // lock; a rollback does so without the commit's wait for a log flush (PostgreSQL
                    // logs a row lock and flushes it at commit), which was a third of a copy's time.
                    sending.rollback();
                    return;
                }
                throw new SQLException("Rows of " + mapping.entity() + " kept appearing and disappearing while being copied ("
                        + MAX_ABSENT_RECHECKS + " attempts); the key stays queued");
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(receiving, e);
                rollbackQuietly(sending, e);
                throw e;
            } finally {
                restoreAutoCommit(receiving, receivingAutoCommit);
                restoreAutoCommit(sending, sendingAutoCommit);
            }
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
     * Reads the key's row under a lock. Dates, times and timestamps are read as {@code java.time}
     * values with the stored fields ({@link ColumnValues}): through {@code java.sql.Timestamp} a
     * wall time in the JVM zone's daylight-saving gap would be copied an hour later.
     */
    private List<Object> readLocked(Connection connection, Dialect dialect, String select, List<Object> keyValues, int width)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(select)) {
            statement.setQueryTimeout(timeoutSeconds);
            bind(statement, keyValues);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return ColumnValues.of(rs.getMetaData(), width, dialect).row(rs);
            }
        }
    }

    private void execute(Connection connection, String sql, List<Object> values) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(timeoutSeconds);
            bind(statement, values);
            statement.executeUpdate();
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

    Dialect dialect(Side side) throws SQLException {
        Dialect known = dialects.get(side);
        if (known != null) {
            return known;
        }
        try (Connection connection = NetworkTimeouts.connect(dataSource(side), networkTimeoutMillis)) {
            Dialect detected = Dialect.detect(connection);
            dialects.put(side, detected);
            return detected;
        }
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
        return "KeyResync" + mappings.keySet();
    }

    /** Builds a {@link KeyResync}; not thread-safe. */
    public static final class Builder {
        private final DataSource source;
        private final DataSource target;
        private final Map<String, TableMapping> mappings = new LinkedHashMap<>();
        private final Map<Side, Dialect> dialects = new LinkedHashMap<>();
        private Duration statementTimeout = Duration.ofSeconds(5);

        private Builder(DataSource source, DataSource target) {
            this.source = Objects.requireNonNull(source, "null source");
            this.target = Objects.requireNonNull(target, "null target");
        }

        /**
         * Adds an entity's mapping.
         *
         * @param mapping the mapping
         * @return this builder
         * @throws IllegalArgumentException if an entity of that name is already mapped
         */
        public Builder mapping(TableMapping mapping) {
            Objects.requireNonNull(mapping, "null mapping");
            if (mappings.putIfAbsent(mapping.entity(), mapping) != null) {
                throw new IllegalArgumentException("Entity '" + mapping.entity() + "' is mapped twice");
            }
            return this;
        }

        /**
         * Sets the query timeout of every statement of a copy, which also bounds how long a copy
         * waits for a row lock, and, plus one second, the network timeout of its connections: how
         * long a stalled receiving side can keep the sending side's row locked.
         *
         * @param timeout 1 second to 10 minutes, rounded up to whole seconds; default 5 seconds
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder statementTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "null statementTimeout");
            if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("statementTimeout must be between 1 s and 10 min, but was " + timeout);
            }
            this.statementTimeout = timeout;
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
         * Builds the resync; it touches neither database until used.
         *
         * @return the resync
         * @throws IllegalStateException if no mapping was added
         */
        public KeyResync build() {
            if (mappings.isEmpty()) {
                throw new IllegalStateException("KeyResync needs at least one mapping: call mapping(TableMapping)");
            }
            return new KeyResync(this);
        }
    }
}
