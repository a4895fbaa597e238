package dev.cutover.queue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import java.time.Duration;

/** Entries and configs shared by the tests. */
final class TestEntries {
    static final String MIGRATION = "orders-v2";
    static final String ENTITY = "orders";

    private TestEntries() {
    }

    static NewRetryEntry upsert(String key, int value) {
        ObjectNode payload = JsonNodeFactory.instance.objectNode().put("id", key).put("value", value);
        return new NewRetryEntry(MIGRATION, ENTITY, key, ReplayMode.REPLAY, "upsert", payload);
    }

    /** A fast-polling config for tests; backoff is short so that retries do not stall a test. */
    static RetryQueueConfig.Builder fastConfig(String instanceId) {
        return RetryQueueConfig.custom()
                .instanceId(instanceId)
                .pollInterval(Duration.ofMillis(10))
                .initialBackoff(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(50))
                .shutdownTimeout(Duration.ofSeconds(10));
    }

    static JdbcRetryStore jdbcStore(TestDatabase db, int poolSize) {
        JdbcRetryStore store = RetryStore.jdbc(db.dataSource(poolSize), "");
        store.createTables();
        return store;
    }

    static boolean isServer(Engine engine) {
        return engine != Engine.H2 && engine != Engine.H2_MYSQL;
    }
}
