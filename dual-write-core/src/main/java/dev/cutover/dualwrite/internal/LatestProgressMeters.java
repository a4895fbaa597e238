package dev.cutover.dualwrite.internal;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Meters tagged {@code migration} that show the latest progress report a listener received, for the
 * backfill's and the verifier's meter binders: each meter reads the latest report when it is read.
 * Thread-safe.
 *
 * @param <P> the reports' type
 */
public final class LatestProgressMeters<P> {
    private final Tags tags;
    private volatile P last;

    /**
     * @param migration the {@code migration} tag
     * @param none what the meters show before the first report
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public LatestProgressMeters(String migration, P none) {
        this.tags = Tags.of("migration", Names.checkMigrationName(migration));
        this.last = none;
    }

    /** @param progress the latest report */
    public void report(P progress) {
        last = Objects.requireNonNull(progress, "null progress");
    }

    /** Registers a gauge of the latest report. */
    public void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<P> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.last)).tags(tags).description(description).register(registry);
    }

    /** Registers a time gauge of the latest report, whose value is in {@code unit}. */
    public void timeGauge(MeterRegistry registry, String name, TimeUnit unit, String description,
            ToDoubleFunction<P> value) {
        TimeGauge.builder(name, this, unit, m -> value.applyAsDouble(m.last)).tags(tags).description(description)
                .register(registry);
    }

    /** Registers a function counter of the latest report, without a base unit. */
    public void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<P> value) {
        counter(registry, name, null, description, value);
    }

    /** Registers a function counter of the latest report, counted in {@code baseUnit} (null: none). */
    public void counter(MeterRegistry registry, String name, String baseUnit, String description,
            ToDoubleFunction<P> value) {
        FunctionCounter.builder(name, this, m -> value.applyAsDouble(m.last)).tags(tags).baseUnit(baseUnit)
                .description(description).register(registry);
    }
}
