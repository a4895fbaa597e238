package dev.cutover.dualwrite;

import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.Redaction;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryStore;
import dev.cutover.queue.internal.QueueAccess;
import dev.cutover.queue.internal.RetryStores;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mirroring mechanism of both wrapping styles (repository proxy and {@link CutoverDataSource}):
 * after the primary committed, each written key is copied with {@link RowCopier}, queued behind the
 * key's pending entries, and a copy that fails becomes a {@code RESYNC} entry of the retry-queue.
 * All of it, for all the keys of one call, runs within one {@link RowCopier#copyBudget() copy
 * budget}. Thread-safe.
 */
final class Mirror {
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);
    /** Consecutive failed copies after which the default breaker opens, after any run of successes. */
    static final int BREAKER_FAILURES_TO_OPEN = 3;
    private static final int BREAKER_WINDOW = 5;

    private final String migration;
    private final RetryQueue queue;
    private final RowCopier resync;
    private final DualWriteCounters stats;
    private final CircuitBreaker breaker;

    Mirror(String migration, RetryQueue queue, RowCopier resync, DualWriteCounters stats, CircuitBreaker breaker) {
        this.migration = migration;
        this.queue = queue;
        this.resync = resync;
        this.stats = stats;
        this.breaker = breaker;
    }

    /**
     * A key a write committed.
     *
     * @param entity the mapped entity
     * @param key the routing key, in the source's terms
     */
    record Key(String entity, String key) {
    }

    /**
     * The connection the application's write just committed on, which the mirror may use instead of
     * borrowing from the same pool: it always reads and locks the copied row on it, and, when the
     * retry-queue keeps its entries through that pool, checks and queues keys on it too.
     *
     * @param connection the primary connection, outside any transaction
     * @param holdsQueue whether the retry-queue's store borrows from the pool this connection came from
     */
    record CallersConnection(Connection connection, boolean holdsQueue) {
    }

    /**
     * The breaker both wrapping styles use when the application gives none. It opens as soon as
     * {@value #BREAKER_FAILURES_TO_OPEN} of the last {@value #BREAKER_WINDOW} copies failed (so
     * after {@value #BREAKER_FAILURES_TO_OPEN} failures in a row, whatever came before, and at once
     * when the first {@value #BREAKER_FAILURES_TO_OPEN} copies fail), or as many were slow (took over
     * half the copy budget, so a target that answers but crawls opens it too); then keys go straight
     * to the queue instead of each spending the budget. After 2 s it lets one copy through, and
     * closes again when that copy succeeds.
     */
    static CircuitBreaker defaultBreaker(String migration, Duration copyBudget) {
        return CircuitBreaker.of("cutover-mirror-" + migration, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(BREAKER_WINDOW)
                .minimumNumberOfCalls(BREAKER_FAILURES_TO_OPEN)
                .failureRateThreshold(100f * BREAKER_FAILURES_TO_OPEN / BREAKER_WINDOW)
                .slowCallDurationThreshold(copyBudget.dividedBy(2))
                .slowCallRateThreshold(100f * BREAKER_FAILURES_TO_OPEN / BREAKER_WINDOW)
                .waitDurationInOpenState(Duration.ofSeconds(2))
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    }

    /**
     * Checks the delay after which a durable crash-safety entry (intent or outbox entry) becomes due.
     *
     * @param name the option's name, for the message
     * @return the delay
     * @throws IllegalArgumentException if it is not between 100 ms and 1 h
     */
    static Duration requireEntryDelay(String name, Duration delay) {
        return Checks.between(name, delay, Duration.ofMillis(100), Duration.ofHours(1));
    }

    String migration() {
        return migration;
    }

    DualWriteCounters stats() {
        return stats;
    }

    RetryQueue queue() {
        return queue;
    }

    RowCopier resync() {
        return resync;
    }

    /**
     * Mirrors the keys a call's primary write committed, within one copy budget: each is queued
     * behind its pending entries, else copied, else queued. Under a write permit (the fenced primary
     * handover, see {@link dev.cutover.flags.internal.Handovers#beginWrite}) a key is copied or queued in the permit's
     * direction only within its copy window; one that misses it is a late write, queued for a copy
     * from whichever side is primary once the handover is done.
     *
     * @param caller the application's connection the write committed on, or null
     * @param permit the write's permit, or null outside the fenced handover
     * @return false if any key was late
     * @throws UnmirroredWriteException if a key could be neither copied nor queued (see {@link #enqueue})
     */
    boolean mirror(List<Key> keys, Side from, CallersConnection caller, WritePermit permit) {
        return copyKeys(keys, from, caller, permit, Policy.BEHIND_PENDING, null);
    }

    /**
     * {@link #mirror} for keys whose write recorded a durable intent first: copied directly, without
     * looking for pending entries (the key's own intent is one); a key that is not copied has its
     * intent recorded again, due now. The first intent alone does not cover such a key: a write that
     * took longer than the intent's delay, say on a loaded machine, may have had its intent replayed
     * before it committed, the replay copying the row as it was before the write. Recorded again, the
     * intent is coalesced into the key's pending one when there is one (which replays after this
     * commit), so a key written throughout a target outage still keeps one entry.
     *
     * @param intents the store the intents were recorded in
     * @param permit the write's permit, or null outside the fenced handover
     * @return false if any key was late
     * @throws UnmirroredWriteException if a key could be neither copied nor its intent recorded again
     */
    boolean copy(List<Key> keys, Side from, CallersConnection caller, WritePermit permit, RetryStore intents) {
        return copyKeys(keys, from, caller, permit, Policy.COPY_ELSE_INTENT, Objects.requireNonNull(intents));
    }

    /**
     * Copies keys directly, within one copy budget, and leaves a key that is not copied to the
     * durable entries that committed in the write's own transaction (the DataSource style's outbox),
     * which no replay can read before the write. Never throws.
     *
     * @param permit the write's permit, or null outside the fenced handover
     * @return false if any key was late
     */
    boolean copyCoveredByCommittedEntries(List<Key> keys, Side from, CallersConnection caller, WritePermit permit) {
        return copyKeys(keys, from, caller, permit, Policy.COPY_ONLY, null);
    }

    /** What becomes of a written key: see {@link #mirror}, {@link #copy} and {@link #copyCoveredByCommittedEntries}. */
    private enum Policy {
        /** Queued behind its pending entries, else copied, else queued. */
        BEHIND_PENDING,
        /** Copied, else its intent recorded again. */
        COPY_ELSE_INTENT,
        /** Copied, else left to the entries that committed with the write. */
        COPY_ONLY
    }

    private boolean copyKeys(List<Key> keys, Side from, CallersConnection caller, WritePermit permit,
            Policy policy, RetryStore intents) {
        CopyBudget budget = CopyBudget.start(resync.copyBudget());
        List<Key> uncopied = new ArrayList<>();
        boolean inWindow = true;
        List<Key> toCopy = new ArrayList<>();
        for (Key key : keys) {
            if (policy == Policy.BEHIND_PENDING && !budget.copyTimeSpent() && pending(key, caller, budget)) {
                stats.deferredBehindPending(from.other());
                uncopied.add(key);
            } else {
                toCopy.add(key);
            }
        }
        // Several keys of one entity (a transaction's rows of one table, a write of several keys)
        // share one locking read and one upsert; what the batch leaves is copied key by key.
        List<Key> oneByOne = toCopy;
        if (toCopy.size() > 1) {
            oneByOne = new ArrayList<>();
            for (List<Key> entityKeys : byEntity(toCopy).values()) {
                if (entityKeys.size() < 2 || budget.copyTimeSpent()
                        || (permit != null && !permit.ensureBeforeDeadline())) {
                    oneByOne.addAll(entityKeys);
                    continue;
                }
                Batch batch = copyBatch(entityKeys, from, caller == null ? null : caller.connection(), budget, permit);
                switch (batch.outcome()) {
                    case COPIED -> oneByOne.addAll(batch.rest());
                    case LATE -> {
                        for (Key key : entityKeys) {
                            inWindow &= late(key, from);
                        }
                    }
                    case FAILED -> uncopied.addAll(entityKeys);
                }
            }
        }
        for (Key key : oneByOne) {
            if (budget.copyTimeSpent()) {
                stats.mirrorFailed(from.other());
                uncopied.add(key);
            } else if (permit != null && !permit.ensureBeforeDeadline()) {
                inWindow &= late(key, from);
            } else {
                CopyOutcome outcome = copy(key, from, caller, budget, permit);
                if (outcome == CopyOutcome.LATE) {
                    inWindow &= late(key, from);
                } else if (outcome == CopyOutcome.FAILED) {
                    uncopied.add(key);
                }
            }
        }
        if (!uncopied.isEmpty() && policy == Policy.BEHIND_PENDING) {
            inWindow &= enqueue(uncopied, from, caller, budget, permit);
        } else if (!uncopied.isEmpty() && policy == Policy.COPY_ELSE_INTENT) {
            inWindow &= recordIntents(uncopied, from, intents, permit);
        }
        return inWindow;
    }

    enum CopyOutcome { COPIED, FAILED, LATE }

    /**
     * What became of a batch: {@code COPIED} (the keys in {@code rest} were not, and want one-key
     * copies), or {@code FAILED} or {@code LATE} for all of its keys.
     */
    record Batch(CopyOutcome outcome, List<Key> rest) {
    }

    /** The distinct keys per entity, in their first order: a batch takes each key once. */
    private static Map<String, List<Key>> byEntity(List<Key> keys) {
        Map<String, List<Key>> byEntity = new LinkedHashMap<>();
        for (Key key : new java.util.LinkedHashSet<>(keys)) {
            byEntity.computeIfAbsent(key.entity(), e -> new ArrayList<>()).add(key);
        }
        return byEntity;
    }

    /**
     * Copies several distinct keys of one entity through the circuit breaker with
     * {@link RowCopier#copyBatch}, landing on the receiving side only inside the permit's window.
     *
     * @param callersSending the application's connection on the sending side, outside any transaction, or null
     */
    Batch copyBatch(List<Key> keys, Side from, Connection callersSending, CopyBudget budget, WritePermit permit) {
        if (!breaker.tryAcquirePermission()) {
            keys.forEach(key -> stats.mirrorFailed(from.other()));
            return new Batch(CopyOutcome.FAILED, List.of());
        }
        String entity = keys.get(0).entity();
        long start = breaker.getCurrentTimestamp();
        try {
            List<String> rest = resync.copyBatch(entity, keys.stream().map(Key::key).toList(), from, callersSending,
                    budget, permit == null ? null : permit::ensureBeforeDeadline);
            long duration = breaker.getCurrentTimestamp() - start;
            int copied = keys.size() - rest.size();
            if (copied == 0) {
                // Nothing was copied (an H2 source, a guarded target, every row locked or absent):
                // no evidence either way, and a half-open breaker must not close on it.
                breaker.releasePermission();
            } else {
                breaker.onSuccess(duration, breaker.getTimestampUnit());
            }
            long nanos = breaker.getTimestampUnit().toNanos(duration);
            for (int i = 0; i < copied; i++) {
                stats.mirrored(from.other(), nanos / Math.max(1, copied));
            }
            Set<String> left = Set.copyOf(rest);
            return new Batch(CopyOutcome.COPIED, keys.stream().filter(key -> left.contains(key.key())).toList());
        } catch (RowCopier.CopyWindowClosedException e) {
            breaker.releasePermission();
            return new Batch(CopyOutcome.LATE, List.of());
        } catch (SQLException | RuntimeException e) {
            long duration = breaker.getCurrentTimestamp() - start;
            breaker.onError(duration, breaker.getTimestampUnit(), e);
            keys.forEach(key -> stats.mirrorFailed(from.other()));
            LOG.warn("Copy of {} key(s) of {}/{} to the {} failed after {} ms, left to the retry-queue: {}", keys.size(),
                    migration, entity, from.other().name().toLowerCase(Locale.ROOT),
                    breaker.getTimestampUnit().toMillis(duration), Redaction.describe(e, resync.logValues()));
            return new Batch(CopyOutcome.FAILED, List.of());
        }
    }

    /** Copies a key through the circuit breaker, landing on the receiving side only inside the permit's window. */
    CopyOutcome copy(Key key, Side from, CallersConnection caller, CopyBudget budget, WritePermit permit) {
        if (!breaker.tryAcquirePermission()) {
            stats.mirrorFailed(from.other());
            return CopyOutcome.FAILED;
        }
        long start = breaker.getCurrentTimestamp();
        try {
            resync.copy(key.entity(), key.key(), from, caller == null ? null : caller.connection(), budget,
                    permit == null ? null : permit::ensureBeforeDeadline);
            long duration = breaker.getCurrentTimestamp() - start;
            breaker.onSuccess(duration, breaker.getTimestampUnit());
            stats.mirrored(from.other(), breaker.getTimestampUnit().toNanos(duration));
            return CopyOutcome.COPIED;
        } catch (RowCopier.CopyWindowClosedException e) {
            // Not the receiving side's fault: the copy window closed.
            breaker.releasePermission();
            return CopyOutcome.LATE;
        } catch (Exception e) {
            long duration = breaker.getCurrentTimestamp() - start;
            breaker.onError(duration, breaker.getTimestampUnit(), e);
            stats.mirrorFailed(from.other());
            LOG.warn("Mirror of {}/{}/{} to the {} failed after {} ms, left to the retry-queue: {}", migration,
                    key.entity(), key.key(), from.other().name().toLowerCase(Locale.ROOT),
                    breaker.getTimestampUnit().toMillis(duration), Redaction.describe(e, resync.logValues()));
            return CopyOutcome.FAILED;
        }
    }

    /**
     * A late write: its copy in the old direction could overwrite writes of a new primary, so the key is
     * queued for a copy from whichever side is primary after the handover. Never throws.
     *
     * @return false
     */
    boolean late(Key key, Side from) {
        stats.mirrorFailed(from.other());
        try {
            queue.enqueue(CopyReplayHandler.fromPrimary(migration, key.entity(), key.key()));
            stats.enqueued(from.other(), true);
        } catch (RuntimeException e) {
            stats.enqueued(from.other(), false);
            LOG.error("Could not queue the resync of {}/{}/{} after its write came too late for its copy window: the"
                    + " sides may differ for this key until it is written again or verified", migration, key.entity(),
                    key.key(), Redaction.loggable(e, resync.logValues()));
            return false;
        }
        LOG.warn("Write of {}/{}/{} on the {} came too late for its copy window (the primary moved, or the flags were"
                + " not confirmed in time): not copied, and queued for a copy from the primary after the handover",
                migration, key.entity(), key.key(), from.name().toLowerCase(Locale.ROOT));
        return false;
    }

    /**
     * Queues a {@code RESYNC} of each key, on the caller's connection when the queue lives behind its
     * pool, else in transactions of the queue's own within what is left of the budget; an enqueue
     * the caller cannot wait for still completes in the background. Under a permit, the entries
     * must be visible before its copy window closes, when the handover counts what is owed; keys
     * that miss it are late writes.
     *
     * @param permit the write's permit, or null outside the fenced handover
     * @return false if the keys were late
     * @throws UnmirroredWriteException if the store refused an entry (the call must then fail: nothing
     *     would owe the other side the write), after every other key was queued
     */
    boolean enqueue(List<Key> keys, Side from, CallersConnection caller, CopyBudget budget, WritePermit permit) {
        if (permit != null && !permit.ensureCopyWindow()) {
            keys.forEach(key -> late(key, from));
            return false;
        }
        List<Key> rest = keys;
        if (caller != null && caller.holdsQueue()) {
            rest = enqueueOn(caller.connection(), keys, from);
        }
        List<Key> unqueued = new ArrayList<>();
        for (Key key : rest) {
            try {
                if (!budget.callWithinBudget("queueing " + key.entity() + "/" + key.key(), () -> enqueueNow(key, from),
                        queued -> {
                            if (queued) {
                                LOG.info("The resync of {}/{}/{} was queued after its caller's copy budget ran out",
                                        migration, key.entity(), key.key());
                            }
                        })) {
                    unqueued.add(key);
                }
            } catch (SQLException e) {
                // Only a timeout or a full helper pool come here (enqueueNow logs its own failures):
                // the entry is still being written in the background, or is written here if no helper
                // could take it.
                if (!(e instanceof SQLTimeoutException)) {
                    if (!enqueueNow(key, from)) {
                        unqueued.add(key);
                    }
                } else {
                    LOG.warn("Queueing the resync of {}/{}/{} outlasted the copy budget; it carries on in the"
                            + " background", migration, key.entity(), key.key());
                }
            } catch (RuntimeException e) {
                LOG.error("Could not queue the resync of {}/{}/{}", migration, key.entity(), key.key(),
                        Redaction.loggable(e, resync.logValues()));
                unqueued.add(key);
            }
        }
        return settled(keys, unqueued, from, permit);
    }

    /**
     * Records the intents of keys whose copy failed again, due now: coalesced into a key's pending
     * intent, else added. Like {@link #enqueue}, the entries must be there before the permit's copy
     * window closes.
     *
     * @return false if the keys were late
     * @throws UnmirroredWriteException if an intent could not be recorded (after trying every key)
     */
    private boolean recordIntents(List<Key> keys, Side from, RetryStore intents, WritePermit permit) {
        Instant now = Instant.now();
        List<Key> unrecorded = new ArrayList<>();
        for (Key key : keys) {
            try {
                RetryStores.enqueueCoalescing(intents, CopyReplayHandler.intent(migration, key.entity(), key.key(), from), now);
                stats.enqueued(from.other(), true);
            } catch (RuntimeException e) {
                stats.enqueued(from.other(), false);
                LOG.error("Could not record the intent of {}/{}/{} again after its copy failed", migration,
                        key.entity(), key.key(), Redaction.loggable(e, resync.logValues()));
                unrecorded.add(key);
            }
        }
        return settled(keys, unrecorded, from, permit);
    }

    /**
     * Ends queueing or recording: fails the call if any key has no entry, and makes the keys late
     * writes if their entries came after the permit's copy window.
     *
     * @return false if the keys were late
     */
    private boolean settled(List<Key> keys, List<Key> withoutEntry, Side from, WritePermit permit) {
        if (!withoutEntry.isEmpty()) {
            throw unmirrored(withoutEntry, from);
        }
        if (permit != null && !permit.ensureBeforeDeadline()) {
            keys.forEach(key -> late(key, from));
            return false;
        }
        return true;
    }

    private UnmirroredWriteException unmirrored(List<Key> keys, Side from) {
        return new UnmirroredWriteException("A write of migration " + migration + " was made on the "
                + from.name().toLowerCase(Locale.ROOT) + ", but neither copied to the "
                + from.other().name().toLowerCase(Locale.ROOT) + " nor queued for a later copy (the retry-queue's"
                + " store refused the entry; see the ERROR logged for it), so the call fails instead of"
                + " acknowledging it. Keys: " + keys.stream().map(key -> key.entity() + "/"
                        + key.key()).toList()
                + ". The write may or may not persist on the " + from.name().toLowerCase(Locale.ROOT)
                + "; make the retry-queue's store reachable, then check the row before retrying a call that is"
                + " not idempotent, or run the Verifier with repair");
    }

    /** @return false if the entry could not be written (logged and counted) */
    private boolean enqueueNow(Key key, Side from) {
        try {
            queue.enqueue(CopyReplayHandler.entry(migration, key.entity(), key.key(), from));
            stats.enqueued(from.other(), true);
            return true;
        } catch (RuntimeException e) {
            stats.enqueued(from.other(), false);
            LOG.error("Could not queue the resync of {}/{}/{} after its mirror failed: the {} may stay behind for this"
                    + " key until it is written again or verified", migration, key.entity(), key.key(),
                    from.other().name().toLowerCase(Locale.ROOT), Redaction.loggable(e, resync.logValues()));
            return false;
        }
    }

    /**
     * Queues keys in one short transaction on the caller's connection, which borrows nothing from a
     * pool whose every connection may be held by writers waiting for their own mirror.
     *
     * @return the keys it could not queue there, left to the queue's own transactions
     */
    private List<Key> enqueueOn(Connection connection, List<Key> keys, Side from) {
        try {
            boolean autoCommit = connection.getAutoCommit();
            if (autoCommit) {
                connection.setAutoCommit(false);
            }
            try {
                for (Key key : keys) {
                    queue.enqueue(connection, CopyReplayHandler.entry(migration, key.entity(), key.key(), from));
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection);
                throw e;
            } finally {
                if (autoCommit) {
                    connection.setAutoCommit(true);
                }
            }
            keys.forEach(k -> stats.enqueued(from.other(), true));
            return List.of();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Could not queue {} key(s) of {} on the writer's own connection, queueing them on the queue's"
                    + " own: {}", keys.size(), migration, Redaction.describe(e, resync.logValues()));
            return keys;
        }
    }

    /**
     * Whether the queue holds entries for the key; when the queue cannot tell (in time), a direct
     * copy is still safe: it copies the committed row under its lock.
     */
    boolean pending(Key key, CallersConnection caller, CopyBudget budget) {
        try {
            if (caller != null && caller.holdsQueue()) {
                Connection connection = caller.connection();
                try {
                    return QueueAccess.isPending(queue, connection, migration, key.entity(), key.key());
                } finally {
                    // End the read's transaction, so that the writer's next transaction starts afresh.
                    if (!connection.getAutoCommit()) {
                        connection.rollback();
                    }
                }
            }
            // An answer the queue has cached needs no helper thread: the usual case, an empty queue.
            Optional<Set<String>> known = QueueAccess.cachedPendingKeys(queue, migration, key.entity(), List.of(key.key()));
            if (known.isPresent()) {
                return !known.get().isEmpty();
            }
            return budget.callWithinCopyTime("the pending check of " + key.entity() + "/" + key.key(),
                    () -> QueueAccess.isPending(queue, migration, key.entity(), key.key()), late -> { });
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Retry-queue could not tell whether {}/{}/{} is pending; copying it directly: {}", migration,
                    key.entity(), key.key(), Redaction.describe(e, resync.logValues()));
            return false;
        }
    }

    /**
     * Whether a key's latest writes may wait in the retry-queue (a copy that failed, or one queued
     * behind such entries), so that the other side lacks them until the entry is replayed: a read
     * of the key must go to the primary then. Answered from the queue's cache alone, so that a read
     * never waits on the queue's store or takes a connection from its pool: a key this instance
     * queued, or found queued within the cache's time to live, is known; a key the cache does not
     * know is read as the router decides, as before (reading every such key from the primary while
     * the migration has entries would stop the read shift and its shadow reads for that long).
     *
     * @return false for a repository without a queue (it writes nothing)
     */
    boolean mayBeQueued(String entity, String key) {
        if (queue == null) {
            return false;
        }
        return QueueAccess.cachedPendingKeys(queue, migration, entity, List.of(key)).map(keys -> !keys.isEmpty())
                .orElse(false);
    }

    /**
     * {@link #pending} for many keys of one entity at once, as the asynchronous copier checks a
     * batch: answered from the queue's cache when it can be, else by one check of all the keys on a
     * helper thread within the copy time. When the queue cannot tell (in time), no key is pending: a
     * direct copy is still safe, it copies the committed row under its lock.
     *
     * @return the keys that have entries in the queue
     */
    Set<String> pendingKeys(String entity, List<String> keys, CopyBudget budget) {
        Optional<Set<String>> known = QueueAccess.cachedPendingKeys(queue, migration, entity, keys);
        if (known.isPresent()) {
            return known.get();
        }
        try {
            return budget.callWithinCopyTime("the pending check of " + keys.size() + " key(s) of " + entity,
                    () -> QueueAccess.pendingKeys(queue, migration, entity, keys), late -> { });
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Retry-queue could not tell which of {} key(s) of {}/{} are pending; copying them directly: {}",
                    keys.size(), migration, entity, Redaction.describe(e, resync.logValues()));
            return Set.of();
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.debug("Could not roll back the writer's connection after a failed enqueue: {}", e.getMessage());
        }
    }
}
