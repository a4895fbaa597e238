package dev.cutover.queue.internal;

import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryEntry;
import dev.cutover.queue.RetryStore;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link OwnRetryStore} operations on any {@link RetryStore}: a store of Cutover's own answers
 * them itself; a store of another kind gets what the public protocol alone can give (one
 * {@link RetryStore#hasEntries(String, String, String)} per key, the migration counts of
 * {@link RetryStore#stats()}, a plain enqueue), or an {@link UnsupportedOperationException} where it
 * has no answer.
 */
public final class RetryStores {
    private RetryStores() {
    }

    /**
     * @param store the store
     * @param entry the entry
     * @param due its creation time and first due time
     * @return the id of the new entry, or of the entry it was coalesced into
     * @see OwnRetryStore#enqueueCoalescing
     */
    public static long enqueueCoalescing(RetryStore store, NewRetryEntry entry, Instant due) {
        return store instanceof OwnRetryStore own ? own.enqueueCoalescing(entry, due) : store.enqueue(entry, due);
    }

    /**
     * @param store the store
     * @param now the current time
     * @return the entries parked by this call; none from a store that cannot hold unreadable entries
     * @see OwnRetryStore#parkUnreadable
     */
    public static List<RetryEntry> parkUnreadable(RetryStore store, Instant now) {
        return store instanceof OwnRetryStore own ? own.parkUnreadable(now) : List.of();
    }

    /**
     * @param store the store
     * @return the pending entries that wait behind a parked entry of their key; 0 from a store of
     *     another kind
     * @see OwnRetryStore#blockedCount
     */
    public static long blockedCount(RetryStore store) {
        return store instanceof OwnRetryStore own ? own.blockedCount() : 0;
    }

    /**
     * @param store the store
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have at least one entry
     * @see OwnRetryStore#keysWithEntries
     */
    public static Set<String> keysWithEntries(RetryStore store, String migration, String entity,
            Collection<String> keys) {
        return store instanceof OwnRetryStore own ? own.keysWithEntries(migration, entity, keys)
                : keysOneByOne(store, migration, entity, keys);
    }

    /**
     * {@link OwnRetryStore#keysWithEntries} asked one key at a time.
     *
     * @param store the store
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have at least one entry
     */
    static Set<String> keysOneByOne(RetryStore store, String migration, String entity, Collection<String> keys) {
        Set<String> found = new HashSet<>();
        for (String key : keys) {
            if (store.hasEntries(migration, entity, key)) {
                found.add(key);
            }
        }
        return found;
    }

    /**
     * @param store the store
     * @param migration the migration
     * @return true if at least one entry of the migration is stored, pending or parked
     * @see OwnRetryStore#hasEntries(String)
     */
    public static boolean hasEntries(RetryStore store, String migration) {
        return store instanceof OwnRetryStore own ? own.hasEntries(migration)
                : store.stats().containsKey(Objects.requireNonNull(migration, "null migration"));
    }

    /**
     * @param store the store
     * @param migration the migration
     * @param operation the entries' operation
     * @return the count
     * @throws UnsupportedOperationException if the store is not one of Cutover's own
     * @see OwnRetryStore#countEntries
     */
    public static long countEntries(RetryStore store, String migration, String operation) {
        if (store instanceof OwnRetryStore own) {
            return own.countEntries(migration, operation);
        }
        throw new UnsupportedOperationException(store.getClass().getName() + " cannot count entries by operation");
    }

    /**
     * @param store the store
     * @param migration the migration
     * @param operation the entries' operation
     * @param now the time they become due
     * @return how many entries were made due earlier
     * @throws UnsupportedOperationException if the store is not one of Cutover's own
     * @see OwnRetryStore#makeDue
     */
    public static int makeDue(RetryStore store, String migration, String operation, Instant now) {
        if (store instanceof OwnRetryStore own) {
            return own.makeDue(migration, operation, now);
        }
        throw new UnsupportedOperationException(store.getClass().getName() + " cannot make entries due by operation");
    }
}
