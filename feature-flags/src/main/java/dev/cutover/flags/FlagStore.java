package dev.cutover.flags;

import dev.cutover.flags.internal.InMemoryFlagStore;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Where the flags of migrations are kept: the service provider interface behind
 * {@link MigrationFlags}. Cutover ships {@link #inMemory()} for tests and single processes, and
 * {@link JdbcFlagStore} for flags shared by every instance through a database.
 *
 * <p>Implementations are thread-safe. Applications normally do not call a store on the request
 * path: {@link MigrationFlags} reads it in the background and serves an in-memory snapshot.
 */
public interface FlagStore {
    /**
     * Reads the stored state of every migration.
     *
     * <p>A store that finds an illegal stored value (e.g. an unknown stage written by hand) does not
     * fail: it returns that migration's last good state, or leaves the migration out if it never
     * had one, and reports the problem through its logs and {@link #invalidValueCount()}.
     *
     * @return migration name to state; migrations never stored are absent
     * @throws FlagStoreException if the store cannot be read
     */
    Map<String, MigrationState> loadAll();

    /**
     * Stores a new state of a migration if nobody else changed it first (compare-and-set on
     * {@code expected.version()}), and records one audit entry for it in the same transaction.
     *
     * @param expected the state the change is based on, as last read; version 0 for a migration
     *     never stored
     * @param next the new flags; its version is ignored
     * @param actor who flips
     * @param reason why
     * @return the stored state: the flags of {@code next} with version {@code expected.version() + 1}
     * @throws ConcurrentFlipException if the stored version is no longer {@code expected.version()}
     * @throws FlagStoreException if the store cannot be written
     * @throws UnsupportedOperationException if this store is read-only
     * @throws IllegalArgumentException if {@code expected} and {@code next} name different migrations
     */
    MigrationState save(MigrationState expected, MigrationState next, String actor, String reason);

    /**
     * Lists the audited flips of a migration.
     *
     * @param migration the migration name
     * @param limit the most entries to return, at least 1
     * @return the flips, newest first
     * @throws FlagStoreException if the store cannot be read
     * @throws IllegalArgumentException if {@code limit} is below 1
     */
    List<FlagChange> audit(String migration, int limit);

    /**
     * How many illegal stored values this store has rejected on load so far; each distinct problem
     * of a migration counts once, however often it is read again.
     *
     * @return the count; 0 for stores that cannot hold illegal values
     */
    default long invalidValueCount() {
        return 0;
    }

    /**
     * A new, empty store held in this process's memory, with audit timestamps from the UTC system
     * clock. Thread-safe; flips are atomic per migration.
     *
     * @return the store
     */
    static FlagStore inMemory() {
        return new InMemoryFlagStore(Clock.systemUTC());
    }

    /**
     * A new, empty in-memory store that stamps audit entries with the given clock.
     *
     * @param clock the clock for {@link FlagChange#at()}
     * @return the store
     */
    static FlagStore inMemory(Clock clock) {
        return new InMemoryFlagStore(clock);
    }
}
