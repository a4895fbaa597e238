package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.fastConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A rolling deploy that adds a migration: instance A runs the new version and replays m1 and m2,
 * instance B still runs the old one and knows only m1. Sharing one table, B claims only m1's entries
 * and leaves m2's pending, never parking them, and A drains them.
 */
class MigrationFilterTest {

    static Stream<Engine> servers() {
        return Stream.of(Engine.POSTGRESQL, Engine.MARIADB);
    }

    @ParameterizedTest
    @MethodSource("servers")
    void anInstanceClaimsOnlyTheMigrationsItsHandlerKnows_andLeavesTheOthersToInstancesThatKnowThem(Engine engine)
            throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqfilter")) {
            JdbcRetryStore storeA = TestEntries.jdbcStore(db, 3);
            JdbcRetryStore storeB = RetryStore.jdbc(db.dataSource(3), "");
            KnownMigrations handlerA = new KnownMigrations(Set.of("m1", "m2"));
            KnownMigrations handlerB = new KnownMigrations(Set.of("m1"));
            RetryQueue a = RetryQueue.create(storeA, handlerA, fastConfig("new-version").workerCount(2).build());
            RetryQueue b = RetryQueue.create(storeB, handlerB, fastConfig("old-version").workerCount(2).build());
            for (int i = 0; i < 40; i++) {
                b.enqueue(entry(i % 2 == 0 ? "m1" : "m2", "k" + (i % 5), i));
            }
            b.start();
            try {
                Await.until("the old instance replayed m1's entries", () -> handlerB.applied("m1") == 20);
                // Many more claims of the old instance, each of which could have taken m2's due entries.
                Thread.sleep(500);
                assertEquals(0, handlerB.applied("m2"));
                assertEquals(Map.of(), handlerB.refused, "entries the old instance was handed and could not replay");
                assertTrue(b.parked(10).isEmpty(), "the old instance parked nothing");
                assertEquals(20, storeB.stats().get("m2").pending(), "m2's entries wait for an instance that knows m2");

                a.start();
                assertTrue(a.drain(Duration.ofSeconds(30)), "the new instance drains m2");
            } finally {
                a.stop();
                b.stop();
            }
            assertEquals(20, handlerA.applied("m2"));
            assertEquals(0, handlerA.applied("m1"), "the old instance had replayed every m1 entry already");
            assertTrue(a.parked(10).isEmpty());
            assertEquals(Map.of(), handlerB.refused);
        }
    }

    @Test
    void theInMemoryStoreFiltersClaimsByMigrationToo() {
        RetryStore store = RetryStore.inMemory();
        store.enqueue(entry("m1", "k", 1), java.time.Instant.EPOCH);
        store.enqueue(entry("m2", "k", 2), java.time.Instant.EPOCH);
        ClaimResult claim = store.claim("b", java.time.Instant.EPOCH, 10, Duration.ofSeconds(1),
                Optional.of(Set.of("m1")));
        assertEquals(1, claim.entries().size());
        assertEquals("m1", claim.entries().get(0).migration());
    }

    @Test
    void aHandlerThatDeclaresNoMigration_isRefused() {
        ReplayHandler none = new KnownMigrations(Set.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetryQueue.create(RetryStore.inMemory(), none, fastConfig("none").build()));
        assertTrue(e.getMessage().contains("declares no migration"), e.getMessage());
    }

    private static NewRetryEntry entry(String migration, String key, int value) {
        JsonNode payload = JsonNodeFactory.instance.objectNode().put("id", key).put("value", value);
        return new NewRetryEntry(migration, ENTITY, key, ReplayMode.REPLAY, "upsert", payload);
    }

    /** Replays the entries of the migrations it knows and refuses the others, as CopyReplayHandler does. */
    private static final class KnownMigrations implements ReplayHandler {
        private final Set<String> known;
        private final Map<String, AtomicInteger> applied = new ConcurrentHashMap<>();
        final Map<String, Integer> refused = new ConcurrentHashMap<>();

        KnownMigrations(Set<String> known) {
            this.known = known;
        }

        @Override
        public void replay(RetryEntry entry, JsonNode payload) throws NonRetryableReplayException {
            if (!known.contains(entry.migration())) {
                refused.merge(entry.migration(), 1, Integer::sum);
                throw new NonRetryableReplayException("migration " + entry.migration() + " is not known here");
            }
            applied.computeIfAbsent(entry.migration(), m -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public Optional<Set<String>> migrations() {
            return Optional.of(known);
        }

        int applied(String migration) {
            return applied.getOrDefault(migration, new AtomicInteger()).get();
        }
    }
}
