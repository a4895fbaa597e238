package dev.cutover.queue;

/**
 * Hears what a {@link RetryQueue} does, per migration: the hook behind
 * {@link dev.cutover.queue.micrometer.RetryQueueMetrics}, and for an application's own monitoring.
 * Register one with {@link RetryQueue#addListener}.
 *
 * <p>Called on the queue's worker threads and on the threads that enqueue, concurrently: an
 * implementation must be thread-safe and quick, and must not call back into the queue. An exception
 * it throws is logged and otherwise ignored. Every method does nothing by default.
 */
public interface RetryQueueListener {
    /**
     * The queue met a migration for the first time in this process (an entry of it was enqueued or
     * claimed here). Called at most once per migration and listener, before any other call for it.
     *
     * @param migration the migration
     */
    default void migrationSeen(String migration) {
    }

    /**
     * An entry was enqueued by this instance.
     *
     * @param migration its migration
     */
    default void enqueued(String migration) {
    }

    /**
     * An entry was replayed and removed.
     *
     * @param migration its migration
     */
    default void replayed(String migration) {
    }

    /**
     * An attempt failed and the entry backs off.
     *
     * @param migration its migration
     */
    default void retried(String migration) {
    }

    /**
     * An entry was parked.
     *
     * @param migration its migration
     */
    default void parked(String migration) {
    }

    /**
     * An entry whose status or replay mode could not be read was parked.
     *
     * @param migration its migration
     */
    default void unreadable(String migration) {
    }

    /**
     * Due entries were taken by another instance first.
     *
     * @param migration their migration
     * @param count how many
     */
    default void claimConflicts(String migration, int count) {
    }
}
