package dev.cutover.queue;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.cutover.queue.internal.RetryEntryTable;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A database that stalls silently (no reset, no bytes) fails the store's own statements after the
 * store's network timeout, instead of holding a worker until the operating system gives up on the
 * socket many minutes later.
 */
class StoreNetworkTimeoutTest {

    @ParameterizedTest
    @EnumSource(value = Engine.class, names = {"POSTGRESQL", "MARIADB"})
    void aStalledDatabase_failsTheStoresStatements_afterItsNetworkTimeout(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqstall");
                TcpForwarder forwarder = TcpForwarder.in(db)) {
            JdbcRetryStore store = RetryEntryTable.create(db.dataSourceVia(forwarder, 1), "", 1_000);
            store.createTables();
            store.enqueue(TestEntries.upsert("k", 1), Instant.now());
            // Right after a statement, so that the pool hands the same connection on without checking it.
            store.pendingCount();
            forwarder.stall();
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(15), () -> assertThrows(RuntimeException.class,
                        () -> store.claim("stalled", Instant.now(), 10, Duration.ofSeconds(30))));
            } finally {
                forwarder.restore();
            }
        }
    }
}
