package dev.cutover.router.micrometer;

import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.router.internal.MismatchFields;
import dev.cutover.router.internal.RouterInternals;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Publishes a {@link ReadRouter}'s counts to Micrometer, tagged {@code migration}. The only class of
 * the module that uses Micrometer, which stays an optional dependency.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th><th>meaning</th></tr>
 *   <tr><td>{@code cutover.router.reads}</td><td>counter</td><td>{@code side=source|target}</td><td>reads answered by each side</td></tr>
 *   <tr><td>{@code cutover.router.fallbacks}</td><td>counter</td><td></td><td>target-routed reads the source answered</td></tr>
 *   <tr><td>{@code cutover.router.shadow.compared}</td><td>counter</td><td></td><td>comparisons finished</td></tr>
 *   <tr><td>{@code cutover.router.shadow.matched}</td><td>counter</td><td></td><td>comparisons that agreed</td></tr>
 *   <tr><td>{@code cutover.router.shadow.mismatched}</td><td>counter</td><td></td><td>comparisons that differed, also when read again</td></tr>
 *   <tr><td>{@code cutover.router.shadow.settled}</td><td>counter</td><td></td><td>comparisons that differed at first and agreed when read again (writes in flight)</td></tr>
 *   <tr><td>{@code cutover.router.shadow.field.mismatches}</td><td>counter</td><td>{@code field}</td><td>mismatches per differing field ({@link dev.cutover.router.MismatchEvent#fields()}); the first 50 fields by name, later ones as {@code (other)}</td></tr>
 *   <tr><td>{@code cutover.router.shadow.abandoned}</td><td>counter</td><td></td><td>comparisons given up because the stage stopped writing both sides</td></tr>
 *   <tr><td>{@code cutover.router.shadow.errors}</td><td>counter</td><td></td><td>shadow reads or comparisons that threw</td></tr>
 *   <tr><td>{@code cutover.router.shadow.dropped}</td><td>counter</td><td></td><td>shadow reads taken on but never compared (rejected by a given executor, or waiting at close)</td></tr>
 *   <tr><td>{@code cutover.router.shadow.throttled}</td><td>counter</td><td></td><td>reads drawn for shadowing that back-pressure left unshadowed</td></tr>
 *   <tr><td>{@code cutover.router.shadow.backlog}</td><td>gauge</td><td></td><td>shadow reads taken on and not finished</td></tr>
 *   <tr><td>{@code cutover.router.shadow.back.pressure}</td><td>gauge</td><td></td><td>1 while back-pressure lowers the shadow share, else 0</td></tr>
 *   <tr><td>{@code cutover.router.auto.rollbacks}</td><td>counter</td><td></td><td>automatic rollbacks</td></tr>
 *   <tr><td>{@code cutover.router.breaker.state}</td><td>gauge</td><td>{@code state=closed|open|half_open|...}</td><td>1 for the current state, 0 for the others</td></tr>
 * </table>
 *
 * <p>Usage: {@code new ReadRouterMetrics(router).bindTo(registry)}. The meters read the router's
 * counters when scraped; binding costs the read path nothing. Thread-safe.
 */
// Micrometer is optional (requires static): an application that binds meters requires it itself.
@SuppressWarnings("exports")
public final class ReadRouterMetrics implements MeterBinder {
    private final ReadRouter router;

    /**
     * Creates a binder for one router.
     *
     * @param router the router
     */
    public ReadRouterMetrics(ReadRouter router) {
        this.router = Objects.requireNonNull(router, "null router");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "null registry");
        Tags tags = Tags.of("migration", router.migration());
        counter(registry, "cutover.router.reads", tags.and("side", "source"), "Reads answered by the source", ReadRouterCounts::sourceReads);
        counter(registry, "cutover.router.reads", tags.and("side", "target"), "Reads answered by the target", ReadRouterCounts::targetReads);
        counter(registry, "cutover.router.fallbacks", tags, "Reads routed to the target that the source answered", ReadRouterCounts::fallbacks);
        counter(registry, "cutover.router.shadow.compared", tags, "Shadow comparisons finished", ReadRouterCounts::compared);
        counter(registry, "cutover.router.shadow.matched", tags, "Shadow comparisons whose answers agreed", ReadRouterCounts::matched);
        counter(registry, "cutover.router.shadow.mismatched", tags, "Shadow comparisons whose answers differed", ReadRouterCounts::mismatched);
        counter(registry, "cutover.router.shadow.settled", tags,
                "Shadow comparisons that differed at first and agreed when read again", ReadRouterCounts::settled);
        counter(registry, "cutover.router.shadow.abandoned", tags,
                "Shadow comparisons given up because the stage stopped writing both sides", ReadRouterCounts::abandoned);
        counter(registry, "cutover.router.shadow.errors", tags, "Shadow reads or comparisons that threw", ReadRouterCounts::shadowErrors);
        counter(registry, "cutover.router.shadow.dropped", tags,
                "Shadow reads taken on but never compared (rejected by a given executor, or waiting at close)",
                ReadRouterCounts::shadowDropped);
        counter(registry, "cutover.router.shadow.throttled", tags,
                "Reads drawn for shadowing that back-pressure left unshadowed", ReadRouterCounts::shadowThrottled);
        Gauge.builder("cutover.router.shadow.backlog", router, r -> r.counts().shadowBacklog())
                .tags(tags)
                .description("Shadow reads taken on and not finished")
                .register(registry);
        Gauge.builder("cutover.router.shadow.back.pressure", router, r -> r.counts().shadowBackPressure() ? 1 : 0)
                .tags(tags)
                .description("1 while back-pressure lowers the shadow share because comparisons fall behind, else 0")
                .register(registry);
        MismatchFields fields = RouterInternals.mismatchFields(router);
        fields.watch(field -> FunctionCounter.builder("cutover.router.shadow.field.mismatches", fields, f -> f.count(field))
                .tags(tags.and("field", field))
                .description("Shadow mismatches per differing field (at most 50 fields by name, then (other))")
                .register(registry));
        counter(registry, "cutover.router.auto.rollbacks", tags, "Automatic rollbacks of the target read percentage", ReadRouterCounts::autoRollbacks);
        for (CircuitBreaker.State state : CircuitBreaker.State.values()) {
            Gauge.builder("cutover.router.breaker.state", router, r -> r.breakerState() == state ? 1 : 0)
                    .tags(tags.and("state", state.name().toLowerCase(Locale.ROOT)))
                    .description("1 when the target read circuit breaker is in this state, else 0")
                    .register(registry);
        }
    }

    private void counter(MeterRegistry registry, String name, Tags tags, String description,
                         ToLongFunction<ReadRouterCounts> count) {
        FunctionCounter.builder(name, router, r -> count.applyAsLong(r.counts()))
                .tags(tags)
                .description(description)
                .register(registry);
    }
}
