package dev.cutover.dualwrite;

import dev.cutover.common.internal.Redaction;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.internal.QueueAccess;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MirrorMode#ASYNC} copier of one {@link RowCopier} (so of one migration in the
 * runtime): keys written through any of its repositories wait in memory and a copier thread copies
 * them with the row copier (batched, under the sending side's row locks, so in commit order);
 * failed copies become retry-queue entries as in the synchronous mode. Pending keys are looked up
 * per migration, so a read through any repository of the migration sees the primary for them.
 *
 * <p><b>Batches.</b> The copier lets a batch gather until its oldest key was written
 * {@code asyncGatherDelay} ago or it holds {@code asyncBatchSize} keys, so that a writer wakes it only
 * when it is idle or the batch is full, and checks the batch's keys against the retry-queue at once
 * ({@link Mirror#pendingKeys}).
 *
 * <p><b>Primary moves.</b> Each pending key holds its write's {@link WritePermit} open until the
 * key is copied or queued, so this instance's handover waits for it. Other instances only wait for
 * the copy window of the old primary (the permit's deadline) and then for the retry-queue to drain:
 * a fence thread therefore watches the permits, and as soon as the primary moved or the window is
 * closing it queues every key not yet copied (also those being copied) in the retry-queue, before
 * the deadline, where the handover's queue drain on every instance waits for it. A copy that then
 * misses the window is rolled back and its key is already queued. Only when that queueing itself
 * misses the window is a key late ({@link DualWriteCounters#asyncLate()}, logged as an error).
 *
 * <p><b>Lifecycle.</b> Two daemon threads, started at the first write, stopped by {@link #close()},
 * which copies (or queues) every pending key first and removes the flag listeners; keys submitted
 * after it are handed back to the caller, which mirrors them inside the call.
 *
 * <p>Thread-safe.
 */
final class AsyncMirror implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncMirror.class);
    /** How often the fence thread looks at the pending keys' copy window while any are pending. */
    private static final long FENCE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private final RowCopier resync;
    private final int backlog;
    private final int batchSize;
    /**
     * How long the copier lets a batch gather after its oldest key was written, unless the batch
     * fills first: one copy then carries the keys of many writes, and the writers do not wake the
     * copier for each of them.
     */
    private final long gatherNanos;
    private final Object lock = new Object();
    /** Keys waiting for their copy, oldest first; guarded by {@link #lock}. */
    private final LinkedHashMap<Owed, Entry> pending = new LinkedHashMap<>();
    /** Entries the copier took and has not resolved; guarded by {@link #lock}. */
    private final Set<Entry> copying = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Pending or copying entries per migration and routing key (any entity), for read-your-writes; guarded by {@link #lock}. */
    private final Map<Owed, Integer> owedByKey = new HashMap<>();
    /** The flip listeners, one per flags and migration, removed at close; guarded by {@link #lock}. */
    private final Map<MigrationFlags, Map<String, AutoCloseable>> listeners = new IdentityHashMap<>();
    /** Guarded by {@link #lock}; null until the first write. */
    private Thread copier;
    private Thread fence;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** Whether the copier waits for a first key, which must wake it; guarded by {@link #lock}. */
    private boolean copierIdle;
    /** Whether the fence waits for a first key, which must wake it; guarded by {@link #lock}. */
    private boolean fenceIdle;

    /** A key of a migration; with a null entity, a routing key of any entity. */
    private record Owed(String migration, String entity, String key) {
    }

    AsyncMirror(RowCopier resync) {
        this.resync = resync;
        this.backlog = resync.asyncBacklog();
        this.batchSize = resync.asyncBatchSize();
        this.gatherNanos = resync.asyncGatherDelay().toNanos();
    }

    /**
     * Watches a migration's flags: the thread that installs a move of its primary (an own flip, or
     * the refresh that found it) queues the pending keys at once, since the fence thread's next look
     * may come too late on a busy machine, when the window after a move is only the handover pause
     * less a refresh interval. Once per flags and migration; removed at {@link #close()}.
     */
    void watch(MigrationFlags flags, String migration) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            listeners.computeIfAbsent(flags, f -> new HashMap<>()).computeIfAbsent(migration,
                    m -> flags.addListener((before, after) -> {
                        if (after.migration().equals(m) && before.stage().primary() != after.stage().primary()) {
                            flushIfOwed();
                        }
                    }));
        }
    }

    private void flushIfOwed() {
        boolean owed;
        synchronized (lock) {
            owed = !pending.isEmpty() || !copying.isEmpty();
        }
        if (owed) {
            flush();
        }
    }

    /**
     * A write's permit shared by the keys it left pending: closed when the last of them is resolved
     * (and the write call itself is done), so that the handover waits for every one.
     */
    static final class HeldPermit {
        final WritePermit permit;
        private final AtomicInteger holders = new AtomicInteger(1);

        HeldPermit(WritePermit permit) {
            this.permit = permit;
        }

        HeldPermit retain() {
            holders.incrementAndGet();
            return this;
        }

        void release() {
            if (holders.decrementAndGet() == 0) {
                permit.close();
            }
        }
    }

    /** A pending key: resolved once, when copied or queued (or found late), which releases its permit. */
    private static final class Entry {
        final Mirror mirror;
        final Mirror.Key key;
        final Side from;
        final HeldPermit held;
        final long writtenNanos;
        private final AtomicBoolean resolved = new AtomicBoolean();

        Entry(Mirror mirror, Mirror.Key key, Side from, HeldPermit held, long writtenNanos) {
            this.mirror = mirror;
            this.key = key;
            this.from = from;
            this.held = held;
            this.writtenNanos = writtenNanos;
        }

        boolean resolved() {
            return resolved.get();
        }

        /** @return whether this call resolved it */
        boolean resolve() {
            if (resolved.compareAndSet(false, true)) {
                held.release();
                return true;
            }
            return false;
        }

        Owed owed() {
            return new Owed(mirror.migration(), key.entity(), key.key());
        }

        Owed owedRoutingKey() {
            return new Owed(mirror.migration(), null, key.key());
        }
    }

    /** Entries that one copy or one enqueue handles together: same repository mirror, entity and direction. */
    private record Group(Mirror mirror, String entity, Side from) {
    }

    /**
     * Leaves a write's keys to the copier; a key already pending is coalesced into its entry. Called
     * after the primary committed, with the write's permit.
     *
     * @param mirror the writing repository's mirror
     * @return the keys it did not take, because the backlog is full or the copier is closed: the
     *     caller mirrors them itself, inside the call
     */
    List<Mirror.Key> submit(Mirror mirror, List<Mirror.Key> keys, Side from, HeldPermit held) {
        DualWriteCounters stats = mirror.stats();
        long now = System.nanoTime();
        List<Mirror.Key> overflow = List.of();
        synchronized (lock) {
            if (closed) {
                return List.copyOf(keys);
            }
            for (Mirror.Key key : keys) {
                Owed owed = new Owed(mirror.migration(), key.entity(), key.key());
                Entry existing = pending.get(owed);
                if (existing != null && existing.from == from && existing.mirror.queue() == mirror.queue()) {
                    // Its copy has not read the row yet, and will read this write's row under the lock.
                    stats.coalescedAsync();
                } else if (existing != null || pending.size() + copying.size() >= backlog) {
                    if (overflow.isEmpty()) {
                        overflow = new ArrayList<>();
                    }
                    overflow.add(key);
                    stats.asyncOverflow();
                } else {
                    Entry entry = new Entry(mirror, key, from, held.retain(), now);
                    pending.put(owed, entry);
                    owedByKey.merge(entry.owedRoutingKey(), 1, Integer::sum);
                    stats.asyncPending(1);
                }
            }
            startThreads(mirror.migration());
            // A copier that gathers a batch wakes by itself when the oldest key has waited long
            // enough, and one that copies takes the new keys next: only an idle thread or a full
            // batch needs the wake-up.
            if (copierIdle || fenceIdle || pending.size() >= batchSize) {
                lock.notifyAll();
            }
        }
        return overflow;
    }

    /**
     * @param migration the migration
     * @param key a routing key, as the repository's routing key function renders it
     * @return whether a write of that key in that migration has not been copied yet
     */
    boolean owes(String migration, String key) {
        synchronized (lock) {
            return owedByKey.containsKey(new Owed(migration, null, key));
        }
    }

    /** @return whether {@link #close()} was called: keys are no longer taken */
    boolean closed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Starts the threads at the first write, named after its migration; under {@link #lock}. */
    private void startThreads(String migration) {
        if (copier != null) {
            return;
        }
        copier = new Thread(this::copyLoop, "cutover-async-mirror-" + migration);
        copier.setDaemon(true);
        copier.start();
        fence = new Thread(this::fenceLoop, "cutover-async-fence-" + migration);
        fence.setDaemon(true);
        fence.start();
    }

    private void copyLoop() {
        for (;;) {
            List<Entry> batch = new ArrayList<>();
            synchronized (lock) {
                if (!awaitBatch()) {
                    return;
                }
                Iterator<Entry> oldest = pending.values().iterator();
                while (oldest.hasNext() && batch.size() < batchSize) {
                    Entry entry = oldest.next();
                    oldest.remove();
                    copying.add(entry);
                    batch.add(entry);
                }
            }
            try {
                copy(batch);
            } catch (RuntimeException | Error e) {
                LOG.error("The asynchronous copy of {} key(s) failed unexpectedly; queueing them", batch.size(), e);
                queueAfterFailure(batch);
            } finally {
                done(batch);
            }
        }
    }

    /**
     * Waits, under {@link #lock}, until keys are pending and either the batch is full, its oldest
     * key was written {@link #gatherNanos} ago, or the copier closes.
     *
     * @return false once the copier is closed and nothing is pending
     */
    private boolean awaitBatch() {
        for (;;) {
            long wait = 0;
            if (pending.isEmpty()) {
                if (closed) {
                    return false;
                }
                copierIdle = true;
            } else {
                long left = pending.values().iterator().next().writtenNanos + gatherNanos - System.nanoTime();
                if (closed || pending.size() >= batchSize || left <= 0) {
                    return true;
                }
                // Object.wait counts whole milliseconds.
                wait = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
            }
            try {
                lock.wait(wait);
            } catch (InterruptedException e) {
                LOG.debug("The asynchronous copier ignores an interrupt: pending keys need it; close() stops it");
            } finally {
                copierIdle = false;
            }
        }
    }

    /** Queues a failed batch; the copier thread must outlive any failure, or pending keys would wait forever. */
    private void queueAfterFailure(List<Entry> batch) {
        try {
            byGroup(unresolved(batch)).values().forEach(this::queue);
        } catch (RuntimeException | Error e) {
            LOG.error("Could not queue {} asynchronous key(s) after a failed copy; queueing them as late", batch.size(), e);
            late(batch);
        }
    }

    private static Map<Group, List<Entry>> byGroup(List<Entry> entries) {
        Map<Group, List<Entry>> groups = new LinkedHashMap<>();
        for (Entry entry : entries) {
            groups.computeIfAbsent(new Group(entry.mirror, entry.key.entity(), entry.from), g -> new ArrayList<>())
                    .add(entry);
        }
        return groups;
    }

    private void copy(List<Entry> batch) {
        for (List<Entry> group : byGroup(batch).values()) {
            copyGroup(group);
        }
    }

    /** Copies one group's keys: all of them hold permits of this instance's current epoch. */
    private void copyGroup(List<Entry> group) {
        List<Entry> open = unresolved(group);
        if (open.isEmpty()) {
            return;
        }
        Mirror mirror = open.get(0).mirror;
        Side from = open.get(0).from;
        WritePermit permit = open.get(0).held.permit;
        CopyBudget budget = CopyBudget.start(resync.copyBudget());
        if (!permit.ensureCopyWindow()) {
            queue(open);
            return;
        }
        List<Entry> toQueue = new ArrayList<>();
        List<Entry> toCopy = new ArrayList<>();
        List<String> keys = new ArrayList<>(open.size());
        open.forEach(entry -> keys.add(entry.key.key()));
        // One check for the whole group, not one per key: each was a hand-off to a helper thread,
        // and a query once the queue held any entry.
        Set<String> pendingKeys = mirror.pendingKeys(open.get(0).key.entity(), keys, budget);
        for (Entry entry : open) {
            if (pendingKeys.contains(entry.key.key())) {
                mirror.stats().deferredBehindPending(from.other());
                toQueue.add(entry);
            } else {
                toCopy.add(entry);
            }
        }
        List<Entry> oneByOne = toCopy;
        if (toCopy.size() > 1) {
            oneByOne = copyBatch(mirror, toCopy, from, permit, budget, toQueue);
        }
        for (Entry entry : oneByOne) {
            Mirror.CopyOutcome outcome = mirror.copy(entry.key, from, null, budget, permit);
            if (outcome == Mirror.CopyOutcome.COPIED) {
                copied(entry);
            } else if (outcome == Mirror.CopyOutcome.LATE) {
                late(List.of(entry));
            } else {
                toQueue.add(entry);
            }
        }
        if (!toQueue.isEmpty()) {
            queue(toQueue);
        }
    }

    /** @return the entries the batch did not copy, for one-key copies (those it failed go to {@code toQueue}) */
    private List<Entry> copyBatch(Mirror mirror, List<Entry> toCopy, Side from, WritePermit permit, CopyBudget budget,
            List<Entry> toQueue) {
        Map<Mirror.Key, Entry> byKey = new LinkedHashMap<>();
        toCopy.forEach(entry -> byKey.put(entry.key, entry));
        Mirror.Batch batch = mirror.copyBatch(List.copyOf(byKey.keySet()), from, null, budget, permit);
        switch (batch.outcome()) {
            case COPIED -> {
                List<Entry> left = new ArrayList<>();
                batch.rest().forEach(key -> left.add(byKey.remove(key)));
                byKey.values().forEach(AsyncMirror::copied);
                return left;
            }
            case LATE -> late(toCopy);
            case FAILED -> toQueue.addAll(toCopy);
        }
        return List.of();
    }

    private static void copied(Entry entry) {
        if (entry.resolve()) {
            entry.mirror.stats().asyncCopied(System.nanoTime() - entry.writtenNanos);
        }
    }

    /**
     * Queues one group's keys in the retry-queue inside their permit's copy window, on this thread
     * (not on the copy budget's helper threads, which copies to a stalled side may all hold), in one
     * transaction when the queue keeps its entries in the sending side's database. Keys that cannot
     * be queued before the window closes are late.
     */
    private void queue(List<Entry> entries) {
        List<Entry> open = unresolved(entries);
        if (open.isEmpty()) {
            return;
        }
        Mirror mirror = open.get(0).mirror;
        DualWriteCounters stats = mirror.stats();
        Side from = open.get(0).from;
        WritePermit permit = open.get(0).held.permit;
        // No reserve is kept here, unlike a write's own enqueue: the check after the enqueue proves
        // the entries visible before the deadline, and an entry that became visible after it is
        // replayed from the new primary by CopyReplayHandler, like the late-write entry added then.
        if (!permit.ensureBeforeDeadline()) {
            late(open);
            return;
        }
        RetryQueue queue = mirror.queue();
        DataSource sending = resync.dataSource(from);
        boolean queued = false;
        if (QueueAccess.storesIn(queue, sending)) {
            queued = queueInOneTransaction(mirror, sending, open, from);
        }
        if (!queued) {
            for (Entry entry : open) {
                try {
                    queue.enqueue(CopyReplayHandler.entry(mirror.migration(), entry.key.entity(), entry.key.key(), from));
                    stats.enqueued(from.other(), true);
                } catch (RuntimeException e) {
                    stats.enqueued(from.other(), false);
                    LOG.error("Could not queue the asynchronous copy of {}/{}/{}: the {} may stay behind for this key"
                            + " until it is written again or verified", mirror.migration(), entry.key.entity(),
                            entry.key.key(), lower(from.other()), Redaction.loggable(e, resync.logValues()));
                }
            }
        }
        if (!permit.ensureBeforeDeadline()) {
            late(open);
            return;
        }
        open.forEach(Entry::resolve);
    }

    /** @return whether every entry was queued in one transaction on a connection of the queue's pool */
    private boolean queueInOneTransaction(Mirror mirror, DataSource pool, List<Entry> entries, Side from) {
        RetryQueue queue = mirror.queue();
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            try {
                for (Entry entry : entries) {
                    queue.enqueue(connection, CopyReplayHandler.entry(mirror.migration(), entry.key.entity(),
                            entry.key.key(), from));
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
            entries.forEach(e -> mirror.stats().enqueued(from.other(), true));
            return true;
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Could not queue {} asynchronous key(s) of {} in one transaction, queueing them one by one: {}",
                    entries.size(), mirror.migration(), Redaction.describe(e, resync.logValues()));
            return false;
        }
    }

    /** Entries whose copy missed the window: queued for a copy from the primary after the handover, unless already queued. */
    private static void late(List<Entry> entries) {
        List<Entry> open = unresolved(entries);
        for (Entry entry : open) {
            entry.mirror.late(entry.key, entry.from);
        }
        lateLogged(open);
        open.forEach(Entry::resolve);
    }

    private static void lateLogged(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        entries.forEach(e -> e.mirror.stats().lateAsync());
        LOG.error("{} asynchronous write(s) of {} ({}) were neither copied nor queued before the copy window of the {}"
                + " closed: the primary moved or this instance's flags were not confirmed, and the retry-queue did not"
                + " take them in time. Each key is queued for a copy from the new primary, which may lose those"
                + " acknowledged writes. Fix: keep the retry-queue's database reachable and fast during primary moves,"
                + " lower asyncBacklog, or use MirrorMode.SYNC; run the Verifier with repair", entries.size(),
                entries.get(0).mirror.migration(),
                entries.stream().limit(10).map(e -> e.key.entity() + "/" + e.key.key()).toList(),
                lower(entries.get(0).from));
    }

    private void done(List<Entry> batch) {
        synchronized (lock) {
            for (Entry entry : batch) {
                copying.remove(entry);
                owedByKey.computeIfPresent(entry.owedRoutingKey(), (k, n) -> n == 1 ? null : n - 1);
                entry.mirror.stats().asyncPending(-1);
            }
            lock.notifyAll();
        }
    }

    /**
     * Queues every pending and copying key as soon as the primary moved away from their permit's
     * primary or the copy window is closing: the handover of every instance then waits for them.
     */
    private void fenceLoop() {
        for (;;) {
            WritePermit permit;
            synchronized (lock) {
                while (pending.isEmpty() && copying.isEmpty()) {
                    if (closed) {
                        return;
                    }
                    fenceIdle = true;
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        LOG.debug("The asynchronous fence ignores an interrupt: pending keys need it; close() stops it");
                    } finally {
                        fenceIdle = false;
                    }
                }
                permit = anyPermit();
            }
            if (permit != null && (!permit.copyWindowOpen() || !permit.renew())) {
                try {
                    flush();
                } catch (RuntimeException | Error e) {
                    LOG.error("Could not queue the pending asynchronous keys at a primary move", e);
                }
            }
            LockSupport.parkNanos(FENCE_POLL_NANOS);
        }
    }

    private WritePermit anyPermit() {
        for (Entry entry : pending.values()) {
            if (!entry.resolved()) {
                return entry.held.permit;
            }
        }
        for (Entry entry : copying) {
            if (!entry.resolved()) {
                return entry.held.permit;
            }
        }
        return null;
    }

    /** Queues every unresolved key, pending or being copied; the copier finds them resolved. */
    private void flush() {
        List<Entry> taken = new ArrayList<>();
        List<Entry> inCopy;
        synchronized (lock) {
            taken.addAll(pending.values());
            pending.clear();
            copying.addAll(taken);
            inCopy = unresolved(new ArrayList<>(copying));
        }
        try {
            if (!inCopy.isEmpty()) {
                LOG.info("The copy window of {} is closing (the primary moved, or the flags were not confirmed), or"
                        + " the copier closes: queueing {} asynchronous key(s)", inCopy.get(0).mirror.migration(),
                        inCopy.size());
                byGroup(inCopy).values().forEach(this::queue);
            }
        } finally {
            done(taken);
        }
    }

    /**
     * Stops taking keys, lets the copier copy every pending key (a failed copy is queued, as always),
     * waits for both threads to end and removes the flag listeners. Keys submitted from now on are
     * handed back to their caller. If interrupted while waiting, queues what is still pending on this
     * thread instead, and returns with the interrupt flag set. Idempotent.
     */
    @Override
    public void close() {
        List<AutoCloseable> registrations = new ArrayList<>();
        Thread[] threads;
        synchronized (lock) {
            if (!closed) {
                closed = true;
                listeners.values().forEach(byMigration -> registrations.addAll(byMigration.values()));
                listeners.clear();
                lock.notifyAll();
            }
            threads = new Thread[] {copier, fence};
        }
        try {
            if (threads[0] != null && threads[0] != Thread.currentThread()) {
                threads[0].join();
            }
            // Whatever the copier left (it ended on an unexpected failure) is queued here, so that the
            // fence, which waits for pending keys, ends too.
            flush();
            if (threads[1] != null && threads[1] != Thread.currentThread()) {
                threads[1].join();
            }
        } catch (InterruptedException e) {
            LOG.warn("Interrupted while the asynchronous copier finishes its pending keys: queueing them instead");
            flush();
            Thread.currentThread().interrupt();
        } finally {
            // After the threads: a primary move while the last keys are copied still queues them.
            for (AutoCloseable registration : registrations) {
                try {
                    registration.close();
                } catch (Exception e) {
                    LOG.warn("Could not remove the asynchronous copier's flag listener", e);
                }
            }
        }
    }

    private static List<Entry> unresolved(List<Entry> entries) {
        List<Entry> open = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            if (!entry.resolved()) {
                open.add(entry);
            }
        }
        return open;
    }

    private static String lower(Side side) {
        return side.name().toLowerCase(Locale.ROOT);
    }
}
