package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
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
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** build() classifies every method once and rejects what it cannot wrap, naming the method and the fix. */
class RepositoryBuilderTest {
    private static TestDatabase db;
    private static RowCopier resync;
    private static MigrationFlags flags;
    private static RetryQueue queue;
    private static ReadRouter router;

    @BeforeAll
    static void setUp() {
        db = TestDatabases.create(Engine.H2, "builder");
        db.execute("CREATE TABLE customer (id BIGINT PRIMARY KEY, name VARCHAR(40))");
        resync = RowCopier.builder(db.dataSource(1), db.dataSource(1))
                .mapping(TableMapping.builder("customers").sourceTable("customer").key("id", Long.class).column("name").build())
                .build();
        flags = MigrationFlags.builder(FlagStore.inMemory()).build();
        router = ReadRouter.builder(flags, "customers").build();
        queue = RetryQueue.create(RetryStore.inMemory(), (entry, payload) -> { }, RetryQueueConfig.ofDefaults());
    }

    @AfterAll
    static void tearDown() {
        queue.close();
        router.close();
        flags.close();
        db.close();
    }

    public interface CustomerDao {
        @SqlQuery("SELECT name FROM customer WHERE id = :id")
        String name(long id);

        @SqlUpdate("UPDATE customer SET name = :name WHERE id = :id")
        void save(@RoutingKey long id, String name);

        void rename(long id, String name);
    }

    public interface KeylessDao {
        @SqlUpdate("UPDATE customer SET name = NULL")
        void wipe();

        @Write
        void touch(@RoutingKey long a, @RoutingKey long b);

        @Read
        @Write
        void confused(@RoutingKey long id);

        @Write(entity = "orders")
        void order(@RoutingKey long id);
    }

    public interface NotesDao {
        @Write
        void put(@RoutingKey String id, String text);

        @Write
        void putAll(@RoutingKey List<String> ids);

        @Read
        @SqlUpdate("UPDATE customer SET name = name")
        String overridden(long id);
    }

    private static <T> RepositoryBuilder<T> builder(Class<T> type, T dao) {
        return DualWrite.repository(type).source(dao).target(dao).migration("customers").flags(flags)
                .router(router).retryQueue(queue).rowCopier(resync, "customers");
    }

    @Test
    void build_rejectsAMethodThatIsNeitherReadNorWrite() {
        RepositoryDefinitionException e = assertThrows(RepositoryDefinitionException.class,
                () -> builder(CustomerDao.class, new NoOpCustomerDao()).build());
        assertEquals("Cannot wrap " + CustomerDao.class.getName() + ":\n"
                + "  CustomerDao.rename(long,String) is neither @SqlQuery nor @SqlUpdate: annotate it @Read or @Write",
                e.getMessage());
    }

    @Test
    void build_listsEveryProblemOfEveryMethod() {
        RepositoryDefinitionException e = assertThrows(RepositoryDefinitionException.class,
                () -> builder(KeylessDao.class, new NoOpKeylessDao()).routingKey("missing", args -> 1).build());
        List<String> lines = new ArrayList<>(List.of(e.getMessage().split("\n  ")));
        lines.remove(0);
        lines.sort(null);
        assertEquals(List.of(
                "KeylessDao.confused(long) is both @Read and @Write: keep one",
                "KeylessDao.order(long) writes entity 'orders', which the RowCopier does not map: add its TableMapping"
                        + " or fix @Write(entity)",
                "KeylessDao.touch(long,long) has @RoutingKey on more than one parameter: keep it on the one that names"
                        + " the row, or register routingKey(\"touch\", args -> ...)",
                "KeylessDao.wipe() is a write without a routing key: annotate the parameter that names the row"
                        + " @RoutingKey, or register routingKey(\"wipe\", args -> ...) on the builder",
                "routingKey(\"missing\", ...) names no method of KeylessDao"), lines);
    }

    @Test
    void build_namesMissingParts() {
        RepositoryDefinitionException e = assertThrows(RepositoryDefinitionException.class,
                () -> DualWrite.repository(NotesDao.class).build());
        assertEquals("Cannot wrap " + NotesDao.class.getName() + ":\n  missing source(dao)\n  missing target(dao)\n"
                + "  missing migration(name)\n  missing flags(migrationFlags)\n"
                + "  NotesDao.put(String,String) is a write: call rowCopier(rowCopier, entity) so that its rows can be mirrored\n"
                + "  NotesDao.putAll(List) is a write: call rowCopier(rowCopier, entity) so that its rows can be mirrored\n"
                + "  NotesDao has reads: call router(readRouter)\n"
                + "  NotesDao has writes: call retryQueue(queue)", sortedLines(e.getMessage()));
    }

    @Test
    void build_rejectsARouterOfAnotherMigration() {
        try (ReadRouter other = ReadRouter.builder(flags, "orders").build()) {
            RepositoryDefinitionException e = assertThrows(RepositoryDefinitionException.class,
                    () -> builder(NotesDao.class, new RecordingNotes()).router(other).build());
            assertEquals("Cannot wrap " + NotesDao.class.getName() + ":\n  router(readRouter) routes migration orders,"
                    + " not customers: build the router for customers", e.getMessage());
        }
    }

    @Test
    void repository_rejectsAClass() {
        assertEquals(NoOpCustomerDao.class.getName() + " is not an interface: Cutover wraps repository"
                + " interfaces; declare the DAO's methods in an interface and wrap that",
                assertThrows(CutoverConfigurationException.class, () -> DualWrite.repository(NoOpCustomerDao.class)).getMessage());
    }

    /** In every stage: a write of one side only needs no key text, but its key is checked all the same. */
    @ParameterizedTest
    @EnumSource(Stage.class)
    void aNullRoutingKey_failsTheCallBeforeTheDaoIsCalled(Stage stage) {
        flags.forceMoveTo("customers", stage, "test", "test");
        RecordingNotes dao = new RecordingNotes();
        NotesDao notes = builder(NotesDao.class, dao).build();

        assertEquals("NotesDao.put(String,String): the routing key is null, so the write cannot be mirrored",
                assertThrows(IllegalArgumentException.class, () -> notes.put(null, "x")).getMessage());
        assertEquals("NotesDao.putAll(List): a routing key in the batch is null, so the write cannot be mirrored",
                assertThrows(IllegalArgumentException.class, () -> notes.putAll(java.util.Arrays.asList("1", null)))
                        .getMessage());
        assertEquals(0, dao.calls);
    }

    /** In every stage: a write of one side only needs no key text, but its key is checked all the same. */
    @ParameterizedTest
    @EnumSource(Stage.class)
    void anEmptyRoutingKeyList_failsTheCallBeforeTheDaoIsCalled(Stage stage) {
        flags.forceMoveTo("customers", stage, "test", "test");
        RecordingNotes dao = new RecordingNotes();
        NotesDao notes = builder(NotesDao.class, dao).routingKey("put", args -> List.of()).build();

        IllegalArgumentException single = assertThrows(IllegalArgumentException.class, () -> notes.put("1", "x"));
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> notes.putAll(List.of()));
        assertEquals("NotesDao.put(String,String): the routing key list is empty, so the write cannot be mirrored and"
                + " was not made. Fix: make the routing key name every row the write changes (one key per batch"
                + " element), and skip the call when there is nothing to write", single.getMessage());
        assertTrue(batch.getMessage().startsWith("NotesDao.putAll(List): the routing key list is empty"),
                batch.getMessage());
        assertEquals(0, dao.calls);
    }

    @Test
    void cutoverAnnotations_overrideJdbiOnes() {
        RecordingNotes dao = new RecordingNotes();
        NotesDao notes = builder(NotesDao.class, dao).build();
        assertEquals("read 7", notes.overridden(7));
    }

    @Test
    void build_rejectsReadTransformsOfUnknownMethodsAndOfWrites() {
        RepositoryDefinitionException e = assertThrows(RepositoryDefinitionException.class,
                () -> builder(NotesDao.class, new RecordingNotes())
                        .targetRead("missing", args -> args, result -> result)
                        .targetRead("put", args -> args, result -> result)
                        .build());
        assertEquals("Cannot wrap " + NotesDao.class.getName() + ":\n"
                + "  targetRead(\"missing\", ...) names no method of NotesDao: use a read method's name\n"
                + "  targetRead(\"put\", ...) names NotesDao.put(String,String), a write: writes reach the other side as"
                + " rows, so map their columns and keys in the TableMapping and remove the transform", e.getMessage());
    }

    @Test
    void targetRead_translatesTheArgumentsAndTheResultOfReadsServedByTheTarget() {
        NotesDao target = new RecordingNotes() {
            @Override
            public String overridden(long id) {
                return "target " + id;
            }
        };
        NotesDao notes = DualWrite.repository(NotesDao.class).source(new RecordingNotes()).target(target)
                .migration("customers").flags(flags).router(router).retryQueue(queue).rowCopier(resync, "customers")
                .targetRead("overridden", args -> new Object[] {(Long) args[0] + 100}, result -> ((String) result).toUpperCase())
                .build();
        NotesDao wrongArity = builder(NotesDao.class, target).targetRead("overridden", args -> new Object[0], r -> r).build();
        try {
            flags.forceMoveTo("customers", Stage.SOURCE_ONLY, "test", "test");
            assertEquals("read 7", notes.overridden(7), "the source sees the caller's arguments");
            flags.forceMoveTo("customers", Stage.TARGET_PRIMARY, "test", "test");
            assertEquals("TARGET 107", notes.overridden(7));
            assertEquals("targetRead(\"overridden\", ...) turned the arguments of NotesDao.overridden(long) into 0"
                    + " argument(s), but the method takes 1",
                    assertThrows(IllegalStateException.class, () -> wrongArity.overridden(7)).getMessage());
        } finally {
            flags.forceMoveTo("customers", Stage.SOURCE_ONLY, "test", "test");
        }
    }

    private static String sortedLines(String message) {
        String[] parts = message.split("\n  ");
        return parts[0] + "\n  " + String.join("\n  ", List.of(parts).subList(1, parts.length));
    }

    static final class NoOpCustomerDao implements CustomerDao {
        @Override
        public String name(long id) {
            return null;
        }

        @Override
        public void save(long id, String name) {
        }

        @Override
        public void rename(long id, String name) {
        }
    }

    static final class NoOpKeylessDao implements KeylessDao {
        @Override
        public void wipe() {
        }

        @Override
        public void touch(long a, long b) {
        }

        @Override
        public void confused(long id) {
        }

        @Override
        public void order(long id) {
        }
    }

    static class RecordingNotes implements NotesDao {
        int calls;

        @Override
        public void put(String id, String text) {
            calls++;
        }

        @Override
        public void putAll(List<String> ids) {
            calls++;
        }

        @Override
        public String overridden(long id) {
            return "read " + id;
        }
    }
}
