package dev.cutover.router.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ReadRouterMetricsTest {
    private static final String M = "ledger";

    private static double counter(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tag("migration", M).tags(tags).functionCounter().count();
    }

    private static double gauge(MeterRegistry registry, String name) {
        return registry.get(name).tag("migration", M).gauge().value();
    }

    private static double breaker(MeterRegistry registry, String state) {
        return registry.get("cutover.router.breaker.state").tag("migration", M).tag("state", state).gauge().value();
    }

    private static void awaitComparisons(ReadRouter router, long count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (router.counts().compared() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    void meters_followTheRoutersCounts_taggedWithTheMigration() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build()) {
            flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "metrics");
            flags.update(M, "test", "all on target, all shadowed", b -> b.targetReadPercent(100).shadowReadPercent(100));
            ReadRouterConfig config = ReadRouterConfig.custom()
                    .circuitBreaker(CircuitBreakerConfig.from(ReadRouterConfig.DEFAULT_CIRCUIT_BREAKER).slidingWindowSize(2).minimumNumberOfCalls(2).build())
                    .shadowThreads(1).shadowQueueCapacity(1).build();
            try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
                new ReadRouterMetrics(router).bindTo(registry);
                assertEquals(1.0, breaker(registry, "closed"));

                router.read("q", "a", () -> "same", () -> "same");
                router.read("q", "b", () -> "source", () -> "target");
                awaitComparisons(router, 2);
                assertEquals(2.0, counter(registry, "cutover.router.reads", "side", "target"));
                assertEquals(2.0, counter(registry, "cutover.router.shadow.compared"));
                assertEquals(1.0, counter(registry, "cutover.router.shadow.matched"));
                assertEquals(1.0, counter(registry, "cutover.router.shadow.mismatched"));
                assertEquals(1.0, counter(registry, "cutover.router.shadow.field.mismatches", "field", "(result)"),
                        "a meter per differing field, registered when the field first differs");

                for (int i = 0; i < 2; i++) {
                    router.read("q", "c", () -> "source", () -> {
                        throw new SQLException("down");
                    });
                }
                assertEquals(2.0, counter(registry, "cutover.router.fallbacks"));
                assertEquals(2.0, counter(registry, "cutover.router.reads", "side", "source"));
                assertEquals(1.0, breaker(registry, "open"));
                assertEquals(0.0, breaker(registry, "closed"));

                flags.setTargetReadPercent(M, 0, "test", "reads back on the source, still shadowed");
                router.read("q", "d", () -> "source", () -> {
                    started.countDown();
                    release.await();
                    return "source";
                });
                assertTrue(started.await(20, TimeUnit.SECONDS));
                for (int i = 0; i < 3; i++) {
                    router.read("q", "d", () -> "source", () -> "source");
                }
                assertEquals(2.0, counter(registry, "cutover.router.shadow.throttled"), "one runs, one waits, two not taken on");
                assertEquals(0.0, counter(registry, "cutover.router.shadow.dropped"));
                assertEquals(2.0, gauge(registry, "cutover.router.shadow.backlog"));
                assertEquals(1.0, gauge(registry, "cutover.router.shadow.back.pressure"));
                assertEquals(0.0, counter(registry, "cutover.router.shadow.abandoned"));
                assertEquals(0.0, counter(registry, "cutover.router.shadow.errors"));
                assertEquals(0.0, counter(registry, "cutover.router.auto.rollbacks"));
            } finally {
                release.countDown();
            }
        }
    }
}
