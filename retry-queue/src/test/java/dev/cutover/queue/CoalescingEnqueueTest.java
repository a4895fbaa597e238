package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.MIGRATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Write-ahead intents (entries due later that copy the key's current row) coalesce into their key's
 * newest entry while it is a pending, unleased twin, which is then due after the latest of them; an
 * entry being replayed is never changed; and a RESYNC never removes an intent that is not due yet,
 * whose write may still be running.
 */
class CoalescingEnqueueTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);

    @Test
    void inMemoryStore() {
        check((OwnRetryStore) RetryStore.inMemory());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void jdbcStore(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqcoalesce")) {
            check((OwnRetryStore) TestEntries.jdbcStore(db, 2));
        }
    }

    private static void check(OwnRetryStore store) {
        // 100 intents of one hot key, written 10 ms apart, each due a second after its write.
        long first = store.enqueueCoalescing(intent("hot", "resync"), T0.plusSeconds(1));
        for (int i = 1; i < 100; i++) {
            assertEquals(first, store.enqueueCoalescing(intent("hot", "resync"), T0.plusMillis(10L * i).plusSeconds(1)));
        }
        long otherDirection = store.enqueueCoalescing(intent("hot", "resync-to-source"), T0.plusSeconds(2));
        assertNotEquals(first, otherDirection, "intents of the other direction are not twins");
        assertEquals(T0.plusMillis(990).plusSeconds(1), store.find(first).orElseThrow().nextAttemptAt(),
                "due after the latest write");
        assertEquals(2, store.pendingCount());
        assertEquals(List.of(), store.claim("w", T0.plusMillis(1_500), 10, LEASE).entries(),
                "not due on its first due time any more");

        // A leased intent is being replayed: its copy may have read the row already, so a new intent is added.
        long cold = store.enqueueCoalescing(intent("cold", "resync"), T0);
        RetryEntry leased = only(store.claim("w", T0, 10, LEASE).entries());
        assertEquals(cold, leased.id());
        long behindLeased = store.enqueueCoalescing(intent("cold", "resync"), T0.plusSeconds(1));
        assertNotEquals(cold, behindLeased);
        assertEquals(T0, store.find(cold).orElseThrow().nextAttemptAt(), "the leased entry is left alone");
        assertTrue(store.complete(leased));
        assertEquals(3, store.pendingCount());

        // A RESYNC made now removes the due, pending entries of its key, but not an intent not due yet.
        long due = store.enqueue(TestEntries.upsert("k", 1), T0);
        long notDueYet = store.enqueueCoalescing(intent("k", "resync"), T0.plusSeconds(5));
        store.enqueue(NewRetryEntry.resync(MIGRATION, ENTITY, "k"), T0.plusSeconds(1));
        assertTrue(store.find(due).isEmpty(), "superseded");
        assertTrue(store.find(notDueYet).isPresent(), "its write may still be running: kept");
        assertEquals(T0.plusSeconds(5), store.find(notDueYet).orElseThrow().nextAttemptAt());
    }

    private static NewRetryEntry intent(String key, String operation) {
        return new NewRetryEntry(MIGRATION, ENTITY, key, ReplayMode.REPLAY, operation, NullNode.getInstance());
    }

    private static RetryEntry only(List<RetryEntry> entries) {
        assertEquals(1, entries.size(), entries.toString());
        return entries.get(0);
    }
}
