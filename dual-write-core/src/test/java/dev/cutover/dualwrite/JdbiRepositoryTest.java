package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** JDBI SqlObject repositories ({@code jdbi.onDemand}) are classified by their JDBI annotations and dual-written. */
class JdbiRepositoryTest {

    public interface CustomerDao {
        @SqlUpdate("INSERT INTO customer (id, name) VALUES (:id, :name)")
        void insert(@RoutingKey @Bind("id") long id, @Bind("name") String name);

        @SqlUpdate("UPDATE customer SET name = :name WHERE id = :id")
        int rename(@RoutingKey @Bind("id") long id, @Bind("name") String name);

        @SqlBatch("DELETE FROM customer WHERE id = :id")
        void deleteAll(@RoutingKey @Bind("id") List<Long> ids);

        @SqlQuery("SELECT name FROM customer WHERE id = :id")
        String name(@RoutingKey @Bind("id") long id);

        @SqlQuery("SELECT COUNT(*) FROM customer")
        int count();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void onDemandDaos_areDualWrittenAndReadThroughTheRouter(Engine engine) throws Exception {
        try (TestDatabase source = TestDatabases.create(engine, "jdbisrc");
                TestDatabase target = TestDatabases.create(engine, "jdbitgt");
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build();
                ReadRouter router = ReadRouter.builder(flags, "customers").build()) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE customer (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL)");
            }
            RowCopier resync = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(TableMapping.builder("customers").sourceTable("customer").key("id", Long.class).column("name").build())
                    .build();
            try (RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of("customers", resync),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(5)).build())) {
                queue.start();
                Jdbi sourceJdbi = Jdbi.create(source.dataSource(4)).installPlugin(new SqlObjectPlugin());
                Jdbi targetJdbi = Jdbi.create(target.dataSource(4)).installPlugin(new SqlObjectPlugin());
                CustomerDao dao = DualWrite.repository(CustomerDao.class)
                        .source(sourceJdbi.onDemand(CustomerDao.class))
                        .target(targetJdbi.onDemand(CustomerDao.class))
                        .migration("customers").flags(flags).router(router).retryQueue(queue)
                        .rowCopier(resync, "customers")
                        .build();
                flags.forceMoveTo("customers", Stage.DUAL_WRITE, "test", "start dual writes");

                dao.insert(1, "ada");
                dao.insert(2, "bob");
                dao.insert(3, "cy");
                assertEquals(1, dao.rename(1, "ada king"));
                dao.deleteAll(List.of(2L, 3L));
                assertThrows(UnableToExecuteStatementException.class, () -> dao.insert(1, "duplicate"));

                assertTrue(queue.drain(Duration.ofSeconds(10)));
                String rows = "SELECT id, name FROM customer ORDER BY id";
                assertEquals(List.of(List.of(1L, "ada king")), RowCopierTest.rows(target, rows));
                assertEquals(RowCopierTest.rows(source, rows), RowCopierTest.rows(target, rows));

                target.execute("UPDATE customer SET name = 'only on target' WHERE id = 1");
                assertEquals("ada king", dao.name(1));
                flags.forceMoveTo("customers", Stage.TARGET_PRIMARY, "test", "target answers now");
                assertEquals("only on target", dao.name(1));
                assertEquals(1, dao.count());
            }
        }
    }
}
