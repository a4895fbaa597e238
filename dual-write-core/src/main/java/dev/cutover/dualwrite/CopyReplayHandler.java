package dev.cutover.dualwrite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.cutover.common.internal.Names;
import dev.cutover.common.internal.Redaction;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.NonRetryableReplayException;
import dev.cutover.queue.ReplayHandler;
import dev.cutover.queue.ReplayMode;
import dev.cutover.queue.RetryEntry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Optional;
import java.util.Set;

/**
 * The table-aware {@link ReplayHandler} of the retry-queue: replays an entry by copying the key's
 * current row with {@link RowCopier}, in the direction the entry names. {@link ReplayMode#RESYNC}
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
 * <p><b>Primary moves.</b> Built with the application's {@link MigrationFlags}
 * ({@link #of(String, RowCopier, MigrationFlags)}), the handler keeps replays inside the fenced
 * handover of the flags' write permits: an entry that copies from the old primary of a move is
 * replayed in its direction only while this instance's handover of that move is not done (no
 * instance writes the new primary before the old direction's entries are drained); every other entry
 * is replayed from the current primary under a write permit, inside its copy window, and waits (is
 * retried later) while a handover is in progress. An entry of the old direction found after the
 * handover, which should not exist, is replayed from the current primary, with a WARN log and
 * {@link #redirectedCount()}. Entries with operation {@value #FROM_PRIMARY} (queued for late
 * writes, see {@link LateWriteException}) copy from the current primary. Without flags, entries are
 * replayed in their recorded direction, as before, and {@value #FROM_PRIMARY} entries are parked.
 *
 * <p>Thread-safe.
 */
public final class CopyReplayHandler implements ReplayHandler {
    /** Operation of entries that copy the source's row to the target. */
    public static final String TO_TARGET = "resync";
    /** Operation of entries that copy the target's row to the source. */
    public static final String TO_SOURCE = "resync-to-source";
    /** Operation of entries that copy from whichever side is primary when they are replayed, after any handover. */
    public static final String FROM_PRIMARY = "resync-from-primary";
    /**
     * Suffix of the entity of {@value #FROM_PRIMARY} entries: it keeps them out of their key's order in
     * the queue, so that an entry of the old direction queued after one (which the handover waits for)
     * is never stuck behind it (which waits for the handover). The handover itself orders them: such an
     * entry replays only after the old direction's entries are drained.
     */
    static final String LATE_SUFFIX = "#late";
    private static final Logger LOG = LoggerFactory.getLogger(CopyReplayHandler.class);

    private final Map<String, RowCopier> byMigration;
    private final MigrationFlags flags;
    private final LongAdder redirected = new LongAdder();

    private CopyReplayHandler(Map<String, RowCopier> byMigration, MigrationFlags flags) {
        this.byMigration = Map.copyOf(byMigration);
        this.flags = flags;
    }

    /**
     * A handler for the entries of one migration that follows its primary moves (see the class comment).
     *
     * @param migration the migration's name
     * @param resync copies its keys
     * @param flags the application's flags
     * @return the handler
     */
    public static CopyReplayHandler of(String migration, RowCopier resync, MigrationFlags flags) {
        Map<String, RowCopier> one = new LinkedHashMap<>();
        one.put(Names.checkMigrationName(migration), Objects.requireNonNull(resync, "null resync"));
        return new CopyReplayHandler(one, Objects.requireNonNull(flags, "null flags"));
    }

    /**
     * A handler for the entries of several migrations sharing one queue, following their primary moves.
     *
     * @param byMigration each migration's resync
     * @param flags the application's flags
     * @return the handler
     * @throws IllegalArgumentException if the map is empty
     */
    public static CopyReplayHandler of(Map<String, RowCopier> byMigration, MigrationFlags flags) {
        CopyReplayHandler plain = of(byMigration);
        return new CopyReplayHandler(plain.byMigration, Objects.requireNonNull(flags, "null flags"));
    }

    /** @return how many entries of an old primary's direction were found after the handover and replayed from the current primary */
    public long redirectedCount() {
        return redirected.sum();
    }

    /**
     * The entry of a late write: a copy of the key from whichever side is primary when it is replayed,
     * after any handover in progress.
     *
     * @param migration the migration's name
     * @param entity the mapped entity
     * @param key the routing key
     * @return a {@link ReplayMode#REPLAY} entry (it supersedes no entry of the key), without payload
     */
    static NewRetryEntry fromPrimary(String migration, String entity, String key) {
        return new NewRetryEntry(migration, entity + LATE_SUFFIX, key, ReplayMode.REPLAY, FROM_PRIMARY,
                NullNode.getInstance());
    }

    /**
     * A handler for the entries of one migration.
     *
     * @param migration the migration's name
     * @param resync copies its keys
     * @return the handler
     */
    public static CopyReplayHandler of(String migration, RowCopier resync) {
        Map<String, RowCopier> one = new LinkedHashMap<>();
        one.put(Names.checkMigrationName(migration), Objects.requireNonNull(resync, "null resync"));
        return new CopyReplayHandler(one, null);
    }

    /**
     * A handler for the entries of several migrations sharing one queue.
     *
     * @param byMigration each migration's resync
     * @return the handler
     * @throws IllegalArgumentException if the map is empty
     */
    public static CopyReplayHandler of(Map<String, RowCopier> byMigration) {
        Objects.requireNonNull(byMigration, "null byMigration");
        if (byMigration.isEmpty()) {
            throw new IllegalArgumentException("byMigration must name at least one migration");
        }
        byMigration.keySet().forEach(Names::checkMigrationName);
        return new CopyReplayHandler(byMigration, null);
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
     * {@link dev.cutover.queue.internal.RetryStores#enqueueCoalescing}, so that the intents of a key written
     * many times meanwhile stay one entry.
     *
     * @param migration the migration's name
     * @param entity the mapped entity
     * @param key the routing key
     * @param from the side whose row is copied
     * @return a {@link ReplayMode#REPLAY} entry of the resync operation, without payload
     */
    static NewRetryEntry intent(String migration, String entity, String key, Side from) {
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
        RowCopier resync = byMigration.get(entry.migration());
        if (resync == null) {
            throw new NonRetryableReplayException(entry.describe() + ": migration " + entry.migration()
                    + " has no RowCopier here; known migrations are " + byMigration.keySet());
        }
        String entity = FROM_PRIMARY.equals(entry.operation()) && entry.entity().endsWith(LATE_SUFFIX)
                ? entry.entity().substring(0, entry.entity().length() - LATE_SUFFIX.length()) : entry.entity();
        if (!resync.entities().contains(entity)) {
            throw new NonRetryableReplayException(entry.describe() + ": entity " + entity
                    + " is not mapped; mapped entities are " + resync.entities());
        }
        Side from;
        if (TO_TARGET.equals(entry.operation())) {
            from = Side.SOURCE;
        } else if (TO_SOURCE.equals(entry.operation())) {
            from = Side.TARGET;
        } else if (FROM_PRIMARY.equals(entry.operation()) && flags != null) {
            from = null;
        } else {
            throw new NonRetryableReplayException(entry.describe() + " has operation '" + entry.operation()
                    + "', expected '" + TO_TARGET + "' or '" + TO_SOURCE + "'"
                    + (FROM_PRIMARY.equals(entry.operation()) ? " (a '" + FROM_PRIMARY + "' entry needs a handler built"
                    + " with the flags: CopyReplayHandler.of(migration, rowCopier, flags))" : ""));
        }
        try {
            if (flags == null) {
                resync.copy(entity, entry.key(), from);
            } else {
                replayInEpoch(entry, entity, resync, from);
            }
        } catch (IllegalArgumentException e) {
            throw new NonRetryableReplayException(entry.describe() + ": " + Redaction.message(e, resync.logValues()), e);
        }
    }

    private void replayInEpoch(RetryEntry entry, String entity, RowCopier resync, Side recorded) throws Exception {
        if (recorded != null && recorded == Handovers.from(flags, entry.migration())) {
            // Draining the old direction during the handover: no instance writes the new primary while
            // this entry is pending, because every instance's handover waits for these entries.
            resync.copy(entity, entry.key(), recorded);
            return;
        }
        WritePermit permit = Handovers.tryBeginWrite(flags, entry.migration());
        if (permit == null) {
            throw new IllegalStateException("the primary of migration " + entry.migration() + " is moving: "
                    + entry.describe() + " is replayed once the handover is done");
        }
        try {
            Side primary = permit.stage().primary();
            if (recorded != null && recorded != primary) {
                redirected.increment();
                LOG.warn("{} copies from the {}, which is no longer the primary and whose handover is done; copying from"
                        + " the {} instead, so that it cannot overwrite the new primary's writes", entry.describe(),
                        recorded, primary);
            }
            resync.copy(entity, entry.key(), primary, permit::ensureBeforeDeadline);
        } finally {
            permit.close();
        }
    }

    /**
     * The migrations this handler has a {@link RowCopier} for; a queue claims only their entries.
     *
     * @return their names
     */
    @Override
    public Optional<Set<String>> migrations() {
        return Optional.of(byMigration.keySet());
    }

    @Override
    public String toString() {
        return "CopyReplayHandler" + byMigration.keySet();
    }
}
