package dev.cutover.verifier.micrometer;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.internal.LatestProgressMeters;
import dev.cutover.verifier.Progress;
import dev.cutover.verifier.ProgressListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the progress of a verifier's runs as Micrometer gauges tagged {@code migration}:
 * {@code cutover.verifier.rows.done}, {@code cutover.verifier.rows.expected},
 * {@code cutover.verifier.rows.per.second}, {@code cutover.verifier.differences} (keys still
 * different after re-checking: alert when above 0) and the time gauge
 * {@code cutover.verifier.remaining}. The gauges show the latest chunk's {@link Progress}, 0
 * before the first.
 *
 * <p>Usage: {@code VerifierMetrics metrics = new VerifierMetrics("customers"); metrics.bindTo(registry);
 * Verifier.builder(source, target).progressListener(metrics)...}. Thread-safe.
 */
// Micrometer is optional (requires static): an application that binds meters requires it itself.
@SuppressWarnings("exports")
public final class VerifierMetrics implements ProgressListener, MeterBinder {
    private static final Progress NONE = new Progress("", "", 0, 0, 0, Duration.ZERO, 0);

    private final LatestProgressMeters<Progress> meters;

    /**
     * Creates the binder.
     *
     * @param migration the {@code migration} tag: the migration's name, as its flags and its other
     *     meters tag it
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public VerifierMetrics(String migration) {
        this.meters = new LatestProgressMeters<>(migration, NONE);
    }

    @Override
    public void onProgress(Progress progress) {
        meters.report(progress);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        meters.gauge(registry, "cutover.verifier.rows.done", "Source rows compared by the latest run", Progress::rowsDone);
        meters.gauge(registry, "cutover.verifier.rows.expected", "Source rows of the latest run's tables", Progress::rowsTotal);
        meters.gauge(registry, "cutover.verifier.rows.per.second", "Rows compared per second by the latest run",
                Progress::rowsPerSecond);
        meters.gauge(registry, "cutover.verifier.differences", "Keys still different after re-checking in the latest run",
                Progress::differences);
        meters.timeGauge(registry, "cutover.verifier.remaining", TimeUnit.MILLISECONDS,
                "Estimated time left of the latest run", p -> p.estimatedRemaining().toMillis());
    }
}
