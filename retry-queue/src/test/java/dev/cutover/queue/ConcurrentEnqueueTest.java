package dev.cutover.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many writers queue RESYNC entries for neighbouring keys at once, as the dual writer does during a
 * target outage. On MariaDB a ranged supersede once took gap locks that deadlocked these enqueues,
 * and an enqueue that fails is a lost mirror write; every enqueue must succeed.
 */
class ConcurrentEnqueueTest {

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void concurrentResyncEnqueues_onNeighbouringKeys_allSucceedAndCoalescePerKey(Engine engine) throws Exception {
        int threads = 8;
        int perThread = 150;
        int keys = 40;
        try (TestDatabase db = TestDatabases.create(engine, "rqconc")) {
            JdbcRetryStore store = RetryStore.jdbc(db.dataSource(threads + 2), "cutover_");
            store.createTables();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            store.enqueue(NewRetryEntry.resync("shop", "orders", "k" + ((thread * 7 + i) % keys)), Instant.now());
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            long pending = store.pendingCount();
            for (int k = 0; k < keys; k++) {
                assertEquals(true, store.hasEntries("shop", "orders", "k" + k), "key k" + k + " lost its entry");
            }
            assertEquals(true, pending >= keys && pending <= (long) keys * threads,
                    "each key keeps its newest entries, superseded ones go: " + pending);
        }
    }
}
