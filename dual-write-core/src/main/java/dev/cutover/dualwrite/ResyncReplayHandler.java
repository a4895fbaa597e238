package dev.cutover.dualwrite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.NonRetryableReplayException;
import dev.cutover.queue.ReplayHandler;
import dev.cutover.queue.ReplayMode;
import dev.cutover.queue.RetryEntry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The table-aware {@link ReplayHandler} of the retry-queue: replays an entry by copying the key's
 * current row with {@link KeyResync}, in the direction the entry names. {@link ReplayMode#RESYNC}
 * entries are the mirrors that failed; {@link ReplayMode#REPLAY} entries with the same operations
 * are the write-ahead intents of crash-safe repositories (see
 * {@link RepositoryBuilder#crashSafe(dev.cutover.queue.RetryStore, java.time.Duration)}), queued in
 * that mode because a {@code RESYNC} entry would supersede them while their write is still running.
 *
 * <p>Entries with operation {@value #TO_TARGET} (what {@link NewRetryEntry#resync} creates, and
 * what repositories queue while the source is primary) copy source to target; entries with
 * {@value #TO_SOURCE} (queued while the target is primary) copy target to source. Because the copy
 * takes the current row, not the recorded operation, replaying an entry twice or after newer writes
 * is harmless.
 *
 * <p>The handler declares its migrations ({@link #migrations()}), so a queue that drains through it
 * claims only their entries: during a rolling deploy that adds a migration, the instances that do
 * not know it yet leave its entries pending for the instances that do. An entry of an unknown
 * migration that reaches it anyway, or one of an unknown entity, with a malformed key or another
 * operation, is parked at once with a {@link NonRetryableReplayException}.
 *
 * <p>Thread-safe.
 */
public final class ResyncReplayHandler implements ReplayHandler {
    /** Operation of entries that copy the source's row to the target. */
    public static final String TO_TARGET = "resync";
    /** Operation of entries that copy the target's row to the source. */
    public static final String TO_SOURCE = "resync-to-source";

    private final Map<String, KeyResync> byMigration;

    private ResyncReplayHandler(Map<String, KeyResync> byMigration) {
        this.byMigration = Map.copyOf(byMigration);
    }

    /**
     * A handler for the entries of one migration.
     *
     * @param migration the migration's name
     * @param resync copies its keys
     * @return the handler
     */
    public static ResyncReplayHandler of(String migration, KeyResync resync) {
        Map<String, KeyResync> one = new LinkedHashMap<>();
        one.put(MigrationState.checkMigrationName(migration), Objects.requireNonNull(resync, "null resync"));
        return new ResyncReplayHandler(one);
    }

    /**
     * A handler for the entries of several migrations sharing one queue.
     *
     * @param byMigration each migration's resync
     * @return the handler
     * @throws IllegalArgumentException if the map is empty
     */
    public static ResyncReplayHandler of(Map<String, KeyResync> byMigration) {
        Objects.requireNonNull(byMigration, "null byMigration");
        if (byMigration.isEmpty()) {
            throw new IllegalArgumentException("byMigration must name at least one migration");
        }
        byMigration.keySet().forEach(MigrationState::checkMigrationName);
        return new ResyncReplayHandler(byMigration);
    }

    /**
     * The entry that asks for a key to be copied from one side to the other.
     *
     * @param migration the migration's name
     * @param entity the mapped entity
     * @param key the routing key
     * @param from the side whose row is copied
     * @return a {@link ReplayMode#RESYNC} entry without payload
     */
    public static NewRetryEntry entry(String migration, String entity, String key, Side from) {
        return new NewRetryEntry(migration, entity, key, ReplayMode.RESYNC,
                from == Side.SOURCE ? TO_TARGET : TO_SOURCE, NullNode.getInstance());
    }

    /**
     * The write-ahead intent of a crash-safe repository: a copy of the key, queued before the write,
     * that no later entry supersedes before it is due. Enqueue it with
     * {@link dev.cutover.queue.RetryStore#enqueueCoalescing}, so that the intents of a key written
     * many times meanwhile stay one entry.
     *
     * @param migration the migration's name
     * @param entity the mapped entity
     * @param key the routing key
     * @param from the side whose row is copied
     * @return a {@link ReplayMode#REPLAY} entry of the resync operation, without payload
     */
    public static NewRetryEntry intent(String migration, String entity, String key, Side from) {
        return new NewRetryEntry(migration, entity, key, ReplayMode.REPLAY,
                from == Side.SOURCE ? TO_TARGET : TO_SOURCE, NullNode.getInstance());
    }

    /**
     * Copies the entry's key in the direction its operation names.
     *
     * @param entry the entry
     * @param payload ignored: the row is read from the sending side
     * @throws NonRetryableReplayException if the entry cannot be replayed by this handler
     * @throws java.sql.SQLException if a database fails; the queue retries the entry later
     */
    @Override
    public void replay(RetryEntry entry, JsonNode payload) throws Exception {
        KeyResync resync = byMigration.get(entry.migration());
        if (resync == null) {
            throw new NonRetryableReplayException(entry.describe() + ": migration " + entry.migration()
                    + " has no KeyResync here; known migrations are " + byMigration.keySet());
        }
        if (!resync.entities().contains(entry.entity())) {
            throw new NonRetryableReplayException(entry.describe() + ": entity " + entry.entity()
                    + " is not mapped; mapped entities are " + resync.entities());
        }
        Side from;
        if (TO_TARGET.equals(entry.operation())) {
            from = Side.SOURCE;
        } else if (TO_SOURCE.equals(entry.operation())) {
            from = Side.TARGET;
        } else {
            throw new NonRetryableReplayException(entry.describe() + " has operation '" + entry.operation()
                    + "', expected '" + TO_TARGET + "' or '" + TO_SOURCE + "'");
        }
        try {
            resync.resync(entry.entity(), entry.key(), from);
        } catch (IllegalArgumentException e) {
            throw new NonRetryableReplayException(entry.describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The migrations this handler has a {@link KeyResync} for; a queue claims only their entries.
     *
     * @return their names
     */
    @Override
    public Optional<Set<String>> migrations() {
        return Optional.of(byMigration.keySet());
    }

    @Override
    public String toString() {
        return "ResyncReplayHandler" + byMigration.keySet();
    }
}
