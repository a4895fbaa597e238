package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.testsupport.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A worker whose claim lost every due candidate to other claimers claims again at once instead of
 * idling for its poll interval: under contention that idle wait was most of the drain time.
 */
class LostClaimTest {

    @Test
    void aClaimThatLostEveryCandidate_isRetriedWithoutWaitingAPollInterval() throws Exception {
        LosingFirstClaims store = new LosingFirstClaims(RetryStore.inMemory(), 3);
        RecordingHandler handler = new RecordingHandler();
        // A poll interval far beyond Await's patience: only a worker that does not wait it can pass.
        try (RetryQueue queue = RetryQueue.create(store, handler,
                fastConfig("lost").workerCount(1).pollInterval(Duration.ofMinutes(1)).shutdownTimeout(Duration.ZERO)
                        .build())) {
            queue.enqueue(upsert("k1", 1));
            queue.start();
            Await.until("the entry is replayed after three lost claims", () -> store.pendingCount() == 0);
        }
        assertEquals(4, store.firstClaimWithEntries.get(), "three lost claims, then the one that got the entry");
    }

    @Test
    void aClaimThatKeepsLosing_fallsBackToThePollInterval() throws Exception {
        LosingFirstClaims store = new LosingFirstClaims(RetryStore.inMemory(), Integer.MAX_VALUE);
        try (RetryQueue queue = RetryQueue.create(store, new RecordingHandler(),
                fastConfig("spin").workerCount(1).pollInterval(Duration.ofMinutes(1))
                        .shutdownTimeout(Duration.ZERO).build())) {
            queue.enqueue(upsert("k1", 1));
            queue.start();
            Await.until("the worker gives up claiming at once", () -> store.claims.get() >= 6);
            int claims = store.claims.get();
            queue.stop();
            assertEquals(6, claims, "the first claim and five immediate retries, then the poll interval");
        }
    }

    /** Reports its first claims as lost to another instance, then claims for real. */
    private static final class LosingFirstClaims extends ForwardingRetryStore {
        private final int losing;
        final AtomicInteger claims = new AtomicInteger();
        final AtomicInteger firstClaimWithEntries = new AtomicInteger();

        LosingFirstClaims(RetryStore delegate, int losing) {
            super(delegate);
            this.losing = losing;
        }

        @Override
        public ClaimResult claim(String owner, Instant now, int limit, Duration lease,
                Optional<Set<String>> migrations) {
            int claim = claims.incrementAndGet();
            if (claim <= losing) {
                return new ClaimResult(List.of(), Map.of(MIGRATION, 1));
            }
            ClaimResult result = super.claim(owner, now, limit, lease, migrations);
            if (!result.entries().isEmpty()) {
                firstClaimWithEntries.compareAndSet(0, claim);
            }
            return result;
        }
    }
}
