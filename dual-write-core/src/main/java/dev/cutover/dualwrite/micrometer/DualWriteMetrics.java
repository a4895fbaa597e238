package dev.cutover.dualwrite.micrometer;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.flags.Side;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Publishes a {@link DualWriteCounters}'s counts to Micrometer, tagged {@code migration} and
 * {@code side}. For writes, {@code side} is the side written as the primary; for mirrors, queued
 * entries and latency it is the side receiving the copy ({@code target} while the source is primary,
 * {@code source} from {@code TARGET_PRIMARY} on). The only class of the module that uses
 * Micrometer, which stays an optional dependency.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th><th>meaning</th></tr>
 *   <tr><td>{@code cutover.dualwrite.writes}</td><td>counter</td><td>{@code outcome=success|failure}</td><td>write calls by their primary outcome</td></tr>
 *   <tr><td>{@code cutover.dualwrite.mirrors}</td><td>counter</td><td>{@code outcome=copied|failed|deferred}</td><td>keys copied directly, copies that failed, keys queued behind pending entries</td></tr>
 *   <tr><td>{@code cutover.dualwrite.mirror.latency}</td><td>function timer</td><td></td><td>time of the direct copies</td></tr>
 *   <tr><td>{@code cutover.dualwrite.queued}</td><td>counter</td><td></td><td>retry-queue entries added</td></tr>
 *   <tr><td>{@code cutover.dualwrite.queue.failures}</td><td>counter</td><td></td><td>keys that could be neither copied nor queued: alert on it</td></tr>
 *   <tr><td>{@code cutover.dualwrite.async.backlog}</td><td>gauge</td><td>no {@code side}</td><td>keys of asynchronous writes waiting for or in their copy</td></tr>
 *   <tr><td>{@code cutover.dualwrite.async.lag}</td><td>function timer</td><td>no {@code side}</td><td>from a write's return to its asynchronous copy's commit</td></tr>
 *   <tr><td>{@code cutover.dualwrite.async.coalesced}</td><td>counter</td><td>no {@code side}</td><td>asynchronous writes whose key was already pending, copied by one copy</td></tr>
 *   <tr><td>{@code cutover.dualwrite.async.overflows}</td><td>counter</td><td>no {@code side}</td><td>asynchronous writes queued inside the call because the backlog was full</td></tr>
 *   <tr><td>{@code cutover.dualwrite.async.late}</td><td>counter</td><td>no {@code side}</td><td>asynchronous keys neither copied nor queued before their primary's copy window closed: alert on it</td></tr>
 * </table>
 *
 * <p>Usage: {@code new DualWriteMetrics(stats, "customers").bindTo(registry)}. The meters read the
 * counters when scraped; binding costs the write path nothing. Thread-safe.
 */
// Micrometer is optional (requires static): an application that binds meters requires it itself.
@SuppressWarnings("exports")
public final class DualWriteMetrics implements MeterBinder {
    private final DualWriteCounters stats;
    private final String migration;

    /**
     * Creates a binder for the counters of one migration.
     *
     * @param stats the counters, as given to the repositories' builders
     * @param migration the migration's name, the {@code migration} tag
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public DualWriteMetrics(DualWriteCounters stats, String migration) {
        this.stats = Objects.requireNonNull(stats, "null stats");
        this.migration = Names.checkMigrationName(migration);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "null registry");
        for (Side side : Side.values()) {
            Tags tags = Tags.of("migration", migration, "side", side.name().toLowerCase(Locale.ROOT));
            counter(registry, "cutover.dualwrite.writes", tags.and("outcome", "success"),
                    "Write calls that succeeded on this side as the primary", s -> s.primaryWrites(side));
            counter(registry, "cutover.dualwrite.writes", tags.and("outcome", "failure"),
                    "Write calls that failed on this side as the primary", s -> s.primaryFailures(side));
            counter(registry, "cutover.dualwrite.mirrors", tags.and("outcome", "copied"),
                    "Keys copied to this side directly", s -> s.mirrored(side));
            counter(registry, "cutover.dualwrite.mirrors", tags.and("outcome", "failed"),
                    "Direct copies to this side that failed and were queued", s -> s.mirrorFailures(side));
            counter(registry, "cutover.dualwrite.mirrors", tags.and("outcome", "deferred"),
                    "Keys for this side queued behind pending entries without a direct copy",
                    s -> s.queuedBehindPending(side));
            counter(registry, "cutover.dualwrite.queued", tags, "Retry-queue entries added for this side",
                    s -> s.enqueued(side));
            counter(registry, "cutover.dualwrite.queue.failures", tags,
                    "Keys for this side whose copy failed and whose retry-queue entry could not be added",
                    s -> s.enqueueFailures(side));
            FunctionTimer.builder("cutover.dualwrite.mirror.latency", stats, s -> s.mirrored(side),
                            s -> s.mirrorNanos(side), TimeUnit.NANOSECONDS)
                    .tags(tags)
                    .description("Time of the direct mirror copies to this side")
                    .register(registry);
        }
        bindAsync(registry);
    }

    private void bindAsync(MeterRegistry registry) {
        Tags tags = Tags.of("migration", migration);
        Gauge.builder("cutover.dualwrite.async.backlog", stats, s -> s.asyncBacklog())
                .tags(tags)
                .description("Keys of asynchronous writes waiting for their copy or being copied")
                .register(registry);
        FunctionTimer.builder("cutover.dualwrite.async.lag", stats, DualWriteCounters::asyncCopied,
                        DualWriteCounters::asyncLagNanos, TimeUnit.NANOSECONDS)
                .tags(tags)
                .description("Time from an asynchronous write's return to its copy's commit")
                .register(registry);
        counter(registry, "cutover.dualwrite.async.coalesced", tags,
                "Asynchronous writes whose key was already pending, so one copy carried them", DualWriteCounters::asyncCoalesced);
        counter(registry, "cutover.dualwrite.async.overflows", tags,
                "Asynchronous writes queued in the retry-queue inside the call, the backlog being full",
                DualWriteCounters::asyncOverflows);
        counter(registry, "cutover.dualwrite.async.late", tags,
                "Asynchronous keys neither copied nor queued before their primary's copy window closed",
                DualWriteCounters::asyncLate);
    }

    private void counter(MeterRegistry registry, String name, Tags tags, String description,
            ToLongFunction<DualWriteCounters> count) {
        FunctionCounter.builder(name, stats, s -> count.applyAsLong(s))
                .tags(tags)
                .description(description)
                .register(registry);
    }
}
