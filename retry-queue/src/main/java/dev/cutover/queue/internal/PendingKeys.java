package dev.cutover.queue.internal;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The retry queue's cache of which keys have entries. Every mirrored write asks whether its key is
 * pending, so the answers are cached per key, and per migration whether it has entries at all, so
 * that the usual empty queue costs no query per key. A key is marked pending when this instance
 * enqueues for it and forgotten when its entry is replayed or discarded; what other instances do is
 * seen when the answer expires ({@link RetryQueueConfig#pendingCacheTtl()}, on the configured clock).
 * Only ever wrong towards pending, which queues a write needlessly but never loses one. Thread-safe.
 */
public final class PendingKeys {
    private final RetryStore store;
    private final LoadingCache<Key, Boolean> pending;
    /** Whether a migration has any entry, so that keys of an empty queue cost no query each. */
    private final LoadingCache<String, Boolean> migrationHasEntries;

    /**
     * @param store the store the answers come from
     * @param config the cache's size, time-to-live and clock
     */
    public PendingKeys(RetryStore store, RetryQueueConfig config) {
        this.store = store;
        Clock clock = config.clock();
        this.pending = Caffeine.newBuilder()
                .expireAfterWrite(config.pendingCacheTtl())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .maximumSize(config.pendingCacheSize())
                .build(key -> store.hasEntries(key.migration(), key.entity(), key.key()));
        this.migrationHasEntries = Caffeine.newBuilder()
                .expireAfterWrite(config.pendingCacheTtl())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build(migration -> RetryStores.hasEntries(store, migration));
    }

    /** Marks a key pending, with its migration, once an entry of it is enqueued. */
    public void enqueued(String migration, String entity, String key) {
        migrationHasEntries.put(migration, Boolean.TRUE);
        pending.put(new Key(migration, entity, key), Boolean.TRUE);
    }

    /** Forgets a key's answer, once an entry of it is replayed or discarded: it may have no entries left. */
    public void forget(String migration, String entity, String key) {
        pending.invalidate(new Key(migration, entity, key));
    }

    /** @see QueueAccess#isPending(dev.cutover.queue.RetryQueue, String, String, String) */
    public boolean isPending(String migration, String entity, String key) {
        Key pendingKey = new Key(migration, entity, key);
        return migrationHasEntries.get(migration) && pending.get(pendingKey);
    }

    /** @see QueueAccess#pendingKeys */
    public Set<String> pendingKeys(String migration, String entity, Collection<String> keys) {
        Objects.requireNonNull(entity, "null entity");
        if (!migrationHasEntries.get(Objects.requireNonNull(migration, "null migration"))) {
            return Set.of();
        }
        Set<String> found = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String key : keys) {
            Boolean cached = pending.getIfPresent(new Key(migration, entity, key));
            if (cached == null) {
                unknown.add(key);
            } else if (cached) {
                found.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            for (String key : RetryStores.keysWithEntries(store, migration, entity, unknown)) {
                // Only the pending answer is cached: it is the safe one, should an entry of the key be
                // enqueued or replayed meanwhile.
                pending.put(new Key(migration, entity, key), Boolean.TRUE);
                found.add(key);
            }
        }
        return found;
    }

    /** @see QueueAccess#cachedPendingKeys */
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
            Boolean cached = pending.getIfPresent(new Key(migration, entity, key));
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
     * {@link #isPending(String, String, String)}, reading the store on a cache miss on the caller's connection.
     *
     * @see QueueAccess#isPending(dev.cutover.queue.RetryQueue, Connection, String, String, String)
     */
    public boolean isPending(RetryEntryTable table, Connection connection, String migration, String entity, String key)
            throws SQLException {
        try {
            return migrationHasEntries.get(migration, m -> uncheck(() -> table.hasEntries(connection, m)))
                    && pending.get(new Key(migration, entity, key),
                            k -> uncheck(() -> table.hasEntries(connection, k.migration(), k.entity(), k.key())));
        } catch (UncheckedSqlException e) {
            throw e.sql;
        }
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

    private record Key(String migration, String entity, String key) {
        Key {
            Objects.requireNonNull(migration, "null migration");
            Objects.requireNonNull(entity, "null entity");
            Objects.requireNonNull(key, "null key");
        }
    }
}
