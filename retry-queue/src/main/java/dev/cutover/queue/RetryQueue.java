package dev.cutover.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.cutover.common.internal.Redaction;
import dev.cutover.queue.internal.Listeners;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
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
 * <p>Thread-safe: enqueue, {@link #isPending}, the operator methods and {@link #drain} may be
 * called from any thread while the workers run.
 */
public final class RetryQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RetryQueue.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Claims in a row that may lose every candidate before a worker waits a poll interval. */
    private static final int MAX_LOST_CLAIMS_IN_A_ROW = 5;
    /** Poll intervals between two looks for unreadable entries; a look reads the table's unusual rows. */
    static final int UNREADABLE_CHECK_POLLS = 10;

    private final RetryStore store;
    private final ReplayHandler handler;
    private final RetryQueueConfig config;
    private final Clock clock;
    private final String owner;
    private final IntervalFunction backoff;
    private final RateLimiter rateLimiter;
    private final CircuitBreaker breaker;
    private final Listeners listeners = new Listeners();
    private final LoadingCache<PendingKey, Boolean> pending;
    /** Whether a migration has any entry, so that keys of an empty queue cost no query each. */
    private final LoadingCache<String, Boolean> migrationHasEntries;
    /** When (clock millis) a worker next looks for unreadable entries; one worker at a time wins it. */
    private final AtomicLong nextUnreadableCheck = new AtomicLong(Long.MIN_VALUE);
    private final long unreadableCheckMillis;
    private final Object lifecycle = new Object();
    private ExecutorService workers;
    private volatile boolean running;

    private RetryQueue(RetryStore store, ReplayHandler handler, RetryQueueConfig config) {
        this.store = store;
        this.handler = handler;
        if (Objects.requireNonNull(handler.migrations(), "handler.migrations() returned null")
                .filter(Set::isEmpty).isPresent()) {
            throw new IllegalArgumentException("The replay handler " + handler + " declares no migration it can replay;"
                    + " its migrations() must name at least one, or be empty for every migration");
        }
        this.config = config;
        this.unreadableCheckMillis = Math.max(1000, config.pollInterval().toMillis() * UNREADABLE_CHECK_POLLS);
        this.clock = config.clock();
        this.owner = config.instanceId();
        this.backoff = config.backoff();
        this.rateLimiter = config.replaysPerSecond() == 0 ? null : RateLimiter.of(owner, RateLimiterConfig.custom()
                .limitForPeriod(config.replaysPerSecond())
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(config.pollInterval())
                .build());
        this.breaker = config.circuitBreaker().orElse(null);
        this.pending = Caffeine.newBuilder()
                .expireAfterWrite(config.pendingCacheTtl())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .maximumSize(config.pendingCacheSize())
                .build(key -> store.hasEntries(key.migration(), key.entity(), key.key()));
        this.migrationHasEntries = Caffeine.newBuilder()
                .expireAfterWrite(config.pendingCacheTtl())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build(store::hasEntries);
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
        migrationHasEntries.put(entry.migration(), Boolean.TRUE);
        pending.put(new PendingKey(entry.migration(), entry.entity(), entry.key()), Boolean.TRUE);
        listeners.enqueued(entry.migration());
        LOG.debug("Enqueued retry entry #{} {}/{}/{} {} {}", id, entry.migration(), entry.entity(), entry.key(),
                entry.mode(), entry.operation());
        return id;
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
     * @param migration the migration
     * @param entity the table or DAO
     * @param key the routing key
     * @return true if the key has entries
     * @throws NullPointerException if an argument is null
     * @throws RuntimeException the store's exception, e.g. a {@code JdbiException}, if the answer
     *     is not cached and the store cannot be read; treat the key as pending then
     */
    public boolean isPending(String migration, String entity, String key) {
        PendingKey pendingKey = new PendingKey(migration, entity, key);
        return migrationHasEntries.get(migration) && pending.get(pendingKey);
    }

    /**
     * Which of a set of keys of one entity have entries in the queue: the batched
     * {@link #isPending(String, String, String)}, with the same staleness bounds. Keys whose answer
     * is cached cost nothing; the others are asked of the store together, in one query of a JDBC
     * store, and none at all while the migration has no entries.
     *
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have entries
     * @throws NullPointerException if an argument is null
     * @throws RuntimeException the store's exception, if the store must be read and cannot be;
     *     treat every key as pending then
     */
    public Set<String> pendingKeys(String migration, String entity, Collection<String> keys) {
        Objects.requireNonNull(entity, "null entity");
        if (!migrationHasEntries.get(Objects.requireNonNull(migration, "null migration"))) {
            return Set.of();
        }
        Set<String> found = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String key : keys) {
            Boolean cached = pending.getIfPresent(new PendingKey(migration, entity, key));
            if (cached == null) {
                unknown.add(key);
            } else if (cached) {
                found.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            for (String key : store.keysWithEntries(migration, entity, unknown)) {
                // Only the pending answer is cached: it is the safe one, should an entry of the key be
                // enqueued or replayed meanwhile.
                pending.put(new PendingKey(migration, entity, key), Boolean.TRUE);
                found.add(key);
            }
        }
        return found;
    }

    /**
     * {@link #pendingKeys} from this queue's cache alone, for a caller that would rather not wait on
     * the store: known while the migration is cached as having no entries, or while every key's
     * answer is cached.
     *
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have entries, or empty if the answer needs the store
     * @throws NullPointerException if an argument is null
     */
    public Optional<Set<String>> cachedPendingKeys(String migration, String entity, Collection<String> keys) {
        Objects.requireNonNull(entity, "null entity");
        Boolean hasEntries = migrationHasEntries.getIfPresent(Objects.requireNonNull(migration, "null migration"));
        if (hasEntries == null) {
            return Optional.empty();
        }
        if (!hasEntries) {
            return Optional.of(Set.of());
        }
        Set<String> found = new HashSet<>();
        for (String key : keys) {
            Boolean cached = pending.getIfPresent(new PendingKey(migration, entity, key));
            if (cached == null) {
                return Optional.empty();
            }
            if (cached) {
                found.add(key);
            }
        }
        return Optional.of(found);
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
    public java.util.Map<String, MigrationStats> migrationStats() {
        return store.stats();
    }

    /** @return the clock the queue schedules by (its config's) */
    public Clock clock() {
        return clock;
    }

    /**
     * Counts a migration's entries of one operation in the store, whatever their status; see
     * {@link RetryStore#countEntries}.
     *
     * @param migration the migration
     * @param operation the operation
     * @return the count
     */
    public long countEntries(String migration, String operation) {
        return store.countEntries(Objects.requireNonNull(migration, "null migration"),
                Objects.requireNonNull(operation, "null operation"));
    }

    /**
     * Makes a migration's pending entries of one operation due now; see {@link RetryStore#makeDue}.
     *
     * @param migration the migration
     * @param operation the operation
     * @return how many entries were made due earlier
     */
    public int makeDue(String migration, String operation) {
        return store.makeDue(Objects.requireNonNull(migration, "null migration"),
                Objects.requireNonNull(operation, "null operation"), clock.instant());
    }

    /**
     * {@link #isPending(String, String, String)}, reading the store (on a cache miss) on the caller's
     * connection instead of one of the store's own, for a caller that holds a connection of the
     * store's pool ({@link #storesIn(DataSource)}): while every connection of that pool is held by
     * callers, borrowing another would wait for the pool's timeout. The query runs in whatever
     * transaction the connection has open; the caller ends it.
     *
     * @param connection a connection to the database holding the queue table
     * @param migration the migration
     * @param entity the table or DAO
     * @param key the routing key
     * @return true if the key has entries
     * @throws SQLException if the answer is not cached and the query fails; treat the key as pending then
     * @throws IllegalStateException if this queue's store is not a {@link JdbcRetryStore}
     */
    public boolean isPending(Connection connection, String migration, String entity, String key) throws SQLException {
        JdbcRetryStore jdbc = jdbcStore();
        try {
            return migrationHasEntries.get(migration, m -> uncheck(() -> jdbc.hasEntries(connection, m)))
                    && pending.get(new PendingKey(migration, entity, key),
                            k -> uncheck(() -> jdbc.hasEntries(connection, k.migration(), k.entity(), k.key())));
        } catch (UncheckedSqlException e) {
            throw e.sql;
        }
    }

    /**
     * Whether this queue keeps its entries through that very pool, so that a caller holding one of
     * its connections may enqueue and check on it ({@link #enqueue(Connection, NewRetryEntry)},
     * {@link #isPending(Connection, String, String, String)}).
     *
     * @param dataSource a pool
     * @return true if the store is a {@link JdbcRetryStore} over that same object
     */
    public boolean storesIn(DataSource dataSource) {
        return store instanceof JdbcRetryStore jdbc && jdbc.dataSource() == dataSource;
    }

    private static Boolean uncheck(SqlCall call) {
        try {
            return call.call();
        } catch (SQLException e) {
            throw new UncheckedSqlException(e);
        }
    }

    @FunctionalInterface
    private interface SqlCall {
        Boolean call() throws SQLException;
    }

    private static final class UncheckedSqlException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient SQLException sql;

        UncheckedSqlException(SQLException sql) {
            super(sql);
            this.sql = sql;
        }
    }

    /**
     * Starts {@link RetryQueueConfig#workerCount()} worker threads; does nothing if they run.
     */
    public void start() {
        synchronized (lifecycle) {
            if (running) {
                return;
            }
            AtomicInteger number = new AtomicInteger();
            workers = Executors.newFixedThreadPool(config.workerCount(), task -> {
                Thread thread = new Thread(task, "cutover-retry-" + owner + "-" + number.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            running = true;
            for (int i = 0; i < config.workerCount(); i++) {
                workers.execute(this::work);
            }
            LOG.info("Retry queue {} started {} workers", owner, config.workerCount());
        }
    }

    /**
     * Stops the workers gracefully: each finishes the entry it is replaying and releases the rest
     * of its batch, so other instances can claim them at once. Waits up to
     * {@link RetryQueueConfig#shutdownTimeout()}, then interrupts; entries still held then are
     * claimed again when their lease ends. Does nothing if the workers do not run.
     */
    public void stop() {
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            running = false;
            workers.shutdown();
            try {
                if (!workers.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("Retry queue {} workers did not stop within {}; interrupting them", owner,
                            config.shutdownTimeout());
                    workers.shutdownNow();
                }
            } catch (InterruptedException e) {
                workers.shutdownNow();
                Thread.currentThread().interrupt();
            }
            LOG.info("Retry queue {} stopped", owner);
        }
    }

    /**
     * Whether the workers run.
     *
     * @return true between {@link #start()} and {@link #stop()}
     */
    public boolean isRunning() {
        return running;
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
                if (store.blockedCount() >= pending) {
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
        entry.ifPresent(e -> pending.invalidate(new PendingKey(e.migration(), e.entity(), e.key())));
        LOG.info("Operator discard of retry entry #{}: {}", id, discarded ? "discarded" : "no parked entry with this id");
        return discarded;
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    private void work() {
        int lostInARow = 0;
        while (running) {
            try {
                parkUnreadableWhenDue();
                Claimed claimed = drainBatch();
                // A claim that lost every candidate to another worker or instance found work that was
                // there a moment ago: claim again at once rather than idle for a whole poll interval,
                // a few times in a row, so that a candidate that somehow stays unclaimable cannot spin.
                lostInARow = claimed == Claimed.LOST ? lostInARow + 1 : 0;
                if (claimed == Claimed.NOTHING || lostInARow > MAX_LOST_CLAIMS_IN_A_ROW) {
                    lostInARow = 0;
                    TimeUnit.MILLISECONDS.sleep(config.pollInterval().toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Error e) {
                // The executor does not rerun a task that died, so say loudly that this worker is gone.
                LOG.error("Retry queue {} lost a worker to {}; its claimed entries are released or expire", owner,
                        describe(e));
                throw e;
            } catch (RuntimeException e) {
                LOG.warn("Retry queue {} worker failed ({}); claiming again after {}", owner, describe(e),
                        config.pollInterval());
                try {
                    TimeUnit.MILLISECONDS.sleep(config.pollInterval().toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Parks the store's unreadable entries if it is time to look; one worker looks while the others
     * drain. A failed look is logged and tried again at the next interval, not in a loop.
     */
    private void parkUnreadableWhenDue() {
        long now = clock.millis();
        long due = nextUnreadableCheck.get();
        if (now < due || !nextUnreadableCheck.compareAndSet(due, now + unreadableCheckMillis)) {
            return;
        }
        List<RetryEntry> parked;
        try {
            parked = store.parkUnreadable(clock.instant());
        } catch (RuntimeException e) {
            LOG.warn("Retry queue {} could not look for unreadable entries ({}); looking again in {} ms", owner,
                    describe(e), unreadableCheckMillis);
            return;
        }
        for (RetryEntry entry : parked) {
            listeners.unreadable(entry.migration());
            listeners.parked(entry.migration());
            LOG.error("Parked unreadable retry entry {}: {}", entry.describe(), entry.lastError());
        }
    }

    /** What one claim of a worker got. */
    private enum Claimed {
        /** Entries, which were replayed. */
        ENTRIES,
        /** No entries, because other claimers took every due candidate first. */
        LOST,
        /** No entries: nothing was due, or the target is unavailable. */
        NOTHING
    }

    /**
     * Claims and replays one batch; returns whether there was anything to claim. Replayed entries
     * are removed together at the end of the batch, one statement instead of one per entry; this
     * cannot reorder a key, because a batch holds at most one entry per key and keeps it leased
     * until then.
     */
    private Claimed drainBatch() throws InterruptedException {
        if (!targetAvailable()) {
            return Claimed.NOTHING;
        }
        // Read at every claim: a handler may learn migrations while the queue runs (the runtime registers them).
        Optional<Set<String>> migrations = Objects.requireNonNull(handler.migrations(),
                "handler.migrations() returned null").map(Set::copyOf);
        if (migrations.isPresent() && migrations.get().isEmpty()) {
            return Claimed.NOTHING;
        }
        ClaimResult claim = store.claim(owner, clock.instant(), config.batchSize(), config.leaseDuration(), migrations);
        claim.conflicts().forEach(listeners::claimConflicts);
        List<RetryEntry> entries = claim.entries();
        List<RetryEntry> replayed = new ArrayList<>(entries.size());
        int next = 0;
        try {
            while (next < entries.size() && running) {
                RetryEntry entry = entries.get(next);
                Outcome outcome = replay(entry);
                if (outcome == Outcome.STOP_BATCH) {
                    break;
                }
                if (outcome == Outcome.REPLAYED) {
                    replayed.add(entry);
                }
                next++;
            }
        } finally {
            try {
                completed(replayed);
            } finally {
                releaseQuietly(entries.subList(next, entries.size()));
            }
        }
        if (!entries.isEmpty()) {
            return Claimed.ENTRIES;
        }
        return claim.conflicts().isEmpty() ? Claimed.NOTHING : Claimed.LOST;
    }

    /** Probes the breaker without spending a call, so that an open breaker also stops claiming. */
    private boolean targetAvailable() {
        if (breaker == null) {
            return true;
        }
        if (breaker.tryAcquirePermission()) {
            breaker.releasePermission();
            return true;
        }
        return false;
    }

    /** What became of one entry of a batch. */
    private enum Outcome {
        /** Replayed; to be removed with the rest of the batch. */
        REPLAYED,
        /** Failed and backing off, or parked: the store already knows. */
        SETTLED,
        /** Not touched, and the rest of the batch must be released: stopping, lease running out, breaker open. */
        STOP_BATCH
    }

    private Outcome replay(RetryEntry entry) throws InterruptedException {
        listeners.migrationSeen(entry.migration());
        Instant startBy = entry.leaseUntil().minus(config.leaseDuration().dividedBy(5));
        if (clock.instant().isAfter(startBy) || !acquireRate()) {
            return Outcome.STOP_BATCH;
        }
        if (entry.mode() == ReplayMode.UNKNOWN) {
            // JDBC stores never hand such an entry out; another store might.
            park(entry, "replay_mode cannot be read; set it to REPLAY or RESYNC and requeue the entry, or discard it",
                    new IllegalStateException("unreadable replay_mode"));
            return Outcome.SETTLED;
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(entry.payload());
        } catch (JsonProcessingException e) {
            park(entry, "payload is not valid JSON: " + text(e.getOriginalMessage()), e);
            return Outcome.SETTLED;
        }
        if (breaker != null && !breaker.tryAcquirePermission()) {
            return Outcome.STOP_BATCH;
        }
        long started = System.nanoTime();
        try {
            handler.replay(entry, payload);
            if (breaker != null) {
                breaker.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
            return Outcome.REPLAYED;
        } catch (NonRetryableReplayException e) {
            releaseBreaker();
            park(entry, "non-retryable: " + Redaction.message(e, config.logValues()), e);
        } catch (JsonProcessingException e) {
            releaseBreaker();
            park(entry, "payload cannot be deserialized: " + text(e.getOriginalMessage()), e);
        } catch (InterruptedException e) {
            releaseBreaker();
            throw e;
        } catch (Exception e) {
            if (breaker != null) {
                breaker.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
            }
            failed(entry, e);
        }
        return Outcome.SETTLED;
    }

    private boolean acquireRate() {
        if (rateLimiter == null) {
            return true;
        }
        while (running) {
            if (rateLimiter.acquirePermission()) {
                return true;
            }
        }
        return false;
    }

    private void releaseBreaker() {
        if (breaker != null) {
            breaker.releasePermission();
        }
    }

    private void completed(List<RetryEntry> replayed) {
        if (replayed.isEmpty()) {
            return;
        }
        int removed = store.completeAll(replayed);
        for (RetryEntry entry : replayed) {
            listeners.replayed(entry.migration());
            pending.invalidate(new PendingKey(entry.migration(), entry.entity(), entry.key()));
            LOG.debug("Replayed retry entry {}", entry.describe());
        }
        if (removed < replayed.size()) {
            LOG.warn("{} of {} replayed retry entries were claimed again after their lease ran out; they may be"
                    + " replayed again", replayed.size() - removed, replayed.size());
        }
    }

    private void failed(RetryEntry entry, Exception error) {
        int attempts = entry.attempts() + 1;
        if (attempts >= config.maxAttempts()) {
            park(entry, describe(error), error);
            return;
        }
        Instant next = clock.instant().plusMillis(backoff.apply(attempts));
        if (store.fail(entry, describe(error), next)) {
            listeners.retried(entry.migration());
            LOG.info("Retry entry {} failed attempt {} of {} ({}); next attempt at {}", entry.describe(), attempts,
                    config.maxAttempts(), error.getClass().getName(), next);
            LOG.debug("Retry entry {} failure detail", entry.describe(), Redaction.loggable(error, config.logValues()));
        } else {
            LOG.warn("Retry entry {} failed after its lease was taken over; the new owner replays it", entry.describe());
        }
    }

    private void park(RetryEntry entry, String reason, Exception cause) {
        if (store.park(entry, reason)) {
            listeners.parked(entry.migration());
            // The reason may quote payload values (driver messages often do): only its type goes to the WARN log.
            LOG.warn("Parked retry entry {} after {} attempt(s) ({}); an operator must requeue or discard it",
                    entry.describe(), entry.attempts() + 1, cause.getClass().getName());
            LOG.debug("Retry entry {} parked: {}", entry.describe(), reason);
        } else {
            LOG.warn("Could not park retry entry {}: its lease was taken over", entry.describe());
        }
    }

    /** Releases entries until the store fails: then the store is likely unreachable, and their leases end anyway. */
    private void releaseQuietly(List<RetryEntry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            try {
                store.release(entries.get(i));
            } catch (RuntimeException e) {
                LOG.warn("Could not release retry entry {} ({}); it and the {} after it in its batch are claimed again"
                        + " after their lease ends", entries.get(i).describe(), describe(e), entries.size() - i - 1);
                return;
            }
        }
    }

    /** The stored and logged text of a failure: see {@link RetryQueueConfig#logValues()}. */
    private String describe(Throwable error) {
        return Redaction.describe(error, config.logValues());
    }

    private String text(String message) {
        return config.logValues() ? message : Redaction.reduce(message);
    }

    private record PendingKey(String migration, String entity, String key) {
        PendingKey {
            Objects.requireNonNull(migration, "null migration");
            Objects.requireNonNull(entity, "null entity");
            Objects.requireNonNull(key, "null key");
        }
    }
}
