package dev.cutover.dualwrite.micrometer;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.dualwrite.BackfillListener;
import dev.cutover.dualwrite.BackfillProgress;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Publishes the progress of a migration's backfills as Micrometer meters tagged {@code migration}:
 * they show the latest {@link BackfillProgress} any backfill of the migration reported to this
 * binder, 0 before the first.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>{@code cutover.backfill.rows.done}</td><td>gauge</td><td>source rows copied</td></tr>
 *   <tr><td>{@code cutover.backfill.rows.expected}</td><td>gauge</td><td>source rows counted at the start</td></tr>
 *   <tr><td>{@code cutover.backfill.rows.per.second}</td><td>gauge</td><td>rows copied per second, pauses excluded</td></tr>
 *   <tr><td>{@code cutover.backfill.remaining}</td><td>time gauge</td><td>estimated time left</td></tr>
 *   <tr><td>{@code cutover.backfill.chunk.size}</td><td>gauge</td><td>rows the next chunk asks for</td></tr>
 *   <tr><td>{@code cutover.backfill.running}</td><td>gauge</td><td>1 while a backfill copies or cleans, else 0</td></tr>
 *   <tr><td>{@code cutover.backfill.paused}</td><td>gauge</td><td>1 while paused, else 0</td></tr>
 *   <tr><td>{@code cutover.backfill.rows.deleted}</td><td>function counter</td><td>target rows deleted because the source lacked them</td></tr>
 *   <tr><td>{@code cutover.backfill.chunk.retries}</td><td>function counter</td><td>chunks rolled back and tried again</td></tr>
 *   <tr><td>{@code cutover.backfill.back.offs}</td><td>function counter</td><td>times the duty cycle halved because dual-write copies were slower than their baseline, or their slowest percent slower than without the backfill</td></tr>
 *   <tr><td>{@code cutover.backfill.back.off.time}</td><td>function counter, seconds</td><td>time spent waiting for the application's writes: back-off waits and baseline windows</td></tr>
 *   <tr><td>{@code cutover.backfill.duty.cycle}</td><td>gauge</td><td>share of time the backfill copies, 1 when not backing off</td></tr>
 *   <tr><td>{@code cutover.backfill.baseline.copy.time}</td><td>time gauge</td><td>average dual-write copy time without the backfill</td></tr>
 * </table>
 *
 * <p>Usage: {@code BackfillMetrics metrics = new BackfillMetrics("users"); metrics.bindTo(registry);
 * Backfill.builder(...).listener(metrics)}; the runtime does this when it has a registry. Thread-safe.
 */
public final class BackfillMetrics implements BackfillListener, MeterBinder {
    private static final BackfillProgress NONE = new BackfillProgress("", "", BackfillProgress.Phase.NOT_STARTED, 0, 0,
            0, 0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 1, Duration.ZERO);

    private final String migration;
    private volatile BackfillProgress last = NONE;

    /**
     * @param migration the {@code migration} tag
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public BackfillMetrics(String migration) {
        this.migration = Names.checkMigrationName(migration);
    }

    @Override
    public void onProgress(BackfillProgress progress) {
        last = Objects.requireNonNull(progress, "null progress");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("migration", migration);
        gauge(registry, "cutover.backfill.rows.done", tags, "Source rows copied by the backfill", BackfillProgress::rowsDone);
        gauge(registry, "cutover.backfill.rows.expected", tags, "Source rows counted when the backfill started",
                BackfillProgress::rowsTotal);
        gauge(registry, "cutover.backfill.rows.per.second", tags, "Rows the backfill copies per second, pauses excluded",
                BackfillProgress::rowsPerSecond);
        gauge(registry, "cutover.backfill.chunk.size", tags, "Rows the backfill's next chunk asks for",
                BackfillProgress::chunkSize);
        gauge(registry, "cutover.backfill.running", tags, "1 while a backfill copies or cleans, else 0",
                p -> p.phase() == BackfillProgress.Phase.COPYING || p.phase() == BackfillProgress.Phase.CLEANING_TARGET
                        ? 1 : 0);
        gauge(registry, "cutover.backfill.paused", tags, "1 while the backfill is paused, else 0",
                p -> p.phase() == BackfillProgress.Phase.PAUSED ? 1 : 0);
        TimeGauge.builder("cutover.backfill.remaining", this, TimeUnit.MILLISECONDS,
                        m -> m.last.estimatedRemaining().toMillis())
                .tags(tags).description("Estimated time left of the backfill").register(registry);
        counter(registry, "cutover.backfill.rows.deleted", tags, "Target rows the backfill deleted because the source"
                + " lacked them", BackfillProgress::rowsDeleted);
        counter(registry, "cutover.backfill.chunk.retries", tags, "Backfill chunks rolled back and tried again",
                BackfillProgress::chunkRetries);
        counter(registry, "cutover.backfill.back.offs", tags, "Times the backfill halved its duty cycle because dual-write"
                + " copies, or their slowest percent, were slower than without it", BackfillProgress::backOffs);
        FunctionCounter.builder("cutover.backfill.back.off.time", this, m -> m.last.backOffTime().toNanos() / 1e9)
                .tags(tags).baseUnit("seconds").description("Time the backfill waited for the application's writes:"
                        + " back-off waits and baseline windows").register(registry);
        gauge(registry, "cutover.backfill.duty.cycle", tags, "Share of time the backfill copies, 1 when not backing off",
                BackfillProgress::dutyCycle);
        TimeGauge.builder("cutover.backfill.baseline.copy.time", this, TimeUnit.MICROSECONDS,
                        m -> m.last.baselineCopyTime().toNanos() / 1e3)
                .tags(tags).description("Average dual-write copy time without the backfill, the back-off's baseline")
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, Tags tags, String description,
            ToDoubleFunction<BackfillProgress> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.last)).tags(tags).description(description).register(registry);
    }

    private void counter(MeterRegistry registry, String name, Tags tags, String description,
            ToDoubleFunction<BackfillProgress> value) {
        FunctionCounter.builder(name, this, m -> value.applyAsDouble(m.last)).tags(tags).description(description)
                .register(registry);
    }
}
