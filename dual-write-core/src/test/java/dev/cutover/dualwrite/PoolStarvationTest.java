package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The application writes through a {@link CutoverDataSource} whose source is its one HikariCP pool
 * (default settings), which also holds the retry-queue, as the README wires it; more writers than
 * the pool has connections each hold a connection while they commit. Cutover's mirror must never
 * need a second connection of that pool: before, every copy borrowed one while all were held by
 * committing writers, so the writers waiting for the pool timed out after 30 s and keys ended up
 * neither copied nor queued.
 */
class PoolStarvationTest {
    private static final String MIGRATION = "shop";
    private static final int POOL = 10;
    private static final int ROWS_PER_WRITER = 5;

    @ParameterizedTest(name = "{0} writers on a pool of 10")
    @ValueSource(ints = {POOL, 4 * POOL})
    void asManyWritersAsThePoolHasConnectionsOrMore_allSucceed_andBothSidesHoldEveryAcknowledgedRow(int writers)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "starvesrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "starvetgt")) {
            String ddl = "CREATE TABLE entry (id BIGINT PRIMARY KEY, owner_id BIGINT NOT NULL, amount BIGINT NOT NULL)";
            source.execute(ddl);
            target.execute(ddl);
            DataSource appPool = source.defaultPool(POOL);
            DataSource targetPool = target.defaultPool(POOL);
            JdbcRetryStore store = RetryStore.jdbc(appPool, "cutover_");
            store.createTables();
            RowCopier resync = RowCopier.builder(appPool, targetPool)
                    .mapping(TableMapping.builder("entries").sourceTable("entry").key("id", Long.class)
                            .column("owner_id").column("amount").build())
                    .build();
            MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(MIGRATION).build();
            flags.forceMoveTo(MIGRATION, Stage.DUAL_WRITE, "test", "test");
            try (RetryQueue queue = RetryQueue.create(store, CopyReplayHandler.of(MIGRATION, resync, flags),
                            RetryQueueConfig.custom().build());
                    ReadRouter router = ReadRouter.builder(flags, MIGRATION).build()) {
                queue.start();
                CutoverDataSource app = DualWrite.dataSource(appPool, targetPool).migration(MIGRATION).flags(flags)
                        .router(router).retryQueue(queue).rowCopier(resync).build();

                Set<Long> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                AtomicLong ids = new AtomicLong();
                CountDownLatch start = new CountDownLatch(1);
                CountDownLatch done = new CountDownLatch(writers);
                for (int w = 0; w < writers; w++) {
                    long owner = w;
                    new Thread(() -> {
                        try {
                            start.await();
                            for (int i = 0; i < ROWS_PER_WRITER; i++) {
                                long id = ids.incrementAndGet();
                                addRow(app, id, owner);
                                acknowledged.add(id);
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        } finally {
                            done.countDown();
                        }
                    }, "shop-user-" + w).start();
                }
                start.countDown();
                // Far beyond the few seconds the writes take, far below the 30 s the starved pool took.
                assertTrue(done.await(120, TimeUnit.SECONDS), "the writers did not finish within 120 s");

                assertEquals(List.of(), List.copyOf(failures).stream().map(Throwable::toString).toList(),
                        "no write may fail");
                assertEquals(writers * ROWS_PER_WRITER, acknowledged.size());
                assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(new TreeSet<>(acknowledged), ids(source), "the source holds every acknowledged row");
                assertEquals(new TreeSet<>(acknowledged), ids(target), "the target holds every acknowledged row");
            } finally {
                flags.close();
            }
        }
    }

    /** A request of the application: it holds its connection for the whole transaction, as JPA does. */
    private static void addRow(DataSource app, long id, long owner) throws SQLException, InterruptedException {
        try (Connection connection = app.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO entry (id, owner_id, amount) VALUES (?, ?, ?)")) {
                insert.setLong(1, id);
                insert.setLong(2, owner);
                insert.setLong(3, id * 10);
                insert.executeUpdate();
            }
            Thread.sleep(20);
            connection.commit();
        }
    }

    private static Set<Long> ids(TestDatabase database) throws SQLException {
        Set<Long> ids = new TreeSet<>();
        try (Connection connection = database.connect();
                ResultSet rs = connection.createStatement().executeQuery("SELECT id FROM entry")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }
}
