package dev.cutover.queue;

import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An entry enqueued in the caller's transaction commits or rolls back with the source write that
 * caused it, through a JDBC {@link Connection} and through a JDBI {@link Handle}.
 */
class TransactionalEnqueueTest {

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void connectionEnqueue_rolledBack_neverAppears_committed_alwaysDoes(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqtx")) {
            Fixture f = new Fixture(db);
            long rolledBack;
            try (Connection connection = f.dataSource.getConnection()) {
                connection.setAutoCommit(false);
                writeSource(connection, "k1");
                rolledBack = f.queue.enqueue(connection, upsert("k1", 1));
                assertEquals(0, f.store.pendingCount(), "uncommitted entry invisible to other connections");
                connection.rollback();
            }
            long committed;
            try (Connection connection = f.dataSource.getConnection()) {
                connection.setAutoCommit(false);
                writeSource(connection, "k2");
                committed = f.queue.enqueue(connection, upsert("k2", 2));
                connection.commit();
            }
            f.assertOnlyCommittedAppliedAndSourceMatches(rolledBack, committed);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void handleEnqueue_rolledBack_neverAppears_committed_alwaysDoes(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqtxh")) {
            Fixture f = new Fixture(db);
            Jdbi jdbi = Jdbi.create(f.dataSource);
            long[] ids = new long[2];
            try (Handle handle = jdbi.open()) {
                handle.begin();
                writeSource(handle.getConnection(), "k1");
                ids[0] = f.queue.enqueue(handle.getConnection(), upsert("k1", 1));
                handle.rollback();
            }
            jdbi.useTransaction(handle -> {
                writeSource(handle.getConnection(), "k2");
                ids[1] = f.queue.enqueue(handle.getConnection(), upsert("k2", 2));
            });
            f.assertOnlyCommittedAppliedAndSourceMatches(ids[0], ids[1]);
        }
    }

    private static void writeSource(Connection connection, String key) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO source_row (id) VALUES (?)")) {
            insert.setString(1, key);
            insert.executeUpdate();
        }
    }

    private static final class Fixture {
        final TestDatabase db;
        final DataSource dataSource;
        final JdbcRetryStore store;
        final RecordingHandler handler = new RecordingHandler();
        final RetryQueue queue;

        Fixture(TestDatabase db) {
            this.db = db;
            db.execute("CREATE TABLE source_row (id VARCHAR(20) PRIMARY KEY)");
            this.dataSource = db.dataSource(4);
            this.store = RetryStore.jdbc(dataSource, "");
            store.createTables();
            this.queue = RetryQueue.create(store, handler, fastConfig("tx").build());
        }

        void assertOnlyCommittedAppliedAndSourceMatches(long rolledBack, long committed) throws Exception {
            assertTrue(store.find(rolledBack).isEmpty(), "rolled-back entry never appears");
            assertFalse(store.hasEntries(TestEntries.MIGRATION, TestEntries.ENTITY, "k1"));
            assertTrue(store.find(committed).isPresent(), "committed entry appears");
            try (Connection c = db.connect(); var rs = c.createStatement().executeQuery("SELECT id FROM source_row")) {
                assertTrue(rs.next());
                assertEquals("k2", rs.getString(1), "only the committed source write exists");
                assertFalse(rs.next());
            }
            queue.start();
            try {
                assertTrue(queue.drain(Duration.ofSeconds(30)));
            } finally {
                queue.stop();
            }
            assertEquals(List.of(), handler.appliedSequences(TestEntries.ENTITY, "k1"));
            assertEquals(List.of(committed), handler.appliedSequences(TestEntries.ENTITY, "k2"));
        }
    }
}
