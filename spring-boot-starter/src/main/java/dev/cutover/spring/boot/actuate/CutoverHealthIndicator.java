package dev.cutover.spring.boot.actuate;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.CutoverDataSource;
import dev.cutover.flags.MigrationState;
import dev.cutover.queue.QueueDepth;
import dev.cutover.spring.boot.CutoverProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * Health of the Cutover runtime. {@code DOWN} while the flag store cannot be read (writes of
 * dual-write stages then fail within the handover pause) or the retry table cannot be counted; the
 * configured degraded status ({@code cutover.health.degraded-status}, default {@code DEGRADED})
 * while a migration's mirror or read breaker is open or its queue crosses a threshold
 * ({@code cutover.health.max-queue-depth}, {@code max-oldest-age}, {@code max-parked}); {@code UP}
 * otherwise. Details: per migration its stage, read percentages, breakers and queue, and a list of
 * the problems found. One query of the retry table per check; the rest is read from memory.
 */
public class CutoverHealthIndicator extends AbstractHealthIndicator {
    private final Cutover cutover;
    private final CutoverProperties.Health thresholds;
    private final List<CutoverDataSource> dataSources;
    private final Clock clock;

    /**
     * Creates the indicator.
     *
     * @param cutover the runtime
     * @param thresholds the thresholds
     * @param dataSources the wrapped DataSources whose mirror breakers to report
     * @param clock the clock against which queue ages are measured
     */
    public CutoverHealthIndicator(Cutover cutover, CutoverProperties.Health thresholds,
            List<CutoverDataSource> dataSources, Clock clock) {
        super("Cutover health check failed");
        this.cutover = cutover;
        this.thresholds = thresholds;
        this.dataSources = List.copyOf(dataSources);
        this.clock = clock;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        List<String> problems = new ArrayList<>();
        boolean down = false;
        Optional<Instant> outage = cutover.flags().storeOutageSince();
        if (outage.isPresent()) {
            down = true;
            problems.add("the flag store cannot be read since " + outage.get() + " (cutover.flags.store.errors)");
        }
        builder.withDetail("flagStore", outage.map(since -> "unreachable since " + since).orElse("reachable"));
        Collection<Migration> migrations = cutover.migrations();
        Map<String, QueueDepth> queue = migrations.isEmpty() ? Map.of() : cutover.retryQueue().depthByMigration();
        Map<String, Object> details = new LinkedHashMap<>();
        Instant now = clock.instant();
        for (Migration migration : migrations) {
            Map<String, Object> detail = new LinkedHashMap<>();
            MigrationState state = migration.state();
            detail.put("stage", state.stage().name());
            detail.put("targetReadPercent", state.targetReadPercent());
            detail.put("shadowReadPercent", state.shadowReadPercent());
            CircuitBreaker.State read = migration.router().breakerState();
            detail.put("readBreaker", read.name());
            if (read == CircuitBreaker.State.OPEN || read == CircuitBreaker.State.FORCED_OPEN) {
                problems.add(migration.name() + ": the read breaker is " + read + " (target reads fall back to the source)");
            }
            for (CutoverDataSource dataSource : dataSources) {
                if (dataSource.migrations().contains(migration.name())) {
                    CircuitBreaker.State mirror = dataSource.mirrorCircuitBreaker(migration.name()).getState();
                    detail.put("mirrorBreaker", mirror.name());
                    if (mirror == CircuitBreaker.State.OPEN || mirror == CircuitBreaker.State.FORCED_OPEN) {
                        problems.add(migration.name() + ": the mirror breaker is " + mirror
                                + " (written keys go straight to the retry-queue)");
                    }
                }
            }
            QueueDepth stats = queue.getOrDefault(migration.name(), new QueueDepth(0, 0, Optional.empty()));
            Duration age = stats.oldestPendingCreatedAt().map(at -> Duration.between(at, now))
                    .filter(d -> !d.isNegative()).orElse(Duration.ZERO);
            detail.put("queue", Map.of("pending", stats.pending(), "parked", stats.parked(),
                    "oldestPendingAge", age.toString()));
            if (stats.pending() > thresholds.maxQueueDepth()) {
                problems.add(migration.name() + ": " + stats.pending() + " copies pending, above "
                        + thresholds.maxQueueDepth() + " (cutover.health.max-queue-depth)");
            }
            if (age.compareTo(thresholds.maxOldestAge()) > 0) {
                problems.add(migration.name() + ": the oldest pending copy waits since " + age + ", longer than "
                        + thresholds.maxOldestAge() + " (cutover.health.max-oldest-age)");
            }
            if (stats.parked() > thresholds.maxParked()) {
                problems.add(migration.name() + ": " + stats.parked() + " copies parked, above "
                        + thresholds.maxParked() + " (cutover.health.max-parked): list them with"
                        + " cutover.retryQueue().parked(n), then requeue or discard");
            }
            details.put(migration.name(), detail);
        }
        builder.withDetail("migrations", details);
        if (!problems.isEmpty()) {
            builder.withDetail("problems", problems);
        }
        if (down) {
            builder.down();
        } else if (!problems.isEmpty()) {
            builder.status(new Status(thresholds.degradedStatus()));
        } else {
            builder.up();
        }
    }
}
