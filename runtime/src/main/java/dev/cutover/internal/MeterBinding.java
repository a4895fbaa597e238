package dev.cutover.internal;

import dev.cutover.dualwrite.BackfillListener;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.micrometer.BackfillMetrics;
import dev.cutover.dualwrite.micrometer.DualWriteMetrics;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.micrometer.MigrationFlagsMetrics;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.micrometer.RetryQueueMetrics;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.micrometer.ReadRouterMetrics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Binds the runtime's parts to a Micrometer registry. The only class of the runtime that touches
 * Micrometer, which is optional: it is loaded only when the application gave a registry. The
 * registry comes in as {@code Object} so that callers need no Micrometer type to hold it.
 */
public final class MeterBinding {
    private MeterBinding() {
    }

    /**
     * Publishes the retry-queue's meters.
     *
     * @param queue the queue
     * @param registry a {@link MeterRegistry}
     */
    public static void bindQueue(RetryQueue queue, Object registry) {
        new RetryQueueMetrics(queue).bindTo((MeterRegistry) registry);
    }

    /**
     * Publishes the flags' meters, those of migrations registered later included.
     *
     * @param flags the flags
     * @param registry a {@link MeterRegistry}
     */
    public static void bindFlags(MigrationFlags flags, Object registry) {
        new MigrationFlagsMetrics(flags).bindTo((MeterRegistry) registry);
    }

    /**
     * Publishes one migration's dual-write and read-router meters.
     *
     * @param stats its dual-write stats
     * @param router its read router
     * @param migration its name
     * @param registry a {@link MeterRegistry}
     */
    public static void bindMigration(DualWriteCounters stats, ReadRouter router, String migration, Object registry) {
        new DualWriteMetrics(stats, migration).bindTo((MeterRegistry) registry);
        new ReadRouterMetrics(router).bindTo((MeterRegistry) registry);
    }

    /**
     * Publishes one migration's backfill meters.
     *
     * @param migration its name
     * @param registry a {@link MeterRegistry}
     * @return the listener to give the migration's backfills
     */
    public static BackfillListener bindBackfill(String migration, Object registry) {
        BackfillMetrics metrics = new BackfillMetrics(migration);
        metrics.bindTo((MeterRegistry) registry);
        return metrics;
    }
}
