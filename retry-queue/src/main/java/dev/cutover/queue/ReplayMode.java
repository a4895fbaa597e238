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
     * entry supersedes the earlier pending entries of its key, except those not yet due that were
     * never tried (see {@link RetryStore#enqueue}).
     */
    RESYNC,
    /**
     * Only in entries read from a store: the stored mode is none of the above (a row written by hand,
     * damaged, or written by a newer version). Such an entry is never replayed and cannot be enqueued:
     * the queue parks it, naming the stored value in its last error, so that it blocks only its own
     * key until an operator fixes the column and requeues it, or discards it.
     */
    UNKNOWN
}
