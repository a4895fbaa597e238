package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Entries that can never replay (a payload that is not JSON, one the handler cannot deserialize, an
 * unknown entity) are parked at once with a clear reason, and the keys behind other keys keep draining.
 */
class BadInputTest {
    private static TestDatabase db;

    record Order(String id, int value) {
    }

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.create(Engine.H2, "rqbadinput");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void unreadablePayloads_andUnknownEntities_areParkedAtOnce_withAReason_whileOtherKeysDrain() throws Exception {
        JdbcRetryStore store = TestEntries.jdbcStore(db, 4);
        ObjectMapper mapper = new ObjectMapper();
        RecordingHandler applied = new RecordingHandler();
        ReplayHandler handler = (entry, payload) -> {
            if (!entry.entity().equals(ENTITY)) {
                throw new NonRetryableReplayException("unknown entity '" + entry.entity() + "'");
            }
            Order order = mapper.treeToValue(payload, Order.class);
            assertEquals(entry.key(), order.id());
            applied.replay(entry, payload);
        };
        RetryQueue queue = RetryQueue.create(store, handler, fastConfig("bad").maxAttempts(5).build());
        db.execute("INSERT INTO retry_entry (migration, entity, routing_key, replay_mode, operation, payload, status,"
                + " attempts, next_attempt_at, created_at) VALUES ('" + MIGRATION + "', '" + ENTITY + "', 'broken',"
                + " 'REPLAY', 'upsert', '{not json', 'PENDING', 0, 0, 0)");
        JsonNode wrongShape = JsonNodeFactory.instance.objectNode().put("identifier", "wrong-shape");
        long undeserializable = queue.enqueue(new NewRetryEntry(MIGRATION, ENTITY, "wrong-shape", ReplayMode.REPLAY,
                "upsert", wrongShape));
        long unknownEntity = queue.enqueue(new NewRetryEntry(MIGRATION, "invoices", "i1", ReplayMode.REPLAY, "upsert",
                wrongShape));
        for (int i = 0; i < 20; i++) {
            queue.enqueue(upsert("k" + (i % 4), i));
        }
        queue.start();
        try {
            assertTrue(queue.drain(Duration.ofSeconds(30)));
        } finally {
            queue.stop();
        }
        assertEquals(20, applied.applied(), "the good entries drained");
        Map<String, RetryEntry> parked = queue.parked(10).stream()
                .collect(Collectors.toMap(RetryEntry::key, Function.identity()));
        assertEquals(3, parked.size());
        for (RetryEntry entry : parked.values()) {
            assertEquals(1, entry.attempts(), "parked after the first attempt, not retried: " + entry);
        }
        assertTrue(parked.get("broken").lastError().startsWith("payload is not valid JSON"),
                parked.get("broken").lastError());
        assertEquals(undeserializable, parked.get("wrong-shape").id());
        assertTrue(parked.get("wrong-shape").lastError().startsWith("payload cannot be deserialized"),
                parked.get("wrong-shape").lastError());
        assertEquals(unknownEntity, parked.get("i1").id());
        assertEquals("non-retryable: unknown entity 'invoices'", parked.get("i1").lastError());

        assertTrue(queue.discard(unknownEntity));
        assertTrue(queue.entry(unknownEntity).isEmpty());
        assertFalse(queue.discard(unknownEntity), "a discarded entry cannot be discarded twice");
    }
}
