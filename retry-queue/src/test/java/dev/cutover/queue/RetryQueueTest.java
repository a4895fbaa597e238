package dev.cutover.queue;

import dev.cutover.queue.internal.QueueAccess;
import dev.cutover.testsupport.Await;
import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Queue behaviour on the in-memory store: pending checks, coalescing, circuit breaker, shutdown and thread safety. */
class RetryQueueTest {

    @Test
    void isPending_seesALocalEnqueueAtOnce_andAnotherInstancesWithinTheCacheTtl() {
        RetryStore store = RetryStore.inMemory();
        MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
        RetryQueue local = RetryQueue.create(store, new RecordingHandler(),
                fastConfig("local").clock(clock).pendingCacheTtl(Duration.ofSeconds(1)).build());
        RetryQueue other = RetryQueue.create(store, new RecordingHandler(), fastConfig("other").clock(clock).build());

        assertFalse(QueueAccess.isPending(local, MIGRATION, ENTITY, "k1"));
        local.enqueue(upsert("k1", 1));
        assertTrue(QueueAccess.isPending(local, MIGRATION, ENTITY, "k1"), "seen at once by the enqueuing instance");

        assertFalse(QueueAccess.isPending(local, MIGRATION, ENTITY, "k2"));
        other.enqueue(upsert("k2", 1));
        assertFalse(QueueAccess.isPending(local, MIGRATION, ENTITY, "k2"), "cached answer is trusted for the ttl");
        clock.advance(Duration.ofMillis(1_001));
        assertTrue(QueueAccess.isPending(local, MIGRATION, ENTITY, "k2"), "seen once the ttl passed");
    }

    @Test
    void isPending_turnsFalseOnceTheKeyIsReplayed() throws Exception {
        RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), new RecordingHandler(), fastConfig("q").build());
        queue.enqueue(upsert("k1", 1));
        assertTrue(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k1"));
        drain(queue);
        assertFalse(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k1"));
    }

    @Test
    void resync_supersedesEarlierUnleasedEntriesOfItsKey_butNotLeasedOnesOrOtherKeys() throws Exception {
        RetryStore store = RetryStore.inMemory();
        RecordingHandler handler = new RecordingHandler();
        RetryQueue queue = RetryQueue.create(store, handler, fastConfig("q").build());
        long leased = queue.enqueue(upsert("k1", 1));
        RetryEntry claimed = store.claim("other", Instant.now(), 1, Duration.ofSeconds(30)).entries().get(0);
        queue.enqueue(upsert("k1", 2));
        queue.enqueue(upsert("k1", 3));
        long otherKey = queue.enqueue(upsert("k2", 1));
        long resync = queue.enqueue(NewRetryEntry.resync(MIGRATION, ENTITY, "k1"));

        assertEquals(3, store.pendingCount(), "the leased entry, the other key's entry and the resync remain");
        assertTrue(store.complete(claimed));
        drain(queue);
        assertEquals(List.of(resync), handler.appliedSequences(ENTITY, "k1"));
        assertEquals(List.of(otherKey), handler.appliedSequences(ENTITY, "k2"));
        assertEquals(leased, claimed.id());
    }

    @Test
    void openCircuitBreaker_stopsReplays_withoutSpendingAttempts_untilItCloses() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("target");
        breaker.transitionToForcedOpenState();
        RecordingHandler handler = new RecordingHandler();
        RetryStore store = RetryStore.inMemory();
        RetryQueue queue = RetryQueue.create(store, handler, fastConfig("q").circuitBreaker(breaker).build());
        long id = queue.enqueue(upsert("k1", 1));
        queue.start();
        try {
            Await.until("the breaker refused calls", () -> breaker.getMetrics().getNumberOfNotPermittedCalls() > 10);
            assertEquals(0, handler.applied());
            RetryEntry waiting = store.find(id).orElseThrow();
            assertEquals(0, waiting.attempts());
            assertNull(waiting.leaseOwner(), "nothing claimed while the breaker is open");

            breaker.transitionToClosedState();
            assertTrue(queue.drain(Duration.ofSeconds(30)));
        } finally {
            queue.stop();
        }
        assertEquals(1, handler.applied());
        assertEquals(1, breaker.getMetrics().getNumberOfSuccessfulCalls(), "replays are recorded in the breaker");
    }

    @Test
    void stop_finishesTheEntryInProgress_andReleasesTheRestOfTheBatch() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        RecordingHandler handler = new RecordingHandler() {
            @Override
            void beforeApply(RetryEntry entry) throws Exception {
                entered.countDown();
                assertTrue(proceed.await(30, TimeUnit.SECONDS));
            }
        };
        RetryStore store = RetryStore.inMemory();
        RetryQueue queue = RetryQueue.create(store, handler, fastConfig("q").workerCount(1).batchSize(10).build());
        for (int i = 0; i < 10; i++) {
            queue.enqueue(upsert("k" + i, i));
        }
        queue.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        ExecutorService stopper = Executors.newSingleThreadExecutor();
        try {
            Future<?> stopped = stopper.submit(queue::stop);
            Await.until("stop was requested", () -> !queue.isRunning());
            proceed.countDown();
            stopped.get(30, TimeUnit.SECONDS);
        } finally {
            stopper.shutdownNow();
        }
        assertEquals(1, handler.applied(), "the entry in progress was finished");
        assertEquals(9, store.pendingCount());
        assertEquals(9, store.claim("probe", Instant.now(), 10, Duration.ofSeconds(1)).entries().size(),
                "the rest of the batch was released at once, not left leased for 30 s");
    }

    @Test
    void concurrentEnqueuesWhileWorkersDrain_applyEverythingInPerKeyOrder_underARateLimit() throws Exception {
        RecordingHandler handler = new RecordingHandler();
        RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), handler,
                fastConfig("q").workerCount(4).batchSize(20).replaysPerSecond(100_000).build());
        Map<String, List<Long>> expected = new HashMap<>();
        queue.start();
        ExecutorService producers = Executors.newFixedThreadPool(4);
        try {
            List<Future<Map<String, List<Long>>>> results = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                int producer = p;
                results.add(producers.submit(() -> {
                    Map<String, List<Long>> mine = new HashMap<>();
                    for (int i = 0; i < 500; i++) {
                        // Each producer owns its keys, as a source row lock would make it.
                        String key = "p" + producer + "-" + (i % 25);
                        mine.computeIfAbsent(ENTITY + "/" + key, k -> new ArrayList<>()).add(queue.enqueue(upsert(key, i)));
                    }
                    return mine;
                }));
            }
            for (Future<Map<String, List<Long>>> result : results) {
                expected.putAll(result.get(60, TimeUnit.SECONDS));
            }
            assertTrue(queue.drain(Duration.ofSeconds(60)));
        } finally {
            producers.shutdownNow();
            queue.stop();
        }
        assertEquals(2_000, handler.applied());
        handler.assertAppliedInOrder(expected, false);
    }

    @Test
    void transactionalEnqueue_onAnInMemoryStore_isRejected() {
        RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), new RecordingHandler(), fastConfig("q").build());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> queue.enqueue((Connection) null, upsert("k", 1)));
        assertTrue(e.getMessage().startsWith("Enqueueing in the caller's transaction needs a JDBC store"), e.getMessage());
    }

    private static void drain(RetryQueue queue) throws InterruptedException {
        queue.start();
        try {
            assertTrue(queue.drain(Duration.ofSeconds(30)));
        } finally {
            queue.stop();
        }
    }
}
