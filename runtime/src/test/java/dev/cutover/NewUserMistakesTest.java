package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.BackfillException;
import dev.cutover.dualwrite.Read;
import dev.cutover.dualwrite.RepositoryDefinitionException;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.Write;
import dev.cutover.flags.Stage;
import dev.cutover.flags.StageTransitionException;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerifierConfig;
import dev.cutover.verifier.VerifierException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A newcomer's mistakes with the public API, made from outside against PostgreSQL source and target
 * databases: each must be refused with a message that names the problem and a fix that loses no
 * write, and must leave both databases as they were (no flag, audit or queue row, no data row).
 */
class NewUserMistakesTest {
    private static TestDatabase sourceDb;
    private static TestDatabase targetDb;
    private static DataSource source;
    private static DataSource target;

    private final TableMapping users = TableMapping.builder("users").key("id", Long.class).columns("email").build();

    /** What a newcomer writes first: a write method that forgets to say which row it touches. */
    public interface Users {
        @Write
        void insert(@RoutingKey long id, String email);

        @Write
        void rename(long id, String email);

        @Read
        String email(@RoutingKey long id);
    }

    public interface Inserts {
        @Write
        void insert(@RoutingKey long id, String email);
    }

    @BeforeAll
    static void databases() {
        sourceDb = TestDatabases.create(Engine.POSTGRESQL, "mistakessource");
        targetDb = TestDatabases.create(Engine.POSTGRESQL, "mistakestarget");
        source = sourceDb.dataSource(4);
        target = targetDb.dataSource(4);
    }

    @AfterAll
    static void drop() {
        targetDb.close();
        sourceDb.close();
    }

    @BeforeEach
    void freshTables() throws SQLException {
        sql(source, "DROP TABLE IF EXISTS users, cutover_flag_state, cutover_flag_audit, cutover_retry_entry,"
                + " cutover_verifier_checkpoint, cutover_backfill_checkpoint CASCADE");
        sql(target, "DROP TABLE IF EXISTS users CASCADE");
        sql(source, "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT)");
        sql(source, "INSERT INTO users VALUES (1, 'ann@example.com')");
    }

    @Test
    void badSettings_areRefusedAtBuildWithTheSettingAndItsRange_andCreateNoTable() throws SQLException {
        Map<String, Long> before = rows();
        // The row copier's settings used to be applied only at the first migration(...), so a bad one passed build().
        assertRefused(CutoverConfigurationException.class,
                () -> Cutover.builder(source, target).rowCopier(c -> c.copyBudget(Duration.ZERO)).build().close(),
                "copyBudget must be between 100 ms and 10 min, but was 0 s: set a value in that range");
        assertRefused(CutoverConfigurationException.class,
                () -> Cutover.builder(source, target).flags(f -> f.refreshInterval(Duration.ofSeconds(-1))).build().close(),
                "refreshInterval must be between", "but was -1 s", "set a value in that range");
        assertRefused(CutoverConfigurationException.class, () -> VerifierConfig.custom().statementTimeout(Duration.ZERO),
                "statementTimeout must be between", "set a value in that range");
        assertRefused(CutoverConfigurationException.class, () -> BackfillConfig.custom().chunkTime(Duration.ofMillis(-5)),
                "chunkTime must be between", "set a value in that range");
        assertRefused(CutoverConfigurationException.class, () -> RetryQueueConfig.custom().leaseDuration(Duration.ZERO),
                "leaseDuration must be between", "set a value in that range");
        assertRefused(CutoverConfigurationException.class, () -> Cutover.builder(source, target).tablePrefix("my-app;"),
                "tablePrefix must be at most 48 ASCII letters, digits or underscores", "'my-app;'");
        assertRefused(CutoverConfigurationException.class, () -> Cutover.builder(source, source),
                "source and target are the same DataSource", "pass the old database as the source");
        assertEquals("null source", assertThrows(NullPointerException.class, () -> Cutover.builder(null, target)).getMessage());
        // Was a FlagStoreException saying the store "cannot be read within the start timeout", as if it were down,
        // and advising startDuringStoreOutage(true).
        String missing = assertRefused(CutoverConfigurationException.class,
                () -> Cutover.builder(source, target).createTables(false).build().close(),
                "createTables(false) was set, but the runtime's tables [cutover_flag_state, cutover_flag_audit,"
                        + " cutover_retry_entry, cutover_verifier_checkpoint] cannot be read in its state database",
                "create them once with the scripts", "or leave createTables at its default (true)");
        assertTrue(!missing.contains("startDuringStoreOutage"), missing);
        assertEquals(before, rows(), "a refused build created or wrote a table");
    }

    @Test
    void badMigrationNames_andRegisteringTwice_areRefusedAndWriteNothing() throws SQLException {
        try (Cutover cutover = Cutover.builder(source, target).build()) {
            Map<String, Long> before = rows();
            assertEquals("null migration",
                    assertThrows(NullPointerException.class, () -> cutover.migration(null, users)).getMessage());
            assertRefused(CutoverConfigurationException.class, () -> cutover.migration(" ", users),
                    "migration name must be 1 to 64 ASCII letters", "but was ' '", "such as 'orders'");
            assertRefused(CutoverConfigurationException.class, () -> cutover.migration("my users", users),
                    "such as 'my-users'");
            assertRefused(CutoverConfigurationException.class,
                    () -> TableMapping.builder("users").key("id", Long.class).columns("email", "email").build(),
                    "overlaps the mapped column email", "map each column once");
            assertRefused(CutoverConfigurationException.class, () -> TableMapping.builder("users").columns("email").build(),
                    "users needs at least one key column: call key(column, type)");
            cutover.migration("users", users);
            assertRefused(CutoverConfigurationException.class,
                    () -> cutover.migration("users", TableMapping.builder("people").key("id", Long.class).build()),
                    "Migration users is already registered", "look it up with migration(\"users\")");
            assertRefused(IllegalArgumentException.class, () -> cutover.migration("user"),
                    "No migration user is registered in this runtime; registered: [users]", "Register it with");
            assertEquals(before, rows());
        }
    }

    @Test
    void movesThatCannotWork_areRefusedNamingTheProblem_andMoveNothing() throws SQLException {
        try (Cutover cutover = Cutover.builder(source, target).build()) {
            Migration migration = cutover.migration("users", users);
            Map<String, Long> before = rowsWritten();
            // Was "Cannot invoke "dev.cutover.flags.Stage.dualWrites()" because "next" is null".
            assertEquals("null stage", assertThrows(NullPointerException.class,
                    () -> migration.moveTo(null, "alice", "start")).getMessage());
            assertRefused(StageTransitionException.class, () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                    "target table users of users does not exist: create it, or fix the mapping's table name",
                    "Nothing was moved");
            sql(target, "CREATE TABLE users (id BIGINT PRIMARY KEY, mail TEXT)");
            assertRefused(StageTransitionException.class, () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                    "column email is not in the target table users of users (it has id, mail): fix the mapping");
            sql(target, "DROP TABLE users");
            sql(target, "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT)");
            assertRefused(StageTransitionException.class, () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                    "users.id (int8) and users.id (text) of users cannot hold the same values",
                    "change one type, or map the column with a conversion");
            sql(target, "DROP TABLE users");
            sql(target, "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT)");
            // A String key on a bigint column passed the set-up check; then every copy failed on PostgreSQL
            // ("operator does not exist: bigint = character varying") into the retry-queue, to fail there again.
            Migration stringKey = cutover.migration("users-by-text",
                    TableMapping.builder("users").key("id", String.class).columns("email").build());
            assertRefused(StageTransitionException.class, () -> stringKey.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                    "key users.id of users is int8 but the mapping declares its values String",
                    "declare key(\"id\", Long.class) (or Integer.class)", "Nothing was moved");
            // Skipping DUAL_WRITE was answered "or force the jump if that is intended": a newcomer who forces it has a
            // target without the source's rows.
            for (Stage tooFar : new Stage[] {Stage.SHIFT_READS, Stage.TARGET_ONLY}) {
                String skip = assertRefused(StageTransitionException.class, () -> migration.moveTo(tooFar, "alice", "skip"),
                        "it skips DUAL_WRITE. Move to DUAL_WRITE first", "walk the stages one at a time");
                assertTrue(!skip.contains("force the jump"), skip);
            }
            assertRefused(BackfillException.class, () -> migration.backfill().build().run(),
                    "is in stage SOURCE_ONLY", "Move it to DUAL_WRITE first");
            // The set-up check may create the verifier's (empty) checkpoint table; no row may appear.
            assertEquals(before, rowsWritten(), "a refused move or backfill wrote a flag, audit, queue or data row");
        }
    }

    @Test
    void theSourceDatabasePassedTwice_isRefusedAtTheFirstMove() throws SQLException {
        // Two pools on one URL are two DataSources, so the builder's same-object check lets them through; the
        // migration then "copied" every row onto itself and the verifier found nothing to fix.
        try (Cutover cutover = Cutover.builder(source, sourceDb.dataSource(2)).build()) {
            Migration migration = cutover.migration("users", users);
            Map<String, Long> before = rowsWritten();
            assertRefused(StageTransitionException.class, () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                    "the source and the target are the same database", "would copy table users onto itself",
                    "pass the new database as the target", "Nothing was moved");
            String refusal = assertThrows(StageTransitionException.class,
                    () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start")).getMessage();
            assertTrue(!refusal.contains("user="), "the URL's parameters, which may hold a password, are quoted: " + refusal);
            assertEquals(Stage.SOURCE_ONLY, migration.stage());
            assertEquals(before, rowsWritten());
        }
    }

    @Test
    void repositoriesThatCannotBeWrapped_areRefusedNamingTheMethodAndTheFix() {
        try (Cutover cutover = Cutover.builder(source, target).build()) {
            Migration migration = cutover.migration("users", users);
            assertRefused(RepositoryDefinitionException.class,
                    () -> migration.repository(Users.class, new NoUsers(), new NoUsers()),
                    "Users.rename(long,String) is a write without a routing key",
                    "annotate the parameter that names the row @RoutingKey, or register routingKey(\"rename\"");
            assertRefused(RepositoryDefinitionException.class,
                    () -> migration.repository(NoUsers.class, new NoUsers(), new NoUsers()),
                    "is not an interface", "declare the DAO's methods in an interface and wrap that");
            assertEquals("null source", assertThrows(NullPointerException.class,
                    () -> migration.repository(Inserts.class, null, (id, email) -> { })).getMessage());
        }
    }

    @Test
    void anUnreachableTarget_isNamedAsTheTarget_byMoveToAndVerify() throws SQLException {
        PGSimpleDataSource down = new PGSimpleDataSource();
        down.setURL("jdbc:postgresql://127.0.0.1:1/nothing?user=postgres&connectTimeout=1");
        try (Cutover cutover = Cutover.builder(source, down).build()) {
            Migration migration = cutover.migration("users", users);
            Map<String, Long> before = rows();
            // Was a bare CutoverException "Cannot detect the SQL dialect: the database is unreachable (...)":
            // neither which database nor that the move did not happen.
            assertRefused(StageTransitionException.class, () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                    "Migration users was not moved to DUAL_WRITE", "The target database cannot be reached",
                    "Connection to 127.0.0.1:1 refused", "Nothing was moved; move it again once both databases answer");
            assertRefused(VerifierException.class, migration::verify,
                    "The target database cannot be reached", "check its connection settings and that it is up");
            assertEquals(before, rows());
            assertEquals(Stage.SOURCE_ONLY, migration.stage());
        }
    }

    @Test
    void aClosedRuntime_saysWhatToDoInstead() {
        Cutover cutover = Cutover.builder(source, target).build();
        Migration migration = cutover.migration("users", users);
        cutover.close();
        for (Executable late : new Executable[] {
                () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start"),
                migration::verify,
                () -> migration.backfill(),
                () -> migration.repository(Inserts.class, (id, email) -> { }, (id, email) -> { }),
                () -> cutover.migration("late", users)}) {
            // Was "This Cutover runtime is closed", with no fix.
            assertRefused(IllegalStateException.class, late, "This Cutover runtime is closed",
                    "build a new runtime with Cutover.builder(source, target) and register the migration there");
        }
    }

    private static <T extends Throwable> String assertRefused(Class<T> type, Executable call, String... fragments) {
        T refusal = assertThrows(type, call);
        for (String fragment : fragments) {
            assertTrue(refusal.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + refusal.getMessage());
        }
        return refusal.getMessage();
    }

    /** Every table's row count on both sides, so that a refusal can be shown to have written nothing. */
    private static Map<String, Long> rows() throws SQLException {
        Map<String, Long> rows = new TreeMap<>();
        count("source", source, rows);
        count("target", target, rows);
        return rows;
    }

    /** The row counts of the tables that hold rows. */
    private static Map<String, Long> rowsWritten() throws SQLException {
        Map<String, Long> rows = rows();
        rows.values().removeIf(n -> n == 0);
        return rows;
    }

    private static void count(String side, DataSource dataSource, Map<String, Long> rows) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet tables = s.executeQuery("SELECT table_name FROM information_schema.tables"
                        + " WHERE table_schema = 'public' ORDER BY 1")) {
            while (tables.next()) {
                String table = tables.getString(1);
                try (Statement count = c.createStatement(); ResultSet n = count.executeQuery("SELECT COUNT(*) FROM " + table)) {
                    n.next();
                    rows.put(side + "." + table, n.getLong(1));
                }
            }
        }
    }

    private static void sql(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    public static class NoUsers implements Users {
        @Override
        public void insert(long id, String email) {
        }

        @Override
        public void rename(long id, String email) {
        }

        @Override
        public String email(long id) {
            return null;
        }
    }
}
