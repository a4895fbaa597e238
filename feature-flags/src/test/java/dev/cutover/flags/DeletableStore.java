package dev.cutover.flags;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * An in-memory store whose rows can be deleted, as an operator's {@code DELETE} on the flag table
 * would, and whose loads can be made to hang, as a stalled pool would.
 */
final class DeletableStore implements FlagStore {
    private final Map<String, MigrationState> rows = new HashMap<>();
    private volatile CountDownLatch hang;

    synchronized void delete(String migration) {
        rows.remove(migration);
    }

    /** Makes every load wait until {@link #release()}. */
    void hang() {
        hang = new CountDownLatch(1);
    }

    void release() {
        CountDownLatch latch = hang;
        hang = null;
        if (latch != null) {
            latch.countDown();
        }
    }

    @Override
    public Map<String, MigrationState> loadAll() {
        CountDownLatch latch = hang;
        if (latch != null) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FlagStoreException("interrupted (test)", e);
            }
        }
        synchronized (this) {
            return Map.copyOf(rows);
        }
    }

    @Override
    public synchronized MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
        MigrationState current = rows.get(expected.migration());
        long version = current == null ? 0 : current.version();
        if (version != expected.version()) {
            throw new ConcurrentFlipException("expected " + expected.version() + ", stored " + version + " (test)");
        }
        MigrationState stored = next.toBuilder().version(version + 1).build();
        rows.put(stored.migration(), stored);
        return stored;
    }

    @Override
    public List<FlagChange> audit(String migration, int limit) {
        return List.of();
    }
}
