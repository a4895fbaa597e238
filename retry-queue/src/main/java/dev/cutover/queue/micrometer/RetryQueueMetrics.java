package dev.cutover.queue.micrometer;

import dev.cutover.queue.QueueDepth;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueListener;
import dev.cutover.queue.internal.QueueAccess;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a {@link RetryQueue}'s meters, tagged {@code migration}:
 *
 * <table>
 *   <caption>Retry-queue meters</caption>
 *   <tr><th>name</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>{@code cutover.retry.queue.depth}</td><td>gauge</td><td>entries waiting for a replay, leased ones included</td></tr>
 *   <tr><td>{@code cutover.retry.queue.parked.depth}</td><td>gauge</td><td>entries parked for an operator</td></tr>
 *   <tr><td>{@code cutover.retry.queue.oldest.age}</td><td>time gauge</td><td>age of the oldest pending entry: how far the other side lags</td></tr>
 *   <tr><td>{@code cutover.retry.queue.enqueued}</td><td>counter</td><td>entries enqueued by this instance</td></tr>
 *   <tr><td>{@code cutover.retry.queue.replayed}</td><td>counter</td><td>entries replayed and removed</td></tr>
 *   <tr><td>{@code cutover.retry.queue.retried}</td><td>counter</td><td>failed attempts followed by a backoff</td></tr>
 *   <tr><td>{@code cutover.retry.queue.parked}</td><td>counter</td><td>entries parked</td></tr>
 *   <tr><td>{@code cutover.retry.queue.unreadable}</td><td>counter</td><td>entries parked because their status or mode could not be read</td></tr>
 *   <tr><td>{@code cutover.retry.queue.claim.conflicts}</td><td>counter</td><td>due entries another instance claimed first</td></tr>
 * </table>
 *
 * <p>Meters of a migration appear once this process enqueues or claims one of its entries. The
 * gauges read the store's counts, at most once a second however often they are scraped. This class
 * is the only one in the module that uses Micrometer, which is an optional dependency. Thread-safe.
 */
// Micrometer is optional (requires static): an application that binds meters requires it itself.
@SuppressWarnings("exports")
public final class RetryQueueMetrics implements MeterBinder {
    /** How long one read of the store's counts serves the gauges. */
    static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);
    private static final String PREFIX = "cutover.retry.queue.";
    private static final QueueDepth NONE_YET = new QueueDepth(0, 0, Optional.empty());

    private final RetryQueue queue;

    /**
     * Creates the binder.
     *
     * @param queue the queue to publish
     */
    public RetryQueueMetrics(RetryQueue queue) {
        this.queue = Objects.requireNonNull(queue, "null queue");
    }

    /**
     * Registers a listener on the queue that creates and updates the meters.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        queue.addListener(new Meters(Objects.requireNonNull(registry, "null registry"), queue, QueueAccess.clock(queue)));
    }

    private static final class Meters implements RetryQueueListener {
        private final MeterRegistry registry;
        private final RetryQueue queue;
        private final Clock clock;
        private final Object statsLock = new Object();
        private Map<String, QueueDepth> stats = Map.of();
        private Instant statsReadAt = Instant.MIN;

        Meters(MeterRegistry registry, RetryQueue queue, Clock clock) {
            this.registry = registry;
            this.queue = queue;
            this.clock = clock;
        }

        @Override
        public void migrationSeen(String migration) {
            Gauge.builder(PREFIX + "depth", () -> stats(migration).pending())
                    .description("Entries waiting for a replay, leased ones included")
                    .tag("migration", migration)
                    .register(registry);
            Gauge.builder(PREFIX + "parked.depth", () -> stats(migration).parked())
                    .description("Entries parked for an operator")
                    .tag("migration", migration)
                    .register(registry);
            TimeGauge.builder(PREFIX + "oldest.age", () -> stats(migration).oldestPendingCreatedAt()
                            .map(oldest -> Math.max(0, clock.millis() - oldest.toEpochMilli()))
                            .orElse(0L), TimeUnit.MILLISECONDS)
                    .description("Age of the oldest pending entry: how far the target lags behind the source")
                    .tag("migration", migration)
                    .register(registry);
        }

        private QueueDepth stats(String migration) {
            synchronized (statsLock) {
                Instant now = clock.instant();
                if (statsReadAt.plus(STATS_MAX_AGE).isBefore(now)) {
                    stats = queue.depthByMigration();
                    statsReadAt = now;
                }
                return stats.getOrDefault(migration, NONE_YET);
            }
        }

        @Override
        public void enqueued(String migration) {
            counter("enqueued", "Entries enqueued by this instance", migration).increment();
        }

        @Override
        public void replayed(String migration) {
            counter("replayed", "Entries replayed and removed", migration).increment();
        }

        @Override
        public void retried(String migration) {
            counter("retried", "Failed attempts followed by a backoff", migration).increment();
        }

        @Override
        public void parked(String migration) {
            counter("parked", "Entries parked", migration).increment();
        }

        @Override
        public void unreadable(String migration) {
            counter("unreadable", "Entries parked because their status or replay mode could not be read", migration)
                    .increment();
        }

        @Override
        public void claimConflicts(String migration, int count) {
            counter("claim.conflicts", "Due entries another instance claimed first", migration).increment(count);
        }

        private Counter counter(String name, String description, String migration) {
            return Counter.builder(PREFIX + name).description(description).tag("migration", migration)
                    .register(registry);
        }
    }
}
