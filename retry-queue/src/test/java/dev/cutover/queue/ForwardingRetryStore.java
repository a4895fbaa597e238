package dev.cutover.queue;

import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.queue.internal.RetryStores;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A store that forwards every call, for tests that intercept a few. */
class ForwardingRetryStore implements OwnRetryStore {
    private final RetryStore delegate;

    ForwardingRetryStore(RetryStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public ClaimResult claim(String owner, Instant now, int limit, Duration lease, Optional<Set<String>> migrations) {
        return delegate.claim(owner, now, limit, lease, migrations);
    }

    @Override
    public List<RetryEntry> parkUnreadable(Instant now) {
        return RetryStores.parkUnreadable(delegate, now);
    }

    @Override
    public long blockedCount() {
        return RetryStores.blockedCount(delegate);
    }

    @Override
    public long enqueueCoalescing(NewRetryEntry entry, Instant due) {
        return RetryStores.enqueueCoalescing(delegate, entry, due);
    }

    @Override
    public boolean hasEntries(String migration) {
        return RetryStores.hasEntries(delegate, migration);
    }

    @Override
    public long countEntries(String migration, String operation) {
        return RetryStores.countEntries(delegate, migration, operation);
    }

    @Override
    public int makeDue(String migration, String operation, Instant now) {
        return RetryStores.makeDue(delegate, migration, operation, now);
    }

    @Override
    public long enqueue(NewRetryEntry entry, Instant now) {
        return delegate.enqueue(entry, now);
    }

    @Override
    public int completeAll(List<RetryEntry> claimed) {
        return delegate.completeAll(claimed);
    }

    @Override
    public boolean fail(RetryEntry claimed, String error, Instant nextAttemptAt) {
        return delegate.fail(claimed, error, nextAttemptAt);
    }

    @Override
    public boolean park(RetryEntry claimed, String reason) {
        return delegate.park(claimed, reason);
    }

    @Override
    public boolean release(RetryEntry claimed) {
        return delegate.release(claimed);
    }

    @Override
    public boolean hasEntries(String migration, String entity, String key) {
        return delegate.hasEntries(migration, entity, key);
    }

    @Override
    public Set<String> keysWithEntries(String migration, String entity, Collection<String> keys) {
        return RetryStores.keysWithEntries(delegate, migration, entity, keys);
    }

    @Override
    public long pendingCount() {
        return delegate.pendingCount();
    }

    @Override
    public Map<String, QueueDepth> stats() {
        return delegate.stats();
    }

    @Override
    public List<RetryEntry> parked(int limit) {
        return delegate.parked(limit);
    }

    @Override
    public Optional<RetryEntry> find(long id) {
        return delegate.find(id);
    }

    @Override
    public boolean requeue(long id, Instant now) {
        return delegate.requeue(id, now);
    }

    @Override
    public boolean discard(long id) {
        return delegate.discard(id);
    }
}
