package dev.cutover.dualwrite.micrometer;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.BackfillListener;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.internal.LatestProgressMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

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
// Micrometer is optional (requires static): an application that binds meters requires it itself.
@SuppressWarnings("exports")
public final class BackfillMetrics implements BackfillListener, MeterBinder {
    private static final BackfillProgress NONE = new BackfillProgress("", "", BackfillProgress.Phase.NOT_STARTED, 0, 0,
            0, 0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 1, Duration.ZERO);

    private final LatestProgressMeters<BackfillProgress> meters;

    /**
     * @param migration the {@code migration} tag
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public BackfillMetrics(String migration) {
        this.meters = new LatestProgressMeters<>(migration, NONE);
    }

    @Override
    public void onProgress(BackfillProgress progress) {
        meters.report(progress);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        meters.gauge(registry, "cutover.backfill.rows.done", "Source rows copied by the backfill", BackfillProgress::rowsDone);
        meters.gauge(registry, "cutover.backfill.rows.expected", "Source rows counted when the backfill started",
                BackfillProgress::rowsTotal);
        meters.gauge(registry, "cutover.backfill.rows.per.second", "Rows the backfill copies per second, pauses excluded",
                BackfillProgress::rowsPerSecond);
        meters.gauge(registry, "cutover.backfill.chunk.size", "Rows the backfill's next chunk asks for",
                BackfillProgress::chunkSize);
        meters.gauge(registry, "cutover.backfill.running", "1 while a backfill copies or cleans, else 0",
                p -> p.phase() == BackfillProgress.Phase.COPYING || p.phase() == BackfillProgress.Phase.CLEANING_TARGET
                        ? 1 : 0);
        meters.gauge(registry, "cutover.backfill.paused", "1 while the backfill is paused, else 0",
                p -> p.phase() == BackfillProgress.Phase.PAUSED ? 1 : 0);
        meters.timeGauge(registry, "cutover.backfill.remaining", TimeUnit.MILLISECONDS,
                "Estimated time left of the backfill", p -> p.estimatedRemaining().toMillis());
        meters.counter(registry, "cutover.backfill.rows.deleted", "Target rows the backfill deleted because the source"
                + " lacked them", BackfillProgress::rowsDeleted);
        meters.counter(registry, "cutover.backfill.chunk.retries", "Backfill chunks rolled back and tried again",
                BackfillProgress::chunkRetries);
        meters.counter(registry, "cutover.backfill.back.offs", "Times the backfill halved its duty cycle because dual-write"
                + " copies, or their slowest percent, were slower than without it", BackfillProgress::backOffs);
        meters.counter(registry, "cutover.backfill.back.off.time", "seconds",
                "Time the backfill waited for the application's writes:" + " back-off waits and baseline windows",
                p -> p.backOffTime().toNanos() / 1e9);
        meters.gauge(registry, "cutover.backfill.duty.cycle", "Share of time the backfill copies, 1 when not backing off",
                BackfillProgress::dutyCycle);
        meters.timeGauge(registry, "cutover.backfill.baseline.copy.time", TimeUnit.MICROSECONDS,
                "Average dual-write copy time without the backfill, the back-off's baseline",
                p -> p.baselineCopyTime().toNanos() / 1e3);
    }
}
