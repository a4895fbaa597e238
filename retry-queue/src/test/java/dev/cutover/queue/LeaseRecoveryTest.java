package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A worker that claims a batch and then dies loses nothing: another instance replays the batch once the 1 s lease ends. */
class LeaseRecoveryTest {
    private static final Duration LEASE = Duration.ofSeconds(1);

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void abandonedClaim_isReplayedByAnotherInstance_afterTheLeaseEnds(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqlease")) {
            JdbcRetryStore store = TestEntries.jdbcStore(db, 4);
            RecordingHandler handler = new RecordingHandler();
            RetryQueue survivor = RetryQueue.create(store, handler, fastConfig("survivor").leaseDuration(LEASE).build());
            Map<String, List<Long>> expected = enqueue(survivor, 200, 20);

            List<RetryEntry> abandoned = store.claim("dead", Instant.now(), 50, LEASE).entries();
            assertEquals(20, abandoned.size(), "one head per key claimed by the dying instance");
            survivor.start();
            try {
                assertTrue(survivor.drain(Duration.ofSeconds(60)), "drained after the abandoned lease ended");
            } finally {
                survivor.stop();
            }
            handler.assertAppliedInOrder(expected, false);
            assertEquals(200, handler.applied());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void connectionCutWhileReplaying_losesNothing_andTheEntryIsReplayedAgain(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqcut"); TcpForwarder forwarder = TcpForwarder.in(db)) {
            JdbcRetryStore direct = TestEntries.jdbcStore(db, 4);
            JdbcRetryStore viaForwarder = RetryStore.jdbc(db.dataSourceVia(forwarder, 2), "");
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch cut = new CountDownLatch(1);
            RecordingHandler handler = new RecordingHandler();
            ReplayHandler victimHandler = (entry, payload) -> {
                entered.countDown();
                assertTrue(cut.await(30, TimeUnit.SECONDS), "connection cut in time");
                handler.replay(entry, payload);
            };
            RetryQueue victim = RetryQueue.create(viaForwarder, victimHandler, fastConfig("victim")
                    .workerCount(1).leaseDuration(LEASE).shutdownTimeout(Duration.ofSeconds(5)).build());
            RetryQueue survivor = RetryQueue.create(direct, handler, fastConfig("survivor").leaseDuration(LEASE).build());
            Map<String, List<Long>> expected = enqueue(survivor, 100, 10);

            victim.start();
            assertTrue(entered.await(30, TimeUnit.SECONDS), "victim claimed a batch and started replaying");
            forwarder.cut();
            cut.countDown();
            victim.stop();
            assertFalse(direct.parked(10).iterator().hasNext(), "nothing parked by the cut");

            survivor.start();
            try {
                assertTrue(survivor.drain(Duration.ofSeconds(60)), "drained after the victim's lease ended");
            } finally {
                survivor.stop();
            }
            handler.assertAppliedInOrder(expected, true);
            long first = expected.get(ENTITY + "/k0").get(0);
            assertEquals(List.of(first, first), handler.appliedSequences(ENTITY, "k0").subList(0, 2),
                    "the entry the victim replayed before the cut was replayed again by the survivor");
        }
    }

    private static Map<String, List<Long>> enqueue(RetryQueue queue, int entries, int keys) {
        Map<String, List<Long>> expected = new HashMap<>();
        for (int i = 0; i < entries; i++) {
            String key = "k" + (i % keys);
            long id = queue.enqueue(upsert(key, i));
            expected.computeIfAbsent(ENTITY + "/" + key, k -> new ArrayList<>()).add(id);
        }
        return expected;
    }
}
