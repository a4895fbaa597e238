package dev.cutover.verifier.micrometer;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.verifier.Progress;
import dev.cutover.verifier.ProgressListener;
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
public final class VerifierMetrics implements ProgressListener, MeterBinder {
    private static final Progress NONE = new Progress("", "", 0, 0, 0, Duration.ZERO, 0);

    private final String migration;
    private volatile Progress last = NONE;

    /**
     * Creates the binder.
     *
     * @param migration the {@code migration} tag: the migration's name, as its flags and its other
     *     meters tag it
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public VerifierMetrics(String migration) {
        this.migration = Names.checkMigrationName(migration);
    }

    @Override
    public void onProgress(Progress progress) {
        last = Objects.requireNonNull(progress, "null progress");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("migration", migration);
        gauge(registry, "cutover.verifier.rows.done", tags, "Source rows compared by the latest run", Progress::rowsDone);
        gauge(registry, "cutover.verifier.rows.expected", tags, "Source rows of the latest run's tables", Progress::rowsTotal);
        gauge(registry, "cutover.verifier.rows.per.second", tags, "Rows compared per second by the latest run",
                Progress::rowsPerSecond);
        gauge(registry, "cutover.verifier.differences", tags, "Keys still different after re-checking in the latest run",
                Progress::differences);
        TimeGauge.builder("cutover.verifier.remaining", this, TimeUnit.MILLISECONDS,
                        m -> m.last.estimatedRemaining().toMillis())
                .tags(tags).description("Estimated time left of the latest run").register(registry);
    }

    private void gauge(MeterRegistry registry, String name, Tags tags, String description, ToDoubleFunction<Progress> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.last)).tags(tags).description(description).register(registry);
    }
}
