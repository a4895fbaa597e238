package dev.cutover.queue.internal;

import dev.cutover.queue.ClaimResult;
import dev.cutover.queue.EntryStatus;
import dev.cutover.queue.QueueDepth;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.ReplayMode;
import dev.cutover.queue.RetryEntry;
import dev.cutover.queue.RetryStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@link RetryStore} in a map, under one lock: every operation is atomic, so claims never conflict.
 * Same claim rules as the JDBC store.
 */
public final class InMemoryRetryStore implements OwnRetryStore {
    private final Object lock = new Object();
    private final TreeMap<Long, RetryEntry> entries = new TreeMap<>();
    private long lastId;

    @Override
    public long enqueue(NewRetryEntry entry, Instant now) {
        Objects.requireNonNull(entry, "null entry");
        Objects.requireNonNull(now, "null now");
        synchronized (lock) {
            if (entry.mode() == ReplayMode.RESYNC) {
                // Not an entry never tried and not yet due: it may be an intent whose write still runs.
                entries.values().removeIf(e -> sameKey(e, entry.migration(), entry.entity(), entry.key())
                        && e.status() == EntryStatus.PENDING && e.leaseOwner() == null
                        && (e.attempts() > 0 || !e.nextAttemptAt().isAfter(now)));
            }
            long id = ++lastId;
            entries.put(id, new RetryEntry(id, entry.migration(), entry.entity(), entry.key(), entry.mode(),
                    entry.operation(), entry.payload().toString(), EntryStatus.PENDING, 0, now, null, now, null, null));
            return id;
        }
    }

    @Override
    public long enqueueCoalescing(NewRetryEntry entry, Instant due) {
        Objects.requireNonNull(entry, "null entry");
        Objects.requireNonNull(due, "null due");
        synchronized (lock) {
            RetryEntry newest = null;
            for (RetryEntry e : entries.descendingMap().values()) {
                if (sameKey(e, entry.migration(), entry.entity(), entry.key())) {
                    newest = e;
                    break;
                }
            }
            if (newest != null && newest.status() == EntryStatus.PENDING && newest.leaseOwner() == null
                    && newest.mode() == entry.mode() && newest.operation().equals(entry.operation())
                    && newest.payload().equals(entry.payload().toString())) {
                Instant later = newest.nextAttemptAt().isAfter(due) ? newest.nextAttemptAt() : due;
                entries.put(newest.id(), new RetryEntry(newest.id(), newest.migration(), newest.entity(), newest.key(),
                        newest.mode(), newest.operation(), newest.payload(), newest.status(), newest.attempts(), later,
                        newest.lastError(), newest.createdAt(), null, null));
                return newest.id();
            }
            return enqueue(entry, due);
        }
    }

    @Override
    public ClaimResult claim(String owner, Instant now, int limit, Duration lease, Optional<Set<String>> migrations) {
        Objects.requireNonNull(owner, "null owner");
        Objects.requireNonNull(migrations, "null migrations");
        Instant until = now.plus(lease);
        synchronized (lock) {
            Set<KeyOf> liveLeases = new HashSet<>();
            for (RetryEntry e : entries.values()) {
                if (e.leaseOwner() != null && !e.leaseUntil().isBefore(now)) {
                    liveLeases.add(KeyOf.of(e));
                }
            }
            Set<KeyOf> seen = new HashSet<>();
            List<RetryEntry> claimed = new ArrayList<>();
            for (RetryEntry e : entries.values()) {
                if (claimed.size() == limit) {
                    break;
                }
                if (migrations.isPresent() && !migrations.get().contains(e.migration())) {
                    continue;
                }
                KeyOf key = KeyOf.of(e);
                boolean head = seen.add(key);
                boolean leasable = e.leaseOwner() == null || e.leaseUntil().isBefore(now);
                if (head && leasable && e.status() == EntryStatus.PENDING && !e.nextAttemptAt().isAfter(now)
                        && !liveLeases.contains(key)) {
                    RetryEntry leased = withLease(e, owner, until);
                    entries.put(e.id(), leased);
                    claimed.add(leased);
                }
            }
            return new ClaimResult(claimed, Map.of());
        }
    }

    @Override
    public int completeAll(List<RetryEntry> claimed) {
        synchronized (lock) {
            int removed = 0;
            for (RetryEntry entry : claimed) {
                if (stillClaimed(entry)) {
                    entries.remove(entry.id());
                    removed++;
                }
            }
            return removed;
        }
    }

    @Override
    public boolean fail(RetryEntry claimed, String error, Instant nextAttemptAt) {
        synchronized (lock) {
            if (!stillClaimed(claimed)) {
                return false;
            }
            RetryEntry e = entries.get(claimed.id());
            entries.put(e.id(), new RetryEntry(e.id(), e.migration(), e.entity(), e.key(), e.mode(), e.operation(), e.payload(),
                    EntryStatus.PENDING, e.attempts() + 1, nextAttemptAt, error, e.createdAt(), null, null));
            return true;
        }
    }

    @Override
    public boolean park(RetryEntry claimed, String reason) {
        synchronized (lock) {
            if (!stillClaimed(claimed)) {
                return false;
            }
            RetryEntry e = entries.get(claimed.id());
            entries.put(e.id(), new RetryEntry(e.id(), e.migration(), e.entity(), e.key(), e.mode(), e.operation(), e.payload(),
                    EntryStatus.PARKED, e.attempts() + 1, e.nextAttemptAt(), reason, e.createdAt(), null, null));
            return true;
        }
    }

    @Override
    public boolean release(RetryEntry claimed) {
        synchronized (lock) {
            if (!stillClaimed(claimed)) {
                return false;
            }
            entries.put(claimed.id(), withLease(entries.get(claimed.id()), null, null));
            return true;
        }
    }

    @Override
    public boolean hasEntries(String migration, String entity, String key) {
        synchronized (lock) {
            return entries.values().stream().anyMatch(e -> sameKey(e, migration, entity, key));
        }
    }

    @Override
    public Set<String> keysWithEntries(String migration, String entity, Collection<String> keys) {
        return RetryStores.keysOneByOne(this, migration, entity, keys);
    }

    @Override
    public boolean hasEntries(String migration) {
        return stats().containsKey(Objects.requireNonNull(migration, "null migration"));
    }

    /** Entries here are written by this class alone, so none is ever unreadable. */
    @Override
    public List<RetryEntry> parkUnreadable(Instant now) {
        return List.of();
    }

    @Override
    public long blockedCount() {
        synchronized (lock) {
            Set<KeyOf> blocked = new HashSet<>();
            long count = 0;
            for (RetryEntry e : entries.values()) {
                if (e.status() != EntryStatus.PENDING) {
                    blocked.add(KeyOf.of(e));
                } else if (blocked.contains(KeyOf.of(e))) {
                    count++;
                }
            }
            return count;
        }
    }

    @Override
    public long pendingCount() {
        synchronized (lock) {
            return entries.values().stream().filter(e -> e.status() == EntryStatus.PENDING).count();
        }
    }

    @Override
    public Map<String, QueueDepth> stats() {
        synchronized (lock) {
            Map<String, QueueDepth> stats = new HashMap<>();
            for (RetryEntry e : entries.values()) {
                QueueDepth add = e.status() == EntryStatus.PENDING
                        ? new QueueDepth(1, 0, Optional.of(e.createdAt()))
                        : new QueueDepth(0, 1, Optional.empty());
                stats.merge(e.migration(), add, (a, b) -> new QueueDepth(a.pending() + b.pending(),
                        a.parked() + b.parked(), a.oldestPendingCreatedAt().or(b::oldestPendingCreatedAt)));
            }
            return stats;
        }
    }

    @Override
    public List<RetryEntry> parked(int limit) {
        synchronized (lock) {
            return entries.values().stream().filter(e -> e.status() == EntryStatus.PARKED).limit(limit).toList();
        }
    }

    @Override
    public Optional<RetryEntry> find(long id) {
        synchronized (lock) {
            return Optional.ofNullable(entries.get(id));
        }
    }

    @Override
    public boolean requeue(long id, Instant now) {
        synchronized (lock) {
            RetryEntry e = entries.get(id);
            if (e == null || e.status() == EntryStatus.PENDING) {
                return false;
            }
            entries.put(id, new RetryEntry(id, e.migration(), e.entity(), e.key(), e.mode(), e.operation(), e.payload(),
                    EntryStatus.PENDING, 0, now, e.lastError(), e.createdAt(), null, null));
            return true;
        }
    }

    @Override
    public boolean discard(long id) {
        synchronized (lock) {
            RetryEntry e = entries.get(id);
            if (e == null || e.status() == EntryStatus.PENDING) {
                return false;
            }
            entries.remove(id);
            return true;
        }
    }

    @Override
    public long countEntries(String migration, String operation) {
        synchronized (lock) {
            return entries.values().stream()
                    .filter(e -> e.migration().equals(migration) && e.operation().equals(operation)).count();
        }
    }

    @Override
    public int makeDue(String migration, String operation, Instant now) {
        synchronized (lock) {
            int changed = 0;
            for (RetryEntry e : List.copyOf(entries.values())) {
                if (e.migration().equals(migration) && e.operation().equals(operation) && e.status() == EntryStatus.PENDING
                        && e.leaseOwner() == null && e.nextAttemptAt().isAfter(now)) {
                    entries.put(e.id(), new RetryEntry(e.id(), e.migration(), e.entity(), e.key(), e.mode(), e.operation(),
                            e.payload(), e.status(), e.attempts(), now, e.lastError(), e.createdAt(), null, null));
                    changed++;
                }
            }
            return changed;
        }
    }

    private boolean stillClaimed(RetryEntry claimed) {
        RetryEntryTable.requireClaimed(claimed);
        RetryEntry e = entries.get(claimed.id());
        return e != null && claimed.leaseOwner().equals(e.leaseOwner()) && claimed.leaseUntil().equals(e.leaseUntil());
    }

    private static boolean sameKey(RetryEntry e, String migration, String entity, String key) {
        return e.migration().equals(migration) && e.entity().equals(entity) && e.key().equals(key);
    }

    private static RetryEntry withLease(RetryEntry e, String owner, Instant until) {
        return new RetryEntry(e.id(), e.migration(), e.entity(), e.key(), e.mode(), e.operation(), e.payload(),
                e.status(), e.attempts(), e.nextAttemptAt(), e.lastError(), e.createdAt(), owner, until);
    }

    private record KeyOf(String migration, String entity, String key) {
        static KeyOf of(RetryEntry e) {
            return new KeyOf(e.migration(), e.entity(), e.key());
        }
    }
}
