package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two queue instances with four workers each drain one table: 5,000 entries over 500 keys, 20,000
 * in soak runs ({@code cutover.soak.drainEntries}), to keep the suite within its time budget on a
 * small shared machine. The handler records the sequence it sees per key and
 * counts workers in flight per key, so out-of-order or concurrent replays of a key fail the test.
 */
class MultiInstanceDrainTest {
    private static final Logger LOG = LoggerFactory.getLogger(MultiInstanceDrainTest.class);
    private static final int KEYS = 500;

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void twoInstances_drainEveryEntry_inPerKeyOrder_neverTwoWorkersOnOneKey(Engine engine) throws Exception {
        int entries = Integer.getInteger("cutover.soak.drainEntries", 5_000);
        try (TestDatabase db = TestDatabases.create(engine, "rqdrain")) {
            JdbcRetryStore storeA = TestEntries.jdbcStore(db, 5);
            JdbcRetryStore storeB = RetryStore.jdbc(db.dataSource(5), "");
            RecordingHandler handler = new RecordingHandler();
            RetryQueue a = RetryQueue.create(storeA, handler, fastConfig("a").workerCount(4).build());
            RetryQueue b = RetryQueue.create(storeB, handler, fastConfig("b").workerCount(4).build());
            Map<String, List<Long>> expected = new HashMap<>();
            Random random = new Random(42);
            long started = System.nanoTime();
            try (Connection connection = db.connect()) {
                connection.setAutoCommit(false);
                for (int i = 0; i < entries; i++) {
                    String key = "k" + random.nextInt(KEYS);
                    RetryQueue via = i % 2 == 0 ? a : b;
                    long id = via.enqueue(connection, upsert(key, i));
                    expected.computeIfAbsent(ENTITY + "/" + key, k -> new ArrayList<>()).add(id);
                }
                connection.commit();
            }
            long enqueued = System.nanoTime();
            a.start();
            b.start();
            try {
                assertTrue(a.drain(Duration.ofSeconds(90)), "queue drained");
            } finally {
                a.stop();
                b.stop();
            }
            LOG.info("{}: enqueued {} entries in {} ms, drained them in {} ms", engine, entries,
                    (enqueued - started) / 1_000_000, (System.nanoTime() - enqueued) / 1_000_000);
            assertEquals(entries, handler.applied());
            handler.assertAppliedInOrder(expected, false);
            assertEquals(0, storeA.pendingCount());
        }
    }
}
