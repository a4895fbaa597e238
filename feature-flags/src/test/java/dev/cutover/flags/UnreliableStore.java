package dev.cutover.flags;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory store whose reads can be made to fail, standing in for an unreachable database. */
final class UnreliableStore implements FlagStore {
    final FlagStore delegate = FlagStore.inMemory();
    final AtomicInteger loads = new AtomicInteger();
    private volatile boolean down;

    void down() {
        down = true;
    }

    void up() {
        down = false;
    }

    @Override
    public Map<String, MigrationState> loadAll() {
        loads.incrementAndGet();
        if (down) {
            throw new FlagStoreException("store is down (test)");
        }
        return delegate.loadAll();
    }

    @Override
    public MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
        return delegate.save(expected, next, actor, reason);
    }

    @Override
    public List<FlagChange> audit(String migration, int limit) {
        return delegate.audit(migration, limit);
    }
}
