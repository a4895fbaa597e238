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
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.SQLException;
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

    /** The two databases, a migration of their customer table, and the repository over JDBI on-demand DAOs. */
    private record Wired(TestDatabase source, TestDatabase target, MigrationFlags flags, RetryQueue queue,
            RowCopier rowCopier, Jdbi sourceJdbi, Jdbi targetJdbi, CustomerDao dao) {
        List<List<Object>> sourceRows() throws SQLException {
            return RowCopierTest.rows(source, ROWS);
        }

        List<List<Object>> targetRows() throws SQLException {
            return RowCopierTest.rows(target, ROWS);
        }
    }

    private interface Body {
        void run(Wired wired) throws Exception;
    }

    private static final String ROWS = "SELECT id, name FROM customer ORDER BY id";

    private static void withRepository(Engine engine, java.util.function.Function<Jdbi, CallerTransactions> callerTransactions,
            Body body) throws Exception {
        withRepository(engine, MirrorMode.SYNC, callerTransactions, body);
    }

    /**
     * @param callerTransactions from the source's Jdbi to the repository's caller transactions, or null for none
     */
    private static void withRepository(Engine engine, MirrorMode mode,
            java.util.function.Function<Jdbi, CallerTransactions> callerTransactions, Body body) throws Exception {
        try (TestDatabase source = TestDatabases.create(engine, "jdbisrc");
                TestDatabase target = TestDatabases.create(engine, "jdbitgt");
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build();
                ReadRouter router = ReadRouter.builder(flags, "customers").build()) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE customer (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL)");
            }
            RowCopier resync = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(TableMapping.builder("customers").sourceTable("customer").key("id", Long.class).column("name").build())
                    .mirrorMode(mode).build();
            try (RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of("customers", resync),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(5)).build())) {
                queue.start();
                Jdbi sourceJdbi = Jdbi.create(source.dataSource(4)).installPlugin(new SqlObjectPlugin());
                Jdbi targetJdbi = Jdbi.create(target.dataSource(4)).installPlugin(new SqlObjectPlugin());
                RepositoryBuilder<CustomerDao> builder = DualWrite.repository(CustomerDao.class)
                        .source(sourceJdbi.onDemand(CustomerDao.class))
                        .target(targetJdbi.onDemand(CustomerDao.class))
                        .migration("customers").flags(flags).router(router).retryQueue(queue)
                        .rowCopier(resync, "customers");
                if (callerTransactions != null) {
                    builder.callerTransactions(callerTransactions.apply(sourceJdbi));
                }
                body.run(new Wired(source, target, flags, queue, resync, sourceJdbi, targetJdbi, builder.build()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void onDemandDaos_areDualWrittenAndReadThroughTheRouter(Engine engine) throws Exception {
        withRepository(engine, null, w -> {
            CustomerDao dao = w.dao();
            w.flags().forceMoveTo("customers", Stage.DUAL_WRITE, "test", "start dual writes");

            dao.insert(1, "ada");
            dao.insert(2, "bob");
            dao.insert(3, "cy");
            assertEquals(1, dao.rename(1, "ada king"));
            dao.deleteAll(List.of(2L, 3L));
            assertThrows(UnableToExecuteStatementException.class, () -> dao.insert(1, "duplicate"));

            assertTrue(w.queue().drain(Duration.ofSeconds(10)));
            assertEquals(List.of(List.of(1L, "ada king")), w.targetRows());
            assertEquals(w.sourceRows(), w.targetRows());

            w.target().execute("UPDATE customer SET name = 'only on target' WHERE id = 1");
            assertEquals("ada king", dao.name(1));
            w.flags().forceMoveTo("customers", Stage.TARGET_PRIMARY, "test", "target answers now");
            assertEquals("only on target", dao.name(1));
            assertEquals(1, dao.count());
        });
    }

    /**
     * A wrapped write inside a JDBI transaction the repository does not know about would join it,
     * and its copy, made on a connection of its own right after the call, would not see the
     * uncommitted row: refused before the DAO runs, in every stage, on the side the call writes.
     * Handles without a transaction, and reads inside one, are left alone.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void writesInsideAnUnknownJdbiTransaction_areRefusedBeforeTheDaoIsCalled(Engine engine) throws Exception {
        withRepository(engine, null, w -> {
            CustomerDao dao = w.dao();
            UnknownTransactionException refused = assertThrows(UnknownTransactionException.class,
                    () -> w.sourceJdbi().useTransaction(h -> dao.insert(2, "bob")));
            for (String part : List.of("CustomerDao.insert(long,String)", "migration customers", "JDBI transaction",
                    "uncommitted rows", "outside the transaction",
                    "callerTransactions(JdbiCallerTransactions.of(jdbi))")) {
                assertTrue(refused.getMessage().contains(part), part + " missing from: " + refused.getMessage());
            }

            w.flags().forceMoveTo("customers", Stage.DUAL_WRITE, "test", "start dual writes");
            dao.insert(1, "ada");
            dao.insert(3, "cy");
            assertThrows(UnknownTransactionException.class, () -> w.sourceJdbi().useTransaction(h -> {
                h.execute("INSERT INTO customer (id, name) VALUES (4, 'by the caller')");
                dao.rename(3, "cyril");
            }));
            assertThrows(UnknownTransactionException.class, () -> w.sourceJdbi().useTransaction(h -> dao.insert(2, "bob")));
            assertThrows(UnknownTransactionException.class,
                    () -> w.sourceJdbi().useTransaction(h -> dao.deleteAll(List.of(1L))));
            assertEquals("cy", w.sourceJdbi().inTransaction(h -> dao.name(3)), "reads are not refused");
            w.sourceJdbi().useHandle(h -> dao.insert(5, "eve")); // a handle without a transaction commits each call
            // The target's transactions do not hold the source's writes.
            w.targetJdbi().useTransaction(h -> dao.rename(5, "eve two"));

            assertTrue(w.queue().drain(Duration.ofSeconds(10)));
            List<List<Object>> expected = List.of(List.of(1L, "ada"), List.of(3L, "cy"), List.of(5L, "eve two"));
            assertEquals(expected, w.sourceRows(), "the refused calls wrote nothing, and their transactions rolled back");
            assertEquals(expected, w.targetRows());

            w.flags().forceMoveTo("customers", Stage.SHIFT_READS, "test", "reads");
            w.flags().forceMoveTo("customers", Stage.TARGET_PRIMARY, "test", "the target is primary");
            assertThrows(UnknownTransactionException.class, () -> w.targetJdbi().useTransaction(h -> dao.rename(1, "x")));
            w.sourceJdbi().useTransaction(h -> dao.rename(1, "ada king"));
            assertTrue(w.queue().drain(Duration.ofSeconds(10)));
            List<List<Object>> after = List.of(List.of(1L, "ada king"), List.of(3L, "cy"), List.of(5L, "eve two"));
            assertEquals(after, w.targetRows());
            assertEquals(after, w.sourceRows());
        });
    }

    /**
     * With the runtime knowing JDBI's transactions, a wrapped write inside one joins it and is
     * copied after it commits; a rollback leaves both sides without it; a read of a key the open
     * transaction wrote is served by the primary, which sees it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void writesInsideAKnownJdbiTransaction_areCopiedAfterItCommits(Engine engine) throws Exception {
        withRepository(engine, JdbiCallerTransactions::of, w -> {
            CustomerDao dao = w.dao();
            w.flags().forceMoveTo("customers", Stage.DUAL_WRITE, "test", "start dual writes");
            dao.insert(1, "ada");
            w.sourceJdbi().useTransaction(h -> {
                dao.insert(2, "bob");
                dao.rename(1, "ada king");
                assertEquals("bob", dao.name(2), "read from the transaction that wrote it");
                assertEquals(List.of(List.of(1L, "ada")), w.targetRows(), "copied only after the commit");
            });
            List<List<Object>> committed = List.of(List.of(1L, "ada king"), List.of(2L, "bob"));
            assertEquals(committed, w.targetRows(), "copied before the commit returned");

            assertThrows(ArithmeticException.class, () -> w.sourceJdbi().useTransaction(h -> {
                dao.insert(3, "cy");
                dao.deleteAll(List.of(1L));
                throw new ArithmeticException("the caller's own failure");
            }));
            assertTrue(w.queue().drain(Duration.ofSeconds(10)));
            assertEquals(committed, w.sourceRows(), "rolled back");
            assertEquals(committed, w.targetRows());
        });
    }

    /**
     * In the asynchronous mode, the copier must not copy a key the open transaction wrote before it
     * commits: on PostgreSQL it copied "no row" for the still-invisible insert and queued nothing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void asyncMode_writesInsideAKnownJdbiTransaction_areCopiedAfterItCommits(Engine engine) throws Exception {
        withRepository(engine, MirrorMode.ASYNC, JdbiCallerTransactions::of, w -> {
            CustomerDao dao = w.dao();
            w.flags().forceMoveTo("customers", Stage.DUAL_WRITE, "test", "start dual writes");
            w.sourceJdbi().useTransaction(h -> {
                dao.insert(1, "ada");
                // Gives a copier that took the key the time to copy it before the commit.
                Await.until("the asynchronous copier is done with the key",
                        () -> !w.rowCopier().asyncMirror().owes("customers", "1"));
            });
            assertEquals(List.of(List.of(1L, "ada")), w.targetRows(), "copied before the commit returned");
            assertTrue(w.queue().drain(Duration.ofSeconds(10)));
            assertEquals(w.sourceRows(), w.targetRows());
        });
    }
}
