package dev.cutover.queue.internal;

import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryEntry;
import dev.cutover.queue.RetryStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * A {@link RetryStore} of Cutover's own ({@link RetryEntryTable}, {@link InMemoryRetryStore}): the
 * queries and updates the retry queue and the dual-write core need beyond the public claim
 * protocol. They stay off {@link RetryStore}'s public API; callers reach them through
 * {@link RetryStores}, which answers for a store of another kind from the public protocol alone.
 */
public interface OwnRetryStore extends RetryStore {

    /**
     * Adds an entry, or coalesces it into its key's newest entry when that entry is pending, not
     * leased and has the same mode, operation and payload: that entry is then due at the later of its
     * due time and {@code due}, and nothing is added. Only for entries whose replay reads the current
     * state when it runs (a copy of the key's row, such as a crash-safe write-ahead intent): two such
     * entries next to each other do what the later one alone does. Pushing the older entry's due time
     * later never uncovers the write it was made for, since a later copy of the row still includes it;
     * an entry that is leased (being replayed) is never changed, as its copy may already have read the
     * row.
     *
     * @param entry the entry
     * @param due its creation time and first due time, as in {@link #enqueue}
     * @return the id of the new entry, or of the entry it was coalesced into
     * @throws dev.cutover.common.CutoverException if a JDBC store cannot write it
     */
    long enqueueCoalescing(NewRetryEntry entry, Instant due);

    /**
     * Parks the entries whose stored status or replay mode this version cannot read, each with a
     * last error that names the column, the stored value and the fix. Such entries are never claimed;
     * until parked they block their own key like a parked entry. An entry with a live lease is left
     * until the lease ends.
     *
     * @param now the current time
     * @return the entries parked by this call, as parked now; each is returned by one call only
     */
    List<RetryEntry> parkUnreadable(Instant now);

    /**
     * Counts the pending entries that wait behind a parked entry (or one that counts as parked) of
     * their key, so that only an operator can let them drain.
     *
     * @return the count
     */
    long blockedCount();

    /**
     * Which of a set of keys of one entity have any entry stored, pending or parked: the batched
     * {@link #hasEntries(String, String, String)}.
     *
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have at least one entry
     */
    Set<String> keysWithEntries(String migration, String entity, Collection<String> keys);

    /**
     * Whether any entry of a migration is stored, pending or parked.
     *
     * @param migration the migration
     * @return true if at least one is
     */
    boolean hasEntries(String migration);

    /**
     * Counts a migration's entries of one operation, whatever their status (pending, leased, parked):
     * how many copies of one direction are still owed, e.g. before a primary move may finish.
     *
     * @param migration the migration
     * @param operation the entries' operation
     * @return the count
     */
    long countEntries(String migration, String operation);

    /**
     * Makes a migration's pending, unleased entries of one operation due now (write-ahead intents that
     * would wait for their delay, entries backing off), so that a primary move waits for them no longer
     * than their replay takes.
     *
     * @param migration the migration
     * @param operation the entries' operation
     * @param now the time they become due
     * @return how many entries were made due earlier
     */
    int makeDue(String migration, String operation, Instant now);
}
