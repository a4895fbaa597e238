package dev.cutover.queue;

import dev.cutover.queue.internal.Listeners;
import dev.cutover.queue.internal.PendingKeys;
import dev.cutover.queue.internal.QueueAccess;
import dev.cutover.queue.internal.ReplayWorkers;
import dev.cutover.queue.internal.RetryStores;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue of mirror writes that failed on the target, drained by worker threads that replay
 * them through a {@link ReplayHandler}.
 *
 * <p>Guarantees, across every instance draining one store: no entry is dropped (it is replayed,
 * or parked for an operator); the entries of one (migration, entity, key) are replayed one at a
 * time in sequence order, while different keys drain in parallel; a parked entry blocks its own key
 * only. Replays are at least once: a crash or an expired lease can deliver an entry again, so the
 * handler must be idempotent. Failed attempts back off exponentially with jitter and are parked
 * after {@link RetryQueueConfig#maxAttempts()}; a {@link NonRetryableReplayException}, a payload
 * that is not valid JSON or one the handler cannot deserialize parks the entry at once.
 *
 * <p>The workers claim only the entries of the migrations the handler declares
 * ({@link ReplayHandler#migrations()}); other migrations' entries stay pending for instances that
 * can replay them. An entry whose stored status or replay mode this version cannot read (a damaged
 * or hand-written row) is never claimed; the workers look for such entries when they start and then
 * every 10 poll intervals (at least a second apart), park them with a
 * reason that names the column and the fix, log each once at ERROR and count it in
 * {@code cutover.retry.queue.unreadable}. Like any parked entry it blocks its own key only.
 *
 * <p>Logs name entries by id and key, never by payload values, which may hold personal data.
 *
 * <p>Thread-safe: enqueue, the operator methods and {@link #drain} may be called from any thread
 * while the workers run.
 */
public final class RetryQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RetryQueue.class);

    static {
        // The dual-write core checks keys against the pending-key cache and counts the copies a
        // primary move waits for through QueueAccess; those calls stay off this class's public API.
        QueueAccess.install(new QueueAccess.Access() {
            @Override
            public RetryStore store(RetryQueue queue) {
                return queue.store;
            }

            @Override
            public PendingKeys pending(RetryQueue queue) {
                return queue.pending;
            }

            @Override
            public Clock clock(RetryQueue queue) {
                return queue.clock;
            }
        });
    }

    private final RetryStore store;
    private final RetryQueueConfig config;
    private final Clock clock;
    private final String owner;
    private final Listeners listeners = new Listeners();
    private final PendingKeys pending;
    private final ReplayWorkers workers;

    private RetryQueue(RetryStore store, ReplayHandler handler, RetryQueueConfig config) {
        this.store = store;
        if (Objects.requireNonNull(handler.migrations(), "handler.migrations() returned null")
                .filter(Set::isEmpty).isPresent()) {
            throw new IllegalArgumentException("The replay handler " + handler + " declares no migration it can replay;"
                    + " its migrations() must name at least one, or be empty for every migration");
        }
        this.config = config;
        this.clock = config.clock();
        this.owner = config.instanceId();
        this.pending = new PendingKeys(store, config);
        this.workers = new ReplayWorkers(store, handler, config, listeners, pending);
    }

    /**
     * Creates a queue; its workers do not run until {@link #start()}.
     *
     * @param store where the entries live
     * @param handler applies entries to the target
     * @param config the settings
     * @return the queue
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the handler declares an empty set of migrations
     */
    public static RetryQueue create(RetryStore store, ReplayHandler handler, RetryQueueConfig config) {
        Objects.requireNonNull(store, "null store");
        Objects.requireNonNull(handler, "null handler");
        Objects.requireNonNull(config, "null config");
        return new RetryQueue(store, handler, config);
    }

    /**
     * Enqueues an entry in a transaction of the store's own.
     *
     * @param entry the entry
     * @return the entry's id
     * @throws NullPointerException if entry is null
     */
    public long enqueue(NewRetryEntry entry) {
        Objects.requireNonNull(entry, "null entry");
        return enqueued(entry, store.enqueue(entry, clock.instant()));
    }

    /**
     * Enqueues an entry inside the caller's JDBC transaction, so it commits or rolls back with
     * the source write that caused it. The connection is neither committed nor closed. Enqueue
     * after the source write: the source row's lock then orders the entries of a key like the writes.
     *
     * @param connection the caller's connection to the database holding the queue table
     * @param entry the entry
     * @return the entry's id, valid once the caller commits
     * @throws SQLException if the insert fails
     * @throws IllegalStateException if this queue's store is not a {@link JdbcRetryStore}
     */
    public long enqueue(Connection connection, NewRetryEntry entry) throws SQLException {
        Objects.requireNonNull(entry, "null entry");
        return enqueued(entry, jdbcStore().enqueue(connection, entry, clock.instant()));
    }

    private JdbcRetryStore jdbcStore() {
        if (store instanceof JdbcRetryStore jdbc) {
            return jdbc;
        }
        throw new IllegalStateException("Enqueueing in the caller's transaction needs a JDBC store, but this queue uses "
                + store.getClass().getSimpleName());
    }

    private long enqueued(NewRetryEntry entry, long id) {
        // Marked even before the caller commits: a rolled-back entry only makes the key look pending
        // until the cache entry expires, which queues a write needlessly but never loses one.
        pending.enqueued(entry.migration(), entry.entity(), entry.key());
        listeners.enqueued(entry.migration());
        LOG.debug("Enqueued retry entry #{} {}/{}/{} {} {}", id, entry.migration(), entry.entity(), entry.key(),
                entry.mode(), entry.operation());
        return id;
    }

    /**
     * Adds a listener that hears what this queue does per migration (what
     * {@link dev.cutover.queue.micrometer.RetryQueueMetrics} publishes).
     *
     * @param listener the listener; thread-safe and quick, see {@link RetryQueueListener}
     * @return closing it removes the listener
     */
    public AutoCloseable addListener(RetryQueueListener listener) {
        return listeners.add(Objects.requireNonNull(listener, "null listener"));
    }

    /**
     * Counts each migration's entries in the store: pending, parked, and when the oldest pending one
     * was queued. One query; for gauges and health checks.
     *
     * @return the counts per migration that has entries
     */
    public java.util.Map<String, QueueDepth> depthByMigration() {
        return store.stats();
    }

    /**
     * Starts {@link RetryQueueConfig#workerCount()} worker threads; does nothing if they run.
     */
    public void start() {
        workers.start();
    }

    /**
     * Stops the workers gracefully: each finishes the entry it is replaying and releases the rest
     * of its batch, so other instances can claim them at once. Waits up to
     * {@link RetryQueueConfig#shutdownTimeout()}, then interrupts; entries still held then are
     * claimed again when their lease ends. Does nothing if the workers do not run.
     */
    public void stop() {
        workers.stop();
    }

    /**
     * Whether the workers run.
     *
     * @return true between {@link #start()} and {@link #stop()}
     */
    public boolean isRunning() {
        return workers.isRunning();
    }

    /**
     * Waits until no entry is pending in the store (parked entries aside), e.g. for the final sync
     * before a cutover. Only waits: the workers of this or another instance must be running. Entries
     * queued behind a parked entry of their key stay pending until an operator requeues or discards
     * the parked one, so this returns false as soon as every pending entry left waits behind a parked
     * (or unreadable) entry of its key, rather than waiting out the timeout: nothing more can drain
     * without an operator. Entries of migrations no running instance can replay also stay pending.
     *
     * @param timeout how long to wait at most, in real time (not on the configured clock)
     * @return true if the queue is empty of pending entries; false if the time ran out first, or if
     *     the entries left all wait behind parked entries (list them with {@link #parked(int)})
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + Objects.requireNonNull(timeout, "null timeout").toNanos();
        long blockedCheckNanos = Math.max(config.pollInterval().toNanos(), TimeUnit.SECONDS.toNanos(1));
        long nextBlockedCheck = System.nanoTime();
        long previous = Long.MAX_VALUE;
        long pending;
        while ((pending = store.pendingCount()) > 0) {
            // Whether only parked keys are left costs a read of every pending entry: ask only while
            // nothing drains, and at most once a second.
            if (pending >= previous && System.nanoTime() - nextBlockedCheck >= 0) {
                nextBlockedCheck = System.nanoTime() + blockedCheckNanos;
                if (RetryStores.blockedCount(store) >= pending) {
                    LOG.warn("Retry queue {} cannot drain: its {} pending entries wait behind parked entries of their"
                            + " keys; requeue or discard the parked entries (RetryQueue.parked(n))", owner, pending);
                    return false;
                }
            }
            previous = pending;
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, config.pollInterval().toNanos()));
        }
        return true;
    }

    /**
     * Lists parked entries, oldest first, for an operator; entries whose stored status cannot be read
     * count as parked and are listed too.
     *
     * @param limit the most to return, at least 1
     * @return the entries, with their last error
     * @throws IllegalArgumentException if limit is below 1
     */
    public List<RetryEntry> parked(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
        }
        return store.parked(limit);
    }

    /**
     * Looks up an entry, for an operator.
     *
     * @param id the entry's id
     * @return the entry, empty if it was replayed or discarded
     */
    public Optional<RetryEntry> entry(long id) {
        return store.find(id);
    }

    /**
     * Makes a parked entry (or one whose stored status cannot be read) pending again with zero
     * attempts, due now: do this once its cause is fixed.
     *
     * @param id the entry's id
     * @return false if there is no parked entry with this id
     */
    public boolean requeue(long id) {
        boolean requeued = store.requeue(id, clock.instant());
        LOG.info("Operator requeue of retry entry #{}: {}", id, requeued ? "requeued" : "no parked entry with this id");
        return requeued;
    }

    /**
     * Removes a parked entry (or one whose stored status cannot be read) for good, e.g. when the
     * target was repaired by hand; this unblocks its key.
     *
     * @param id the entry's id
     * @return false if there is no parked entry with this id
     */
    public boolean discard(long id) {
        Optional<RetryEntry> entry = store.find(id);
        boolean discarded = store.discard(id);
        entry.ifPresent(e -> pending.forget(e.migration(), e.entity(), e.key()));
        LOG.info("Operator discard of retry entry #{}: {}", id, discarded ? "discarded" : "no parked entry with this id");
        return discarded;
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }
}
