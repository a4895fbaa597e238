package dev.cutover.queue;

import dev.cutover.common.internal.TablePrefix;
import dev.cutover.queue.internal.InMemoryRetryStore;
import dev.cutover.queue.internal.RetryEntryTable;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Where entries live, and the claim protocol that lets many instances drain them safely.
 *
 * <p>{@link RetryQueue} drives a store; the operations are public so that the protocol can also
 * be driven step by step (tests, tools). Every method takes the current time from the caller, so
 * a store has no clock of its own. Entries are claimed as leases: a claim marks entries with an
 * owner and an end time; {@link #complete}, {@link #fail}, {@link #park} and {@link #release}
 * take the entry as claimed and only act while that very lease still holds it (same owner and
 * same lease end, so a stale claim of an instance cannot end a newer claim of the same
 * instance); an entry whose lease ended may be claimed again by anyone.
 *
 * <p>Claim rules, which give per-key order: only the lowest-sequence entry of a (migration,
 * entity, key) may be claimed, only when it is pending, due and unleased (or its lease ended), and
 * only while no other entry of that key holds a live lease. A parked entry therefore blocks its own
 * key and no other. An entry whose stored status or replay mode cannot be read blocks its own key
 * the same way (see {@link EntryStatus}) and is never claimed; {@link #parkUnreadable} parks it.
 *
 * <p>Implementations are thread-safe.
 */
public interface RetryStore {

    /**
     * An in-memory store for tests and single-process use; entries die with the process.
     *
     * @return a new, empty store
     */
    static RetryStore inMemory() {
        return new InMemoryRetryStore();
    }

    /**
     * A store in the table {@code cutover_retry_entry}, the name the runtime gives it; see
     * {@link #jdbc(DataSource, String)}.
     *
     * @param dataSource the database; claims use short transactions of their own
     * @return the store
     * @throws dev.cutover.common.CutoverException if the database is unreachable or unsupported
     */
    static JdbcRetryStore jdbc(DataSource dataSource) {
        return jdbc(dataSource, TablePrefix.DEFAULT);
    }

    /**
     * A store in the table {@code <tablePrefix>retry_entry} of a PostgreSQL, MariaDB/MySQL or H2
     * database. The table is not created here; call {@link JdbcRetryStore#createTables()} once.
     *
     * @param dataSource the database; claims use short transactions of their own
     * @param tablePrefix prefix of the table's name, may be empty
     * @return the store
     * @throws dev.cutover.common.CutoverConfigurationException if the prefix is not a plain identifier
     * @throws dev.cutover.common.CutoverException if the database is unreachable or unsupported
     */
    static JdbcRetryStore jdbc(DataSource dataSource, String tablePrefix) {
        return RetryEntryTable.create(dataSource, tablePrefix);
    }

    /**
     * Adds an entry in a transaction of its own. A {@link ReplayMode#RESYNC} entry first removes
     * the pending, unleased entries of its key, which it supersedes, except those not yet due that
     * were never tried: such an entry may be a write-ahead intent whose write is still running, which
     * a copy made now would miss.
     *
     * @param entry the entry
     * @param now its creation time, also its first due time
     * @return the new entry's id
     * @throws dev.cutover.common.CutoverException if a JDBC store cannot write it
     */
    long enqueue(NewRetryEntry entry, Instant now);

    /**
     * Leases up to {@code limit} due entries of every migration to {@code owner}, following the claim
     * rules above.
     *
     * @param owner the claiming instance's id
     * @param now the current time
     * @param limit the most entries to claim, at least 1
     * @param lease how long the lease lasts
     * @return the claimed entries (their lease fields set) and the conflicts met
     */
    default ClaimResult claim(String owner, Instant now, int limit, Duration lease) {
        return claim(owner, now, limit, lease, Optional.empty());
    }

    /**
     * Leases up to {@code limit} due entries of the given migrations to {@code owner}, following the
     * claim rules above. Entries of other migrations are left alone, pending for claimers that can
     * replay them.
     *
     * @param owner the claiming instance's id
     * @param now the current time
     * @param limit the most entries to claim, at least 1
     * @param lease how long the lease lasts
     * @param migrations the migrations whose entries may be claimed, or empty for every migration
     * @return the claimed entries (their lease fields set) and the conflicts met
     */
    ClaimResult claim(String owner, Instant now, int limit, Duration lease, Optional<Set<String>> migrations);

    /**
     * Parks the entries whose stored status or replay mode this version cannot read, each with a
     * last error that names the column, the stored value and the fix. Such entries are never claimed;
     * until parked they block their own key like a parked entry. An entry with a live lease is left
     * until the lease ends. Stores that cannot hold such entries (the in-memory one) return nothing.
     *
     * @param now the current time
     * @return the entries parked by this call, as parked now; each is returned by one call only
     */
    default List<RetryEntry> parkUnreadable(Instant now) {
        return List.of();
    }

    /**
     * Counts the pending entries that wait behind a parked entry (or one that counts as parked) of
     * their key, so that only an operator can let them drain.
     *
     * @return the count; the default implementation says 0
     */
    default long blockedCount() {
        return 0;
    }

    /**
     * Adds an entry, or coalesces it into its key's newest entry when that entry is pending, not
     * leased and has the same mode, operation and payload: that entry is then due at the later of its
     * due time and {@code due}, and nothing is added. Only for entries whose replay reads the current
     * state when it runs (a copy of the key's row, such as a crash-safe write-ahead intent): two such
     * entries next to each other do what the later one alone does. Pushing the older entry's due time
     * later never uncovers the write it was made for, since a later copy of the row still includes it;
     * an entry that is leased (being replayed) is never changed, as its copy may already have read the
     * row. The default implementation always adds.
     *
     * @param entry the entry
     * @param due its creation time and first due time, as in {@link #enqueue}
     * @return the id of the new entry, or of the entry it was coalesced into
     * @throws dev.cutover.common.CutoverException if a JDBC store cannot write it
     */
    default long enqueueCoalescing(NewRetryEntry entry, Instant due) {
        return enqueue(entry, due);
    }

    /**
     * Removes a replayed entry, if its claim still holds it.
     *
     * @param claimed the entry as returned by {@link #claim}
     * @return false if the entry is gone or claimed again since (then it may be replayed again)
     */
    default boolean complete(RetryEntry claimed) {
        return completeAll(List.of(claimed)) == 1;
    }

    /**
     * Removes replayed entries, each only if its claim still holds it, in one go.
     *
     * @param claimed entries as returned by {@link #claim}
     * @return how many were removed; the others are gone or were claimed again since
     */
    int completeAll(List<RetryEntry> claimed);

    /**
     * Records a failed attempt and ends the lease, if the claim still holds the entry.
     *
     * @param claimed the entry as returned by {@link #claim}
     * @param error the failure, stored as the last error
     * @param nextAttemptAt when the entry is due again
     * @return false if the entry is gone or claimed again since
     */
    boolean fail(RetryEntry claimed, String error, Instant nextAttemptAt);

    /**
     * Parks the entry and ends the lease, if the claim still holds it; the attempt that led here
     * is counted.
     *
     * @param claimed the entry as returned by {@link #claim}
     * @param reason why, stored as the last error
     * @return false if the entry is gone or claimed again since
     */
    boolean park(RetryEntry claimed, String reason);

    /**
     * Ends the lease without counting an attempt, so the entry is due again at once, if the claim
     * still holds it.
     *
     * @param claimed the entry as returned by {@link #claim}
     * @return false if the entry is gone or claimed again since
     */
    boolean release(RetryEntry claimed);

    /**
     * Whether any entry of a key is stored, pending or parked.
     *
     * @param migration the migration
     * @param entity the table or DAO
     * @param key the routing key
     * @return true if at least one is
     */
    boolean hasEntries(String migration, String entity, String key);

    /**
     * Which of a set of keys of one entity have any entry stored, pending or parked: the batched
     * {@link #hasEntries(String, String, String)}.
     *
     * @param migration the migration
     * @param entity the table or DAO
     * @param keys the routing keys
     * @return the keys among them that have at least one entry; the default implementation asks
     *     {@link #hasEntries(String, String, String)} for each key, a JDBC store makes one query
     */
    default Set<String> keysWithEntries(String migration, String entity, Collection<String> keys) {
        Set<String> found = new HashSet<>();
        for (String key : keys) {
            if (hasEntries(migration, entity, key)) {
                found.add(key);
            }
        }
        return found;
    }

    /**
     * Whether any entry of a migration is stored, pending or parked.
     *
     * @param migration the migration
     * @return true if at least one is; the default implementation asks {@link #stats()}
     */
    default boolean hasEntries(String migration) {
        return stats().containsKey(Objects.requireNonNull(migration, "null migration"));
    }

    /**
     * Counts the pending entries of all migrations, leased ones included.
     *
     * @return the count
     */
    long pendingCount();

    /**
     * Per migration, counts of its entries.
     *
     * @return migration name to counts, only migrations with entries
     */
    Map<String, MigrationStats> stats();

    /**
     * The parked entries, oldest first.
     *
     * @param limit the most to return, at least 1
     * @return the entries
     */
    List<RetryEntry> parked(int limit);

    /**
     * Looks an entry up.
     *
     * @param id the entry
     * @return the entry, empty if it is gone
     */
    Optional<RetryEntry> find(long id);

    /**
     * Makes a parked entry pending again with zero attempts, due at {@code now}.
     *
     * @param id the entry
     * @param now the current time
     * @return false if the entry is gone or not parked
     */
    boolean requeue(long id, Instant now);

    /**
     * Removes a parked entry for good.
     *
     * @param id the entry
     * @return false if the entry is gone or not parked
     */
    boolean discard(long id);

    /**
     * Counts a migration's entries of one operation, whatever their status (pending, leased, parked):
     * how many copies of one direction are still owed, e.g. before a primary move may finish.
     *
     * @param migration the migration
     * @param operation the entries' operation
     * @return the count
     * @throws UnsupportedOperationException if this store cannot count by operation
     */
    default long countEntries(String migration, String operation) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot count entries by operation");
    }

    /**
     * Makes a migration's pending, unleased entries of one operation due now (write-ahead intents that
     * would wait for their delay, entries backing off), so that a primary move waits for them no longer
     * than their replay takes.
     *
     * @param migration the migration
     * @param operation the entries' operation
     * @param now the time they become due
     * @return how many entries were made due earlier
     * @throws UnsupportedOperationException if this store cannot do it
     */
    default int makeDue(String migration, String operation, Instant now) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot make entries due by operation");
    }
}
