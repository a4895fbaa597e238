package dev.cutover.queue.internal;

import dev.cutover.common.internal.AccessHooks;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * What the dual-write core asks of a {@link RetryQueue} beyond what applications use: whether keys
 * have entries (every mirrored write asks), whether the queue keeps its entries in a given pool, and
 * how many copies of one direction a primary move still waits for. The queue hands these over when
 * its class is initialised, so they stay off its public API; every method here takes a queue, whose
 * class is then initialised already.
 */
public final class QueueAccess {
    private static volatile Access access;

    private QueueAccess() {
    }

    /** The private side of {@link RetryQueue}, implemented by that class alone. */
    public interface Access {
        /**
         * @param queue the queue
         * @return its store
         */
        RetryStore store(RetryQueue queue);

        /**
         * @param queue the queue
         * @return its cache of which keys have entries
         */
        PendingKeys pending(RetryQueue queue);

        /**
         * @param queue the queue
         * @return the clock it schedules by (its config's)
         */
        Clock clock(RetryQueue queue);
    }

    /**
     * Called once, by {@link RetryQueue}'s static initialiser.
     *
     * @param queueAccess the queue's implementation
     * @throws IllegalStateException if called a second time or from elsewhere
     */
    public static void install(Access queueAccess) {
        access = AccessHooks.checkInstall(access, queueAccess, RetryQueue.class);
    }

    /**
     * Whether a key has entries in the queue (pending or parked), so that a new write of it must be
     * queued behind them instead of going to the target directly. Answers from a cache: an entry
     * enqueued through this instance is seen at once; one enqueued through another instance is seen
     * within {@link RetryQueueConfig#pendingCacheTtl()} (measured on the configured clock); a key
     * whose last entry was replayed by another instance may read as pending for up to that long,
     * which is the safe direction. While the migration has no entries at all, which is the usual
     * state, every key's answer comes from one cached check per migration and time-to-live; otherwise
     * a key's cache miss costs one indexed query.
     *
     * @param queue the queue
     * @param migration the migration
     * @param entity the table or DAO
     * @param key the routing key
     * @return true if the key has entries
     * @throws NullPointerException if an argument is null
     * @throws RuntimeException the store's exception, e.g. a {@code JdbiException}, if the answer
     *     is not cached and the store cannot be read; treat the key as pending then
     */
    public static boolean isPending(RetryQueue queue, String migration, String entity, String key) {
        return pending(queue).isPending(migration, entity, key);
    }

    /**
     * {@link #isPending(RetryQueue, String, String, String)}, reading the store (on a cache miss) on
     * the caller's connection instead of one of the store's own, for a caller that holds a connection
     * of the store's pool ({@link #storesIn}): while every connection of that pool is held by callers,
     * borrowing another would wait for the pool's timeout. The query runs in whatever transaction the
     * connection has open; the caller ends it.
     *
     * @param queue the queue
     * @param connection a connection to the database holding the queue table
     * @param migration the migration
     * @param entity the table or DAO
     * @param key the routing key
     * @return true if the key has entries
     * @throws SQLException if the answer is not cached and the query fails; treat the key as pending then
     * @throws IllegalStateException if the queue's store was not made by {@link RetryStore#jdbc}
     */
    public static boolean isPending(RetryQueue queue, Connection connection, String migration, String entity,
            String key) throws SQLException {
        if (!(store(queue) instanceof RetryEntryTable table)) {
            throw new IllegalStateException("Checking on the caller's connection needs the store of RetryStore.jdbc,"
                    + " but this queue uses " + store(queue).getClass().getSimpleName());
        }
        return pending(queue).isPending(table, connection, migration, entity, key);
    }

    /**
     * Which of a set of keys of one entity have entries in the queue: the batched
     * {@link #isPending(RetryQueue, String, String, String)}, with the same staleness bounds. Keys
     * whose answer is cached cost nothing; the others are asked of the store together, in one query
     * of a JDBC store, and none at all while the migration has no entries.
     *
     * @param queue the queue
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have entries
     * @throws NullPointerException if an argument is null
     * @throws RuntimeException the store's exception, if the store must be read and cannot be;
     *     treat every key as pending then
     */
    public static Set<String> pendingKeys(RetryQueue queue, String migration, String entity, Collection<String> keys) {
        return pending(queue).pendingKeys(migration, entity, keys);
    }

    /**
     * {@link #pendingKeys} from the queue's cache alone, for a caller that would rather not wait on
     * the store: known while the migration is cached as having no entries, or while every key's
     * answer is cached.
     *
     * @param queue the queue
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have entries, or empty if the answer needs the store
     * @throws NullPointerException if an argument is null
     */
    public static Optional<Set<String>> cachedPendingKeys(RetryQueue queue, String migration, String entity,
            Collection<String> keys) {
        return pending(queue).cachedPendingKeys(migration, entity, keys);
    }

    /**
     * Whether the queue keeps its entries through that very pool, so that a caller holding one of
     * its connections may enqueue and check on it ({@link RetryQueue#enqueue(Connection,
     * dev.cutover.queue.NewRetryEntry)}, {@link #isPending(RetryQueue, Connection, String, String, String)}).
     *
     * @param queue the queue
     * @param dataSource a pool
     * @return true if the store was made by {@link RetryStore#jdbc} over that same object
     */
    public static boolean storesIn(RetryQueue queue, DataSource dataSource) {
        return store(queue) instanceof RetryEntryTable table && table.dataSource() == dataSource;
    }

    /**
     * Counts a migration's entries of one operation in the queue's store, whatever their status; see
     * {@link RetryStore#countEntries}.
     *
     * @param queue the queue
     * @param migration the migration
     * @param operation the operation
     * @return the count
     */
    public static long countEntries(RetryQueue queue, String migration, String operation) {
        return RetryStores.countEntries(store(queue), Objects.requireNonNull(migration, "null migration"),
                Objects.requireNonNull(operation, "null operation"));
    }

    /**
     * Makes a migration's pending entries of one operation due now; see {@link RetryStore#makeDue}.
     *
     * @param queue the queue
     * @param migration the migration
     * @param operation the operation
     * @return how many entries were made due earlier
     */
    public static int makeDue(RetryQueue queue, String migration, String operation) {
        return RetryStores.makeDue(store(queue), Objects.requireNonNull(migration, "null migration"),
                Objects.requireNonNull(operation, "null operation"), clock(queue).instant());
    }

    /**
     * @param queue the queue
     * @return the clock it schedules by (its config's)
     */
    public static Clock clock(RetryQueue queue) {
        return access.clock(Objects.requireNonNull(queue, "null queue"));
    }

    private static RetryStore store(RetryQueue queue) {
        return access.store(Objects.requireNonNull(queue, "null queue"));
    }

    private static PendingKeys pending(RetryQueue queue) {
        return access.pending(Objects.requireNonNull(queue, "null queue"));
    }
}
