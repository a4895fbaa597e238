package dev.cutover.dualwrite.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.dualwrite.BackfillProgress;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the backfill's meters show before and after a progress report. */
class BackfillMetricsTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final BackfillMetrics metrics = new BackfillMetrics("users");

    @Test
    void everyMeter_showsTheLatestReport_andZeroBeforeTheFirst() {
        metrics.bindTo(registry);
        assertEquals(0.0, gauge("cutover.backfill.rows.done"));
        assertEquals(1.0, gauge("cutover.backfill.duty.cycle"));
        assertEquals(0.0, registry.get("cutover.backfill.back.off.time").functionCounter().count());

        metrics.onProgress(new BackfillProgress("users", "users", BackfillProgress.Phase.COPYING, 400, 1_000, 7, 4, 2, 3,
                250, 120.5, Duration.ofSeconds(5), Duration.ofSeconds(9), Duration.ofMillis(1_500), 0.25,
                Duration.ofMillis(2)));

        Map<String, Double> gauges = new TreeMap<>();
        for (String name : new String[] {"rows.done", "rows.expected", "rows.per.second", "chunk.size", "running",
                "paused", "duty.cycle"}) {
            gauges.put(name, gauge("cutover.backfill." + name));
        }
        assertEquals(Map.of("rows.done", 400.0, "rows.expected", 1_000.0, "rows.per.second", 120.5, "chunk.size", 250.0,
                "running", 1.0, "paused", 0.0, "duty.cycle", 0.25), gauges);
        assertEquals(7.0, registry.get("cutover.backfill.rows.deleted").functionCounter().count());
        assertEquals(2.0, registry.get("cutover.backfill.chunk.retries").functionCounter().count());
        assertEquals(3.0, registry.get("cutover.backfill.back.offs").functionCounter().count());
        assertEquals(1.5, registry.get("cutover.backfill.back.off.time").functionCounter().count());
        assertEquals("seconds", registry.get("cutover.backfill.back.off.time").functionCounter().getId().getBaseUnit());
        assertEquals(null, registry.get("cutover.backfill.back.offs").functionCounter().getId().getBaseUnit());
        assertEquals(5.0, registry.get("cutover.backfill.remaining").timeGauge().value(TimeUnit.SECONDS));
        assertEquals(2.0, registry.get("cutover.backfill.baseline.copy.time").timeGauge().value(TimeUnit.MILLISECONDS));
        assertEquals("Estimated time left of the backfill",
                registry.get("cutover.backfill.remaining").tag("migration", "users").timeGauge().getId().getDescription());
    }

    @Test
    void aNullReport_isRefused() {
        NullPointerException refused = assertThrows(NullPointerException.class, () -> metrics.onProgress(null));
        assertEquals("null progress", refused.getMessage());
    }

    private double gauge(String name) {
        return registry.get(name).tag("migration", "users").gauge().value();
    }
}
