package dev.cutover.queue.internal;

/**
 * What the queue reports, per migration. The default reports nothing; {@link MicrometerQueueMetrics}
 * is the only class that touches Micrometer, so the queue runs without it on the classpath.
 */
public interface QueueMetrics {
    /** Reports nothing. */
    QueueMetrics NONE = new QueueMetrics() {
    };

    /**
     * Makes sure the per-migration gauges exist. Idempotent.
     *
     * @param migration a migration this instance has seen
     */
    default void track(String migration) {
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
