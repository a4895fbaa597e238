package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.queue.internal.QueueAccess;
import dev.cutover.queue.internal.RetryEntryTable;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A caller that holds a connection of the queue's own pool can check for pending entries on it, so
 * that it never waits for a second connection of a pool its own kind may have exhausted.
 */
class CallersConnectionTest {

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void isPendingOnTheCallersConnection_seesEntriesOfTheKeyOnly_andTheQueueKnowsWhichPoolItUses(Engine engine)
            throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqcaller")) {
            DataSource pool = db.dataSource(1);
            JdbcRetryStore store = RetryStore.jdbc(pool, "");
            store.createTables();
            try (RetryQueue queue = RetryQueue.create(store, (entry, payload) -> { }, fastConfig("caller").build())) {
                assertTrue(QueueAccess.storesIn(queue, pool));
                assertFalse(QueueAccess.storesIn(queue, db.dataSource(1)), "another pool on the same database is another pool");
                queue.enqueue(upsert("k1", 1));
                // The pool's only connection is the caller's: a check that borrowed would wait for the pool.
                try (Connection only = pool.getConnection()) {
                    assertTrue(QueueAccess.isPending(queue, only, TestEntries.MIGRATION, TestEntries.ENTITY, "k1"));
                    assertFalse(QueueAccess.isPending(queue, only, TestEntries.MIGRATION, TestEntries.ENTITY, "k2"));
                    assertTrue(((RetryEntryTable) store).hasEntries(only, TestEntries.MIGRATION));
                    assertFalse(((RetryEntryTable) store).hasEntries(only, "other-migration"));
                }
            }
        }
    }
}
