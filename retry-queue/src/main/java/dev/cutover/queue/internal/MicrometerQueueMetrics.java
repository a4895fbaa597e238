package dev.cutover.queue.internal;

import dev.cutover.queue.MigrationStats;
import dev.cutover.queue.RetryStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer meters of the queue, tagged {@code migration}. Gauges read the store's counts, at most
 * once per {@link #STATS_MAX_AGE} however often they are scraped. Loaded only when a registry is
 * configured.
 */
public final class MicrometerQueueMetrics implements QueueMetrics {
    /** How long one read of the store's counts serves the gauges. */
    static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);
    private static final String PREFIX = "cutover.retry.queue.";
    private static final MigrationStats NONE_YET = new MigrationStats(0, 0, Optional.empty());

    private final MeterRegistry registry;
    private final RetryStore store;
    private final Clock clock;
    private final Set<String> tracked = ConcurrentHashMap.newKeySet();
    private final Object statsLock = new Object();
    private Map<String, MigrationStats> stats = Map.of();
    private Instant statsReadAt = Instant.MIN;

    private MicrometerQueueMetrics(MeterRegistry registry, RetryStore store, Clock clock) {
        this.registry = registry;
        this.store = store;
        this.clock = clock;
    }

    /**
     * Creates the metrics; typed as {@link QueueMetrics} so callers never name a Micrometer type.
     *
     * @param registry a {@code io.micrometer.core.instrument.MeterRegistry}
     * @param store the store whose counts the gauges show
     * @param clock the queue's clock
     * @return the metrics
     */
    public static QueueMetrics create(Object registry, RetryStore store, Clock clock) {
        return new MicrometerQueueMetrics((MeterRegistry) registry, store, clock);
    }

    @Override
    public void track(String migration) {
        if (!tracked.add(migration)) {
            return;
        }
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

    private MigrationStats stats(String migration) {
        synchronized (statsLock) {
            Instant now = clock.instant();
            if (statsReadAt.plus(STATS_MAX_AGE).isBefore(now)) {
                stats = store.stats();
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
        track(migration);
        return Counter.builder(PREFIX + name).description(description).tag("migration", migration).register(registry);
    }
}
