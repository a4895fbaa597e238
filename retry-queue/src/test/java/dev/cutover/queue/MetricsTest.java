package dev.cutover.queue;

import dev.cutover.queue.micrometer.RetryQueueMetrics;
import dev.cutover.testsupport.IsolatedClasspath;
import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Method;
import java.net.URLClassLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Per-migration Micrometer meters, and a queue that runs with no Micrometer on the classpath at all. */
class MetricsTest {

    @Test
    void meters_countEnqueuedReplayedRetriedParked_andGaugeDepthAndLag_perMigration() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        AtomicBoolean failedOnce = new AtomicBoolean();
        RecordingHandler applied = new RecordingHandler();
        ReplayHandler handler = (entry, payload) -> {
            if (entry.key().equals("flaky") && failedOnce.compareAndSet(false, true)) {
                throw new IllegalStateException("target timed out");
            }
            if (entry.key().equals("poison")) {
                throw new NonRetryableReplayException("rejected for good");
            }
            applied.replay(entry, payload);
        };
        RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), handler, fastConfig("metrics").build());
        new RetryQueueMetrics(queue).bindTo(registry);
        queue.enqueue(upsert("ok", 1));
        queue.enqueue(upsert("flaky", 1));
        queue.enqueue(upsert("poison", 1));

        assertEquals(3.0, registry.get("cutover.retry.queue.depth").tag("migration", MIGRATION).gauge().value());
        queue.start();
        try {
            assertTrue(queue.drain(Duration.ofSeconds(30)));
        } finally {
            queue.stop();
        }
        assertEquals(3.0, count(registry, "enqueued"));
        assertEquals(2.0, count(registry, "replayed"));
        assertEquals(1.0, count(registry, "retried"));
        assertEquals(1.0, count(registry, "parked"));
        assertEquals(2, applied.applied());
    }

    @Test
    void lagGauge_showsTheAgeOfTheOldestPendingEntry_andParkedDepthCountsParkedOnes() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
        RetryStore store = RetryStore.inMemory();
        RetryQueue queue = RetryQueue.create(store, new RecordingHandler(), fastConfig("lag").clock(clock).build());
        new RetryQueueMetrics(queue).bindTo(registry);
        queue.enqueue(upsert("old", 1));
        clock.advance(Duration.ofSeconds(3));
        queue.enqueue(upsert("new", 1));
        RetryEntry claimed = store.claim("operator", clock.instant(), 1, Duration.ofSeconds(30)).entries().get(0);
        store.park(claimed, "broken");
        clock.advance(Duration.ofSeconds(2));

        assertEquals(2_000.0, registry.get("cutover.retry.queue.oldest.age").tag("migration", MIGRATION).timeGauge()
                .value(TimeUnit.MILLISECONDS), "only pending entries count: the parked old one does not");
        assertEquals(1.0, registry.get("cutover.retry.queue.depth").tag("migration", MIGRATION).gauge().value());
        assertEquals(1.0, registry.get("cutover.retry.queue.parked.depth").tag("migration", MIGRATION).gauge().value());
    }

    private static double count(MeterRegistry registry, String name) {
        return registry.get("cutover.retry.queue." + name).tag("migration", MIGRATION).counter().count();
    }

    @Test
    void queue_runsWithoutMicrometerOnTheClasspath() throws Exception {
        try (URLClassLoader loader = IsolatedClasspath.without("micrometer")) {
            assertEquals(false, IsolatedClasspath.canLoad(loader, "io.micrometer.core.instrument.MeterRegistry"),
                    "Micrometer must really be missing for this test to mean anything");
            Method run = loader.loadClass(WithoutMicrometer.class.getName()).getMethod("run");
            assertEquals(5, run.invoke(null));
        }
    }

    /** Runs in a class loader without Micrometer: enqueue, drain and report how many entries were replayed. */
    public static final class WithoutMicrometer {
        private WithoutMicrometer() {
        }

        public static int run() throws InterruptedException {
            RecordingHandler handler = new RecordingHandler();
            RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), handler, fastConfig("plain").build());
            for (int i = 0; i < 5; i++) {
                queue.enqueue(upsert("k" + i, i));
            }
            queue.start();
            try {
                queue.drain(Duration.ofSeconds(30));
            } finally {
                queue.stop();
            }
            return handler.applied();
        }
    }
}
