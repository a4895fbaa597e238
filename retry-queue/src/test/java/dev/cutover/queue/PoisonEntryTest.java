package dev.cutover.queue;

import dev.cutover.queue.internal.QueueAccess;
import dev.cutover.testsupport.Await;
import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A poison entry is parked after the configured attempts with its last error, blocks only its own
 * key while other keys drain, and is applied, followed by the entry queued behind it, once an
 * operator requeues it after fixing the cause.
 */
class PoisonEntryTest {
    private static final int MAX_ATTEMPTS = 3;

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void poisonEntry_isParkedAfterMaxAttempts_othersDrain_requeueAppliesItOnceFixed(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqpoison")) {
            PoisonHandler handler = new PoisonHandler();
            RetryQueue queue = RetryQueue.create(TestEntries.jdbcStore(db, 4), handler,
                    fastConfig("poison").maxAttempts(MAX_ATTEMPTS).build());
            long poison = queue.enqueue(upsert("poison", 0));
            long behindPoison = queue.enqueue(upsert("poison", 1));
            for (int i = 0; i < 50; i++) {
                queue.enqueue(upsert("k" + (i % 10), i));
            }
            queue.start();
            try {
                Await.until("the other keys drained and the poison entry parked",
                        () -> handler.applied() == 50 && !queue.parked(10).isEmpty());
                List<RetryEntry> parked = queue.parked(10);
                assertEquals(1, parked.size());
                RetryEntry entry = parked.get(0);
                assertEquals(poison, entry.id());
                assertEquals(EntryStatus.PARKED, entry.status());
                assertEquals(MAX_ATTEMPTS, entry.attempts());
                assertEquals(MAX_ATTEMPTS, handler.poisonCalls.get(), "attempts made before parking");
                assertTrue(entry.lastError().contains("target rejects poison"), entry.lastError());
                assertEquals(EntryStatus.PENDING, queue.entry(behindPoison).orElseThrow().status());
                assertEquals(List.of(), handler.appliedSequences(ENTITY, "poison"), "the parked entry blocks its key");
                assertTrue(QueueAccess.isPending(queue, TestEntries.MIGRATION, ENTITY, "poison"));

                handler.fixed = true;
                assertTrue(queue.requeue(poison));
                assertTrue(queue.drain(Duration.ofSeconds(30)));
            } finally {
                queue.stop();
            }
            assertEquals(List.of(poison, behindPoison), handler.appliedSequences(ENTITY, "poison"));
            assertTrue(queue.parked(10).isEmpty());
            assertTrue(queue.entry(poison).isEmpty(), "replayed entries leave the queue");
        }
    }

    private static final class PoisonHandler extends RecordingHandler {
        final AtomicInteger poisonCalls = new AtomicInteger();
        volatile boolean fixed;

        @Override
        public void replay(RetryEntry entry, JsonNode payload) throws Exception {
            if (entry.key().equals("poison") && !fixed) {
                poisonCalls.incrementAndGet();
                throw new IllegalStateException("target rejects poison: check constraint violated");
            }
            super.replay(entry, payload);
        }
    }
}
