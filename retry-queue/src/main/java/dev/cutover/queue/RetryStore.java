package dev.cutover.queue;

import dev.cutover.common.internal.TablePrefix;
import dev.cutover.queue.internal.InMemoryRetryStore;
import dev.cutover.queue.internal.RetryEntryTable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
 * the same way (see {@link EntryStatus}) and is never claimed; the queue's workers park it.
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
    Map<String, QueueDepth> stats();

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
}
