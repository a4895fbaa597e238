package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.queue.internal.QueueAccess;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * While a migration has no entries, checking whether a key is pending costs no store query per key:
 * every write of a dual-writing repository asks, so on an empty queue that query was a round trip
 * per write.
 */
class PendingCheckTest {

    @Test
    void keysOfAnEmptyMigration_areAnsweredByOneCheckPerTtl() {
        CountingStore store = new CountingStore(RetryStore.inMemory());
        MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
        RetryQueue queue = RetryQueue.create(store, new RecordingHandler(),
                fastConfig("q").clock(clock).pendingCacheTtl(Duration.ofSeconds(1)).build());

        for (int i = 0; i < 100; i++) {
            assertFalse(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k" + i));
        }
        assertEquals(1, store.migrationChecks.get(), "one check of the migration");
        assertEquals(0, store.keyChecks.get(), "no check per key");

        clock.advance(Duration.ofMillis(1_001));
        assertFalse(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k0"));
        assertEquals(2, store.migrationChecks.get(), "checked again once the ttl passed");
    }

    @Test
    void anotherInstancesEntry_isSeenWithinTheTtl_evenForAKeyNeverAskedAbout() {
        RetryStore shared = RetryStore.inMemory();
        MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
        RetryQueue local = RetryQueue.create(shared, new RecordingHandler(),
                fastConfig("local").clock(clock).pendingCacheTtl(Duration.ofSeconds(1)).build());
        RetryQueue other = RetryQueue.create(shared, new RecordingHandler(), fastConfig("other").clock(clock).build());

        assertFalse(QueueAccess.isPending(local, MIGRATION, ENTITY, "k1"));
        other.enqueue(upsert("k2", 1));
        clock.advance(Duration.ofMillis(1_001));
        assertTrue(QueueAccess.isPending(local, MIGRATION, ENTITY, "k2"));
        assertFalse(QueueAccess.isPending(local, MIGRATION, ENTITY, "k1"));
    }

    @Test
    void aLocalEnqueue_isSeenAtOnce_andOtherKeysAreAskedOneByOne() {
        CountingStore store = new CountingStore(RetryStore.inMemory());
        RetryQueue queue = RetryQueue.create(store, new RecordingHandler(), fastConfig("q").build());
        assertFalse(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k1"));
        queue.enqueue(upsert("k1", 1));
        assertTrue(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k1"));
        assertFalse(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k2"));
        assertEquals(1, store.keyChecks.get(), "k2 asked of the store once the migration has entries");
    }

    @Test
    void pendingKeys_asksTheStoreOnceForTheKeysNotCached_andNotAtAllWhileTheMigrationIsEmpty() {
        CountingStore store = new CountingStore(RetryStore.inMemory());
        RetryQueue queue = RetryQueue.create(store, new RecordingHandler(), fastConfig("q").build());
        List<String> keys = List.of("k1", "k2", "k3", "k4");
        assertEquals(Optional.empty(), QueueAccess.cachedPendingKeys(queue, MIGRATION, ENTITY, keys), "nothing cached yet");
        assertEquals(Set.of(), QueueAccess.pendingKeys(queue, MIGRATION, ENTITY, keys));
        assertEquals(Optional.of(Set.of()), QueueAccess.cachedPendingKeys(queue, MIGRATION, ENTITY, keys),
                "an empty migration is known to have no pending key");
        assertEquals(0, store.keyChecks.get() + store.batchChecks.get(), "no check per key of an empty migration");

        queue.enqueue(upsert("k1", 1));
        store.enqueue(upsert("k3", 1), Instant.now()); // another instance's entry
        assertEquals(Optional.empty(), QueueAccess.cachedPendingKeys(queue, MIGRATION, ENTITY, keys), "k2 to k4 are not cached");
        assertEquals(Set.of("k1", "k3"), QueueAccess.pendingKeys(queue, MIGRATION, ENTITY, keys));
        assertEquals(1, store.batchChecks.get(), "one check for k2, k3 and k4");
        assertEquals(List.of("k2", "k3", "k4"), store.lastAsked, "k1 is known from its enqueue");
        assertEquals(0, store.keyChecks.get(), "no check key by key");
        assertEquals(Optional.of(Set.of("k1", "k3")), QueueAccess.cachedPendingKeys(queue, MIGRATION, ENTITY, List.of("k1", "k3")),
                "the keys found pending are cached");
        assertTrue(QueueAccess.isPending(queue, MIGRATION, ENTITY, "k3"));
    }

    private static final class CountingStore extends ForwardingRetryStore {
        final AtomicInteger migrationChecks = new AtomicInteger();
        final AtomicInteger keyChecks = new AtomicInteger();
        final AtomicInteger batchChecks = new AtomicInteger();
        volatile List<String> lastAsked;

        CountingStore(RetryStore delegate) {
            super(delegate);
        }

        @Override
        public boolean hasEntries(String migration) {
            migrationChecks.incrementAndGet();
            return super.hasEntries(migration);
        }

        @Override
        public boolean hasEntries(String migration, String entity, String key) {
            keyChecks.incrementAndGet();
            return super.hasEntries(migration, entity, key);
        }

        @Override
        public Set<String> keysWithEntries(String migration, String entity, Collection<String> keys) {
            batchChecks.incrementAndGet();
            lastAsked = List.copyOf(keys);
            return super.keysWithEntries(migration, entity, keys);
        }
    }
}
