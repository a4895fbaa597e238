package dev.cutover.queue;

/** What replaying an entry does on the target. */
public enum ReplayMode {
    /**
     * Re-executes the recorded operation with the recorded payload. Only for idempotent operations
     * (upserts, deletes by key), because a crash between replay and completion replays it again.
     */
    REPLAY,
    /**
     * Ignores the recorded values: reads the key's current row from the source and upserts or
     * deletes it on the target. Safe for any operation, including increments. A new {@code RESYNC}
     * entry supersedes the earlier pending entries of its key.
     */
    RESYNC
}
