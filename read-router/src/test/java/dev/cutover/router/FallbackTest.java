package dev.cutover.router;

import dev.cutover.testsupport.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FallbackTest {
    private static final String M = "invoices";

    private final MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build();

    @BeforeEach
    void allReadsOnTarget() {
        flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "fallback test");
        flags.setTargetReadPercent(M, 100, "test", "all reads on the target");
    }

    @AfterEach
    void closeFlags() {
        flags.close();
    }

    @Test
    void failingTargetRead_isAnsweredByTheSource_andCounted() throws Exception {
        try (ReadRouter router = ReadRouter.builder(flags, M).build()) {
            String answer = router.read("findInvoice", "k1", () -> "from source", () -> {
                throw new SQLException("target broken");
            });
            assertEquals("from source", answer);
            assertEquals(1, router.counts().fallbacks());
            assertEquals(1, router.counts().sourceReads());
            assertEquals(0, router.counts().targetReads());
        }
    }

    @Test
    void whenTheSourceFailsToo_theCallerGetsTheSourcesException_withTheTargetsAttached() {
        SQLException sourceFailure = new SQLException("source broken");
        SQLException targetFailure = new SQLException("target broken");
        try (ReadRouter router = ReadRouter.builder(flags, M).build()) {
            SQLException thrown = assertThrows(SQLException.class, () -> router.read("findInvoice", "k1", () -> {
                throw sourceFailure;
            }, () -> {
                throw targetFailure;
            }));
            assertSame(sourceFailure, thrown);
            assertSame(targetFailure, thrown.getSuppressed()[0]);
        }
    }

    @Test
    void targetReadOverItsTimeLimit_isAnsweredByTheSource() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ReadRouterConfig config = ReadRouterConfig.custom().targetTimeout(Duration.ofMillis(100)).build();
        try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
            String answer = router.read("findInvoice", "k1", () -> "from source", () -> {
                release.await();
                return "from target";
            });
            assertEquals("from source", answer);
            assertEquals(1, router.counts().fallbacks());
        } finally {
            release.countDown();
        }
    }

    @Test
    void busyTargetThreads_sendFurtherReadsToTheSource() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ReadRouterConfig config = ReadRouterConfig.custom().targetConcurrency(1).targetTimeout(Duration.ofMinutes(1)).build();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
            Future<String> slow = caller.submit(() -> router.read("slow", "k1", () -> "from source", () -> {
                started.countDown();
                release.await();
                return "from target";
            }));
            assertTrue(started.await(20, TimeUnit.SECONDS));
            assertEquals("from source", router.read("fast", "k2", () -> "from source", () -> "from target"));
            assertEquals(1, router.counts().fallbacks());
            release.countDown();
            assertEquals("from target", slow.get(20, TimeUnit.SECONDS));
        } finally {
            release.countDown();
            caller.shutdownNow();
        }
    }

    @Test
    void breaker_opensOnFailures_keepsReadsOffTheTarget_andClosesAfterSuccessfulProbes() throws Exception {
        ReadRouterConfig config = ReadRouterConfig.custom().circuitBreaker(CircuitBreakerConfig.from(ReadRouterConfig.DEFAULT_CIRCUIT_BREAKER).slidingWindowSize(10)
                .minimumNumberOfCalls(5).waitDurationInOpenState(Duration.ofMillis(200))
                .permittedNumberOfCallsInHalfOpenState(2).build()).build();
        AtomicBoolean targetHealthy = new AtomicBoolean(false);
        AtomicInteger targetCalls = new AtomicInteger();
        ReadCall<String> target = () -> {
            targetCalls.incrementAndGet();
            if (!targetHealthy.get()) {
                throw new SQLException("connection refused");
            }
            return "from target";
        };
        try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
            for (int i = 0; i < 5; i++) {
                assertEquals("from source", router.read("find", "k" + i, () -> "from source", target));
            }
            assertEquals(CircuitBreaker.State.OPEN, router.breakerState());
            assertEquals(Side.SOURCE, router.route("k1"), "route() reflects the open breaker");
            int callsWhenOpened = targetCalls.get();
            assertEquals("from source", router.read("find", "k9", () -> "from source", target));
            assertEquals(callsWhenOpened, targetCalls.get(), "an open breaker keeps reads off the target");

            targetHealthy.set(true);
            Await.until(() -> {
                try {
                    router.read("find", "probe", () -> "from source", target);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return router.breakerState() == CircuitBreaker.State.CLOSED;
            });
            assertEquals(CircuitBreaker.State.CLOSED, router.breakerState());
            assertEquals("from target", router.read("find", "k1", () -> "from source", target));
            assertEquals(Side.TARGET, router.route("k1"));
        }
    }

    @Test
    void targetPrimary_hasNoFallback_evenWithAnOpenBreaker() throws Exception {
        ReadRouterConfig config = ReadRouterConfig.custom()
                .circuitBreaker(CircuitBreakerConfig.from(ReadRouterConfig.DEFAULT_CIRCUIT_BREAKER).slidingWindowSize(2).minimumNumberOfCalls(2).build()).build();
        try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
            for (int i = 0; i < 2; i++) {
                router.read("find", "k", () -> "from source", () -> {
                    throw new SQLException("down");
                });
            }
            assertEquals(CircuitBreaker.State.OPEN, router.breakerState());
            flags.moveTo(M, Stage.TARGET_PRIMARY, "test", "target primary");
            assertEquals("from target", router.read("find", "k", () -> "from source", () -> "from target"));
            assertEquals(Side.TARGET, router.route("k"));
        }
    }
}
