package dev.cutover.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random interleavings of enqueue, claim, fail, succeed, crash, lease expiry and requeue across
 * three simulated instances, driven step by step against the store's claim protocol with a hand-moved
 * clock. Every step checks that a claimed entry is the head of its key and that no other live lease
 * holds its key; every replay checks per-key order. Once failures stop, the queue must drain to
 * empty with every entry applied, or superseded by a later {@code RESYNC} of its key that was.
 */
class ClaimProtocolProperties {
    private static final Duration LEASE = Duration.ofSeconds(1);
    private static final int MAX_ATTEMPTS = 3;
    private static final int INSTANCES = 3;
    private static TestDatabase h2;
    private static JdbcRetryStore h2Store;

    enum Kind { ENQUEUE, ENQUEUE_RESYNC, CLAIM, SUCCEED, FAIL, APPLY_THEN_CRASH, ADVANCE_CLOCK, CRASH, REQUEUE }

    record Step(Kind kind, int instance, int key, int amount) {
    }

    @BeforeContainer
    static void createH2() {
        h2 = TestDatabases.create(Engine.H2, "rqproperty");
        h2Store = TestEntries.jdbcStore(h2, 2);
    }

    @AfterContainer
    static void dropH2() {
        h2.close();
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        return Combinators.combine(
                        Arbitraries.of(Kind.class),
                        Arbitraries.integers().between(0, INSTANCES - 1),
                        Arbitraries.integers().between(0, 4),
                        Arbitraries.integers().between(0, 20))
                .as(Step::new)
                .list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 1000)
    void inMemoryStore_neverLosesOrReordersEntries_andDrainsOnceFailuresStop(@ForAll("steps") List<Step> steps) {
        new Model(RetryStore.inMemory()).run(steps);
    }

    @Property(tries = 1000)
    void h2Store_neverLosesOrReordersEntries_andDrainsOnceFailuresStop(@ForAll("steps") List<Step> steps) {
        h2.execute("DELETE FROM retry_entry");
        new Model(h2Store).run(steps);
    }

    /** The simulated instances and what they did, checked against the store after every step. */
    private static final class Model {
        private final RetryStore store;
        private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
        private final List<List<RetryEntry>> held = new ArrayList<>();
        private final Map<Long, NewRetryEntry> enqueued = new HashMap<>();
        private final Map<String, List<Long>> applied = new HashMap<>();

        Model(RetryStore store) {
            this.store = store;
            for (int i = 0; i < INSTANCES; i++) {
                held.add(new ArrayList<>());
            }
        }

        void run(List<Step> steps) {
            for (Step step : steps) {
                perform(step);
            }
            drainWithoutFailures();
            assertEveryEntryAppliedOrSuperseded();
        }

        private void perform(Step step) {
            List<RetryEntry> mine = held.get(step.instance());
            switch (step.kind()) {
                case ENQUEUE -> enqueue(TestEntries.upsert("k" + step.key(), step.amount()));
                case ENQUEUE_RESYNC -> enqueue(NewRetryEntry.resync(TestEntries.MIGRATION, TestEntries.ENTITY,
                        "k" + step.key()));
                case CLAIM -> claim(step.instance(), 1 + step.amount() % 5);
                case SUCCEED, FAIL, APPLY_THEN_CRASH -> {
                    if (!mine.isEmpty()) {
                        RetryEntry entry = mine.remove(step.amount() % mine.size());
                        resolve(step.kind(), entry, step.amount());
                    }
                }
                case ADVANCE_CLOCK -> clock.advance(Duration.ofMillis(step.amount() * 100L));
                case CRASH -> mine.clear();
                case REQUEUE -> store.parked(1_000).forEach(e -> assertTrue(store.requeue(e.id(), clock.instant())));
                default -> throw new IllegalStateException("unknown step " + step);
            }
        }

        private void enqueue(NewRetryEntry entry) {
            enqueued.put(store.enqueue(entry, clock.instant()), entry);
        }

        private void claim(int instance, int limit) {
            Instant now = clock.instant();
            for (RetryEntry entry : store.claim("i" + instance, now, limit, LEASE).entries()) {
                assertEquals("i" + instance, entry.leaseOwner());
                for (List<RetryEntry> others : held) {
                    for (RetryEntry other : others) {
                        boolean live = !other.leaseUntil().isBefore(now);
                        assertTrue(!live || !sameKey(other, entry),
                                "claimed " + entry + " while " + other + " holds a live lease on its key");
                    }
                }
                for (Map.Entry<Long, NewRetryEntry> earlier : enqueued.entrySet()) {
                    if (earlier.getKey() < entry.id() && earlier.getValue().key().equals(entry.key())) {
                        assertTrue(store.find(earlier.getKey()).isEmpty(),
                                "claimed " + entry + " although earlier entry #" + earlier.getKey() + " of its key exists");
                    }
                }
                held.get(instance).add(entry);
            }
        }

        private void resolve(Kind kind, RetryEntry entry, int amount) {
            if (!clock.instant().isBefore(entry.leaseUntil())) {
                // Like a worker: an entry whose lease ran out is not replayed, since another instance may own it now.
                store.release(entry);
                return;
            }
            switch (kind) {
                case SUCCEED -> {
                    apply(entry);
                    assertTrue(store.complete(entry), "complete under a live lease");
                }
                case APPLY_THEN_CRASH -> apply(entry);
                case FAIL -> {
                    if (entry.attempts() + 1 >= MAX_ATTEMPTS) {
                        assertTrue(store.park(entry, "boom " + amount));
                        RetryEntry parked = store.find(entry.id()).orElseThrow();
                        assertEquals(EntryStatus.PARKED, parked.status());
                        assertEquals(MAX_ATTEMPTS, parked.attempts());
                        assertEquals("boom " + amount, parked.lastError());
                    } else {
                        assertTrue(store.fail(entry, "boom " + amount,
                                clock.instant().plusMillis(amount * 50L)), "fail under a live lease");
                    }
                }
                default -> throw new IllegalStateException("not a resolution: " + kind);
            }
        }

        private void apply(RetryEntry entry) {
            List<Long> sequences = applied.computeIfAbsent(entry.key(), k -> new ArrayList<>());
            if (!sequences.isEmpty()) {
                long last = sequences.get(sequences.size() - 1);
                assertTrue(entry.sequence() >= last, "key " + entry.key() + " applied " + entry.sequence()
                        + " after " + last);
            }
            sequences.add(entry.sequence());
        }

        private void drainWithoutFailures() {
            held.forEach(List::clear);
            clock.advance(LEASE.plusSeconds(5));
            for (int round = 0; round <= enqueued.size() + 1; round++) {
                store.parked(1_000).forEach(e -> assertTrue(store.requeue(e.id(), clock.instant())));
                List<RetryEntry> batch = store.claim("i0", clock.instant(), 100, LEASE).entries();
                for (RetryEntry entry : batch) {
                    apply(entry);
                    assertTrue(store.complete(entry));
                }
                if (batch.isEmpty() && store.pendingCount() == 0) {
                    break;
                }
                clock.advance(Duration.ofSeconds(2));
            }
            assertEquals(0, store.pendingCount(), "pending entries left once failures stopped");
            assertTrue(store.parked(1).isEmpty(), "parked entries left once failures stopped");
        }

        private void assertEveryEntryAppliedOrSuperseded() {
            for (Map.Entry<Long, NewRetryEntry> e : enqueued.entrySet()) {
                List<Long> sequences = applied.getOrDefault(e.getValue().key(), List.of());
                boolean appliedItself = sequences.contains(e.getKey());
                boolean superseded = enqueued.entrySet().stream().anyMatch(r -> r.getValue().mode() == ReplayMode.RESYNC
                        && r.getValue().key().equals(e.getValue().key()) && r.getKey() > e.getKey()
                        && sequences.contains(r.getKey()));
                assertTrue(appliedItself || superseded, "entry #" + e.getKey() + " was lost: applied " + sequences);
            }
        }

        private static boolean sameKey(RetryEntry a, RetryEntry b) {
            return a.migration().equals(b.migration()) && a.entity().equals(b.entity()) && a.key().equals(b.key());
        }
    }
}
