package dev.cutover.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.queue.NonRetryableReplayException;
import dev.cutover.queue.ReplayHandler;
import dev.cutover.queue.RetryEntry;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runtime's one replay handler: each registered migration's entries go to that migration's
 * handler. The queue asks {@link #migrations()} before every claim, so a migration registered while
 * the queue runs is claimed from then on, and one this instance does not know never is. Thread-safe.
 */
public final class RegisteredMigrations implements ReplayHandler {
    private final MigrationFlags flags;
    private final Map<String, CopyReplayHandler> handlers = new ConcurrentHashMap<>();

    /**
     * Creates the handler, with no migration yet.
     *
     * @param flags the runtime's flags, which replays follow across primary moves
     */
    public RegisteredMigrations(MigrationFlags flags) {
        this.flags = flags;
    }

    /**
     * Registers a migration's row copier.
     *
     * @param migration the migration's name
     * @param rowCopier copies its keys
     */
    public void add(String migration, RowCopier rowCopier) {
        handlers.put(migration, CopyReplayHandler.of(migration, rowCopier, flags));
    }

    @Override
    public void replay(RetryEntry entry, JsonNode payload) throws Exception {
        CopyReplayHandler handler = handlers.get(entry.migration());
        if (handler == null) {
            // The claim filter keeps unknown migrations' entries away; reaching here is a store that ignored it.
            throw new NonRetryableReplayException(entry.describe() + ": migration " + entry.migration()
                    + " is not registered in this runtime; registered: " + handlers.keySet());
        }
        handler.replay(entry, payload);
    }

    @Override
    public Optional<Set<String>> migrations() {
        return Optional.of(Set.copyOf(handlers.keySet()));
    }

    @Override
    public String toString() {
        return "RegisteredMigrations" + handlers.keySet();
    }
}
