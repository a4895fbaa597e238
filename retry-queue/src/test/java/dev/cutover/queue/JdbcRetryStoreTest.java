package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The JDBC store's table handling, claim locking and operator operations on each engine. */
class JdbcRetryStoreTest {
    private static final Duration LEASE = Duration.ofSeconds(30);

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void tablesAreCreatedOnlyOnRequest_andCreatingTwiceIsHarmless(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqddl")) {
            JdbcRetryStore store = RetryStore.jdbc(db.dataSource(2), "rq_");
            assertEquals("rq_retry_entry", store.tableName());
            assertThrows(JdbiException.class, store::pendingCount, "no table before createTables()");
            store.createTables();
            store.createTables();
            assertEquals(0, store.pendingCount());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void hasEntries_ofAMigration_countsPendingAndParkedEntries_ofThatMigrationOnly(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqhas")) {
            OwnRetryStore store = (OwnRetryStore) TestEntries.jdbcStore(db, 2);
            assertFalse(store.hasEntries(MIGRATION));
            store.enqueue(upsert("k1", 1), Instant.now());
            assertTrue(store.hasEntries(MIGRATION));
            assertFalse(store.hasEntries("another-migration"));
            RetryEntry claimed = store.claim("a", Instant.now(), 1, LEASE).entries().get(0);
            assertTrue(store.park(claimed, "test"));
            assertTrue(store.hasEntries(MIGRATION), "a parked entry still counts");
            assertTrue(store.discard(claimed.id()));
            assertFalse(store.hasEntries(MIGRATION));
        }
    }

    /**
     * Routing keys are the application's exact keys: {@code 'abc'}, {@code 'ABC'} and {@code 'abc '}
     * are three keys on a PostgreSQL side, so the queue must not take one for another. A MariaDB table
     * under {@code utf8mb4_bin} (a PAD SPACE collation) did take {@code 'abc'} for {@code 'abc '}: a
     * write of one key was queued behind, or coalesced into, the other's entry and never copied.
     */
    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void keysThatDifferInCaseOrTrailingSpaces_areDifferentKeys(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqexact")) {
            OwnRetryStore store = (OwnRetryStore) TestEntries.jdbcStore(db, 2);
            store.enqueue(upsert("abc ", 1), Instant.now());
            assertEquals(Set.of("abc "), store.keysWithEntries(MIGRATION, TestEntries.ENTITY,
                    List.of("abc", "abc ", "ABC", "abc  ")));
            store.enqueue(upsert("abc", 2), Instant.now());
            List<RetryEntry> claimed = store.claim("a", Instant.now(), 10, LEASE).entries();
            assertEquals(List.of("abc ", "abc"), claimed.stream().map(RetryEntry::key).toList(),
                    "each key's first entry is claimable: neither waits behind the other's");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void keysWithEntries_findsTheKeysWithPendingOrParkedEntries_ofThatEntityOnly(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqkeys")) {
            OwnRetryStore store = (OwnRetryStore) TestEntries.jdbcStore(db, 2);
            assertEquals(Set.of(), store.keysWithEntries(MIGRATION, TestEntries.ENTITY, List.of("k1", "k2")));
            store.enqueue(upsert("k1", 1), Instant.now());
            store.enqueue(upsert("k1", 2), Instant.now());
            store.enqueue(upsert("k3", 1), Instant.now());
            store.enqueue(new NewRetryEntry(MIGRATION, "other-entity", "k2", ReplayMode.REPLAY, "upsert",
                    upsert("k2", 1).payload()), Instant.now());
            RetryEntry claimed = store.claim("a", Instant.now(), 3, LEASE).entries().stream()
                    .filter(e -> e.key().equals("k3")).findFirst().orElseThrow();
            assertTrue(store.park(claimed, "test"));
            List<String> asked = new java.util.ArrayList<>(List.of("k1", "k2", "k3", "k4"));
            for (int i = 0; i < 1_500; i++) {
                asked.add("many" + i); // more keys than one query asks about
            }
            assertEquals(Set.of("k1", "k3"), store.keysWithEntries(MIGRATION, TestEntries.ENTITY, asked),
                    "k1 twice pending, k3 parked; k2 only in another entity, k4 nowhere");
            assertEquals(Set.of(), store.keysWithEntries("another-migration", TestEntries.ENTITY, asked));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void claim_skipsLockedEntries_insteadOfWaitingForThem(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqskip")) {
            JdbcRetryStore store = TestEntries.jdbcStore(db, 4);
            long locked = store.enqueue(upsert("k1", 1), Instant.now());
            long free = store.enqueue(upsert("k2", 1), Instant.now());
            try (Connection other = db.connect()) {
                other.setAutoCommit(false);
                try (Statement s = other.createStatement();
                        ResultSet rs = s.executeQuery("SELECT id FROM retry_entry WHERE id = " + locked + " FOR UPDATE")) {
                    assertTrue(rs.next());
                }
                ClaimResult result = store.claim("a", Instant.now(), 10, LEASE);
                assertEquals(List.of(free), result.entries().stream().map(RetryEntry::id).toList());
                assertEquals(Map.of(TestEntries.MIGRATION, 1), result.conflicts(), "the locked head counts as a conflict");
                other.rollback();
            }
            assertEquals(List.of(locked), store.claim("b", Instant.now(), 10, LEASE).entries().stream()
                    .map(RetryEntry::id).toList());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void claim_takesOnlyTheHeadOfEachKey_andParkedHeadsBlockOnlyTheirKey(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqhead")) {
            JdbcRetryStore store = TestEntries.jdbcStore(db, 4);
            Instant now = Instant.now();
            long k1First = store.enqueue(upsert("k1", 1), now);
            long k1Second = store.enqueue(upsert("k1", 2), now);
            long k2First = store.enqueue(upsert("k2", 1), now);

            List<RetryEntry> first = store.claim("a", now, 10, LEASE).entries();
            assertEquals(List.of(k1First, k2First), first.stream().map(RetryEntry::id).toList());
            assertTrue(store.claim("b", now, 10, LEASE).entries().isEmpty(), "nothing else claimable while leased");

            assertTrue(store.park(first.get(0), "boom"));
            assertTrue(store.complete(first.get(1)));
            assertFalse(store.complete(first.get(1)), "completing twice finds nothing");
            assertTrue(store.claim("b", now, 10, LEASE).entries().isEmpty(), "the parked head blocks k1");

            assertFalse(store.requeue(k1Second, now), "only parked entries can be requeued");
            assertTrue(store.requeue(k1First, now));
            RetryEntry requeued = store.claim("b", now, 10, LEASE).entries().get(0);
            assertEquals(k1First, requeued.id());
            assertEquals(0, requeued.attempts(), "requeue resets the attempts");
            assertEquals("boom", requeued.lastError(), "and keeps the last error for the record");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void staleClaim_cannotTouchTheEntryOnceReclaimed(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqstale")) {
            JdbcRetryStore store = TestEntries.jdbcStore(db, 4);
            Instant now = Instant.now();
            store.enqueue(upsert("k1", 1), now);
            RetryEntry stale = store.claim("a", now, 1, Duration.ofSeconds(1)).entries().get(0);
            RetryEntry fresh = store.claim("a", now.plusSeconds(2), 1, Duration.ofSeconds(1)).entries().get(0);
            assertFalse(store.release(stale), "same owner, older lease");
            assertFalse(store.complete(stale));
            assertFalse(store.fail(stale, "late", now));
            assertFalse(store.park(stale, "late"));
            assertTrue(store.complete(fresh));
        }
    }
}
