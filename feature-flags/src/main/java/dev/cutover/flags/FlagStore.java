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
     * Stores new states of several migrations at once, all or none: each with compare-and-set on
     * its {@code expected.version()} and one audit entry, in one transaction, so that no reader of
     * the store ever sees some of them changed and others not. {@link MigrationFlags#moveTogether}
     * moves the primary of several migrations that share a {@code CutoverDataSource} with it.
     *
     * @param expected the states the changes are based on, as last read, one per migration, each
     *     migration once; version 0 for a migration never stored
     * @param next the new flags, in the same order; their versions are ignored
     * @param actor who flips
     * @param reason why
     * @return the stored states, in the same order
     * @throws ConcurrentFlipException if any stored version is no longer the expected one; nothing
     *     was stored
     * @throws FlagStoreException if the store cannot be written; nothing was stored
     * @throws UnsupportedOperationException if this store cannot store several migrations
     *     atomically (the default), or is read-only
     * @throws IllegalArgumentException if the lists differ in size, name a migration twice, or pair
     *     states of different migrations
     */
    default List<MigrationState> saveAll(List<MigrationState> expected, List<MigrationState> next, String actor,
            String reason) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot store the flags of several migrations"
                + " in one transaction, so it cannot move them together; keep the flags in a JdbcFlagStore (or"
                + " FlagStore.inMemory() in a single process)");
    }

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
