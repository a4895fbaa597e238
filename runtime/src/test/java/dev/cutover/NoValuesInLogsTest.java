package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryEntry;
import dev.cutover.router.MismatchEvent;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.LogCapture;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.CheckpointStore;
import dev.cutover.verifier.RowDifference;
import dev.cutover.verifier.JdbcCheckpointStore;
import dev.cutover.verifier.VerificationReport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #18: rows carrying marker values go through every fault path that makes Cutover log,
 * throw or store a text (a target constraint violation, a value too long for the target, a target
 * outage, refused statements, shadow-read mismatches, verifier differences, parked entries), and
 * no marker may appear in any of Cutover's log lines (DEBUG included: the runtime module's tests log
 * {@code dev.cutover} at DEBUG), the messages of the exceptions Cutover creates, the mismatch
 * events, the verifier report, or any row of Cutover's own tables. With the runtime's
 * {@code logValues(true)} the same run shows them.
 */
class NoValuesInLogsTest {
    private static final String EMAIL = "first.marker@example.org";
    private static final String EMAIL2 = "second.marker@example.org";
    private static final String NAME = "Zelda Markerfield";
    private static final String OTHER_NAME = "Yvonne Markerstone";
    private static final String LONG = "Longmarker-" + "x".repeat(60);
    private static final List<String> MARKERS = List.of(EMAIL, EMAIL2, NAME, OTHER_NAME, "Longmarker");

    private static final String SOURCE_DDL = "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(60) UNIQUE,"
            + " name VARCHAR(60), bio VARCHAR(300))";
    /**
     * The target's bio is shorter (copying a long one fails there with "value too long"), and it
     * refuses e-mails of one pattern (a check constraint violation).
     */
    private static final String TARGET_DDL = "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(60) UNIQUE"
            + " CHECK (email NOT LIKE 'second.%'), name VARCHAR(60), bio VARCHAR(20))";
    private static final TableMapping USERS = TableMapping.builder("users").key("id", Long.class)
            .columns("email", "name", "bio").build();
    /** slf4j-simple's line: {@code [thread] LEVEL logger - message}; stack trace lines follow it. */
    private static final Pattern LOG_LINE = Pattern.compile("^\\[[^\\]]*] (TRACE|DEBUG|INFO|WARN|ERROR) (\\S+) - ");

    /** The application's DAO. */
    public interface UserDao {
        @SqlUpdate("INSERT INTO users (id, email, name, bio) VALUES (:id, :email, :name, :bio)")
        void insert(@RoutingKey @Bind("id") long id, @Bind("email") String email, @Bind("name") String name,
                @Bind("bio") String bio);

        @SqlQuery("SELECT name FROM users WHERE id = :id")
        String name(@RoutingKey @Bind("id") long id);
    }

    static Stream<Arguments> pairs() {
        List<Arguments> pairs = new ArrayList<>();
        boolean mariadb = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB);
        for (boolean logValues : new boolean[] {false, true}) {
            pairs.add(Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL, logValues));
            if (mariadb) {
                pairs.add(Arguments.of(Engine.POSTGRESQL, Engine.MARIADB, logValues));
                pairs.add(Arguments.of(Engine.MARIADB, Engine.POSTGRESQL, logValues));
            }
        }
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}, logValues {2}")
    @MethodSource("pairs")
    void faultPathsKeepRowValuesOutOfLogsMessagesAndTables(Engine sourceEngine, Engine targetEngine, boolean logValues)
            throws Exception {
        Seen seen = new Seen();
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "novaluessrc");
             TestDatabase targetDb = TestDatabases.create(targetEngine, "novaluestgt");
             TcpForwarder forwarder = TcpForwarder.in(targetDb)) {
            sourceDb.execute(SOURCE_DDL);
            targetDb.execute(TARGET_DDL);
            // Another row already holds the first marker's e-mail on the target: its copy violates the unique key.
            targetDb.execute("INSERT INTO users (id, email, name, bio) VALUES (99, '" + EMAIL + "', 'someone', NULL)");
            DataSource source = sourceDb.dataSource(8);
            DataSource target = targetDb.dataSourceVia(forwarder, 8);
            try (LogCapture logs = new LogCapture()) {
                run(sourceDb, targetDb, forwarder, source, target, logValues, seen);
                seen.logs = cutoverLogEntries(logs.lines());
            }
        }
        assertTheFaultsHappened(seen, targetEngine);
        if (logValues) {
            assertTrue(seen.logs.stream().anyMatch(e -> MARKERS.stream().anyMatch(e::contains)),
                    "with logValues the logs show values");
            assertTrue(seen.tables.stream().anyMatch(r -> MARKERS.stream().anyMatch(r::contains)),
                    "and Cutover's tables keep them: " + seen.tables);
            assertTrue(seen.logs.stream().anyMatch(e -> e.contains(EMAIL)),
                    "the mirror's failure shows the driver's whole message");
            assertTrue(seen.parkedErrors.stream().anyMatch(e -> e.contains(EMAIL)),
                    "and last_error keeps it: " + seen.parkedErrors);
            assertTrue(seen.exceptions.stream().anyMatch(m -> m.contains(EMAIL) && m.contains(NAME)),
                    "and refused statements are quoted whole: " + seen.exceptions);
            assertTrue(seen.events.stream().anyMatch(e -> e.contains(NAME) && e.contains(OTHER_NAME)),
                    "and mismatch events show both values: " + seen.events);
            assertTrue(seen.report.contains(NAME) && seen.report.contains(OTHER_NAME),
                    "and the verifier report shows both values: " + seen.report);
        } else {
            for (String marker : MARKERS) {
                assertAbsent(marker, "log entry", seen.logs);
                assertAbsent(marker, "exception message", seen.exceptions);
                assertAbsent(marker, "mismatch event", seen.events);
                assertAbsent(marker, "verifier report", List.of(seen.report));
                assertAbsent(marker, "row of Cutover's tables", seen.tables);
            }
        }
    }

    /** What the run left behind: every text Cutover produced. */
    private static final class Seen {
        List<String> logs = List.of();
        final List<String> exceptions = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final List<String> tables = new ArrayList<>();
        final List<String> parkedErrors = new ArrayList<>();
        String report = "";
        VerificationReport verification;
    }

    private static void run(TestDatabase sourceDb, TestDatabase targetDb, TcpForwarder forwarder, DataSource source,
            DataSource target, boolean logValues, Seen seen) throws Exception {
        try (Cutover cutover = Cutover.builder(source, target)
                .logValues(logValues)
                .retryQueue(q -> q.maxAttempts(2).initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(10))
                        .pollInterval(Duration.ofMillis(50)))
                .rowCopier(c -> c.copyBudget(Duration.ofSeconds(2)))
                .build()) {
            Migration users = cutover.migration("users", USERS);
            UserDao dao = users.repository(UserDao.class, dao(source), dao(target));
            users.moveTo(Stage.DUAL_WRITE, "test", "dual writes");

            // Target constraint violations and a value too long for the target: each parks after two attempts.
            dao.insert(1, EMAIL, NAME, "short");
            dao.insert(2, null, NAME, LONG);
            dao.insert(4, EMAIL2, NAME, "short");
            Await.until("the failing copies are parked", () -> cutover.retryQueue().parked(10).size() >= 3);

            // The target down: the copy fails and is queued; its replays may come before the target's pool
            // recovers and park it too, which is another parked entry.
            forwarder.cut();
            dao.insert(3, null, NAME, LONG.substring(0, 15));
            forwarder.restore();
            Await.until("row 3 is copied or parked", () -> count(targetDb, "id = 3") == 1
                    || cutover.retryQueue().parked(10).stream().anyMatch(e -> e.key().equals("3")));

            refusedStatements(users, seen);

            // Shadow reads that differ: the target's row 7 was changed behind Cutover's back.
            dao.insert(7, null, NAME, "short");
            Await.until("row 7 reaches the target", () -> count(targetDb, "id = 7") == 1);
            targetDb.execute("UPDATE users SET name = '" + OTHER_NAME + "' WHERE id = 7");
            users.setShadowReadPercent(100, "test", "compare every read");
            assertEquals(NAME, dao.name(7));
            // Portable SQL: shadowed across engines too (the DataSource style shadows only like dialects unless told).
            try (Connection c = users.dataSourceBuilder().crossDialectReads(true).build().getConnection();
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT name FROM users WHERE name = '" + NAME + "' AND id = 7")) {
                assertTrue(rs.next());
            }
            Await.until("both reads mismatch", () -> users.router().recentMismatches().size() >= 2);
            for (MismatchEvent event : users.router().recentMismatches()) {
                seen.events.add(event.toString());
            }

            // The verifier, checkpointing in a table of Cutover's.
            JdbcCheckpointStore checkpoints = CheckpointStore.jdbc(source, "cutover_");
            checkpoints.createTables();
            seen.verification = users.verifier().checkpoints(checkpoints).build().run();
            seen.report = seen.verification.toJson() + "\n" + seen.verification;

            for (RetryEntry entry : cutover.retryQueue().parked(100)) {
                seen.parkedErrors.add(entry.lastError());
            }
        }
        for (String table : List.of("cutover_retry_entry", "cutover_flag_state", "cutover_flag_audit")) {
            seen.tables.addAll(rows(sourceDb, table));
        }
        seen.tables.addAll(checkpointRows(sourceDb));
    }

    /** Statements the DataSource style cannot mirror, each with the markers as literals. */
    private static void refusedStatements(Migration users, Seen seen) throws SQLException {
        List<String> refused = List.of(
                "INSERT INTO users VALUES (8, '" + EMAIL + "', '" + NAME + "', '" + LONG + "')",
                "UPDATE users SET name = '" + NAME + "' WHERE id = 1; DELETE FROM users WHERE email = '" + EMAIL + "'",
                "INSERT INTO users (id, email, name) SELECT 9, '" + EMAIL + "', '" + NAME + "' FROM users WHERE id = 1",
                "INSERT INTO users (id, email, name) VALUES (10, '" + EMAIL + "', '" + NAME + "') garbage '" + LONG + "'");
        try (Connection c = users.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (String sql : refused) {
                SQLException e = assertThrows(SQLException.class, () -> s.executeUpdate(sql), sql);
                assertTrue(e.getMessage().startsWith("Cutover refused"), e.getMessage());
                seen.exceptions.add(e.getMessage());
            }
        }
    }

    private static void assertTheFaultsHappened(Seen seen, Engine targetEngine) {
        assertTrue(seen.parkedErrors.stream().anyMatch(targetEngine == Engine.POSTGRESQL
                        ? e -> e.contains("[23505]") && e.contains("users_email_key")
                        : e -> e.contains("[23000]") && e.contains("Duplicate entry '") && e.contains("' for key 'email'")),
                "the unique violation is parked with its SQL state and index: " + seen.parkedErrors);
        String checkState = targetEngine == Engine.POSTGRESQL ? "[23514]" : "[23000]";
        assertTrue(seen.parkedErrors.stream().anyMatch(e -> e.contains(checkState) && e.contains("email")),
                "the check violation is parked with its SQL state and constraint: " + seen.parkedErrors);
        assertTrue(seen.parkedErrors.stream().anyMatch(e -> e.contains("[22001]")),
                "the value too long is parked with its SQL state: " + seen.parkedErrors);
        assertTrue(seen.logs.stream().anyMatch(e -> e.contains("Mirror of users/users/4 to the target failed")),
                "the mirror's failure is logged");
        assertTrue(seen.logs.stream().anyMatch(e -> e.contains(" DEBUG dev.cutover.")), "DEBUG lines are captured");
        assertTrue(seen.logs.stream().anyMatch(e -> e.contains("differs between source and target")),
                "the mismatches are logged");
        List<String> differing = seen.verification.tables().get(0).differences().stream()
                .map(d -> d.key() + " " + d.kind()).toList();
        assertTrue(differing.containsAll(List.of("2 " + RowDifference.Kind.MISSING_ON_TARGET,
                "4 " + RowDifference.Kind.MISSING_ON_TARGET, "7 " + RowDifference.Kind.DIFFERENT_VALUES)), differing.toString());
        assertTrue(differing.contains("1 " + RowDifference.Kind.MISSING_ON_TARGET), differing.toString());
        assertTrue(seen.report.contains("\"name\""), "the report names the differing column: " + seen.report);
        assertEquals(4, seen.exceptions.size());
    }

    private static void assertAbsent(String marker, String what, List<String> texts) {
        for (String text : texts) {
            assertFalse(text.contains(marker), () -> "a " + what + " holds the row value '" + marker + "': " + text);
        }
    }

    /** Cutover's log entries (a line of a {@code dev.cutover} logger and the stack trace lines after it). */
    private static List<String> cutoverLogEntries(List<String> lines) {
        List<String> entries = new ArrayList<>();
        StringBuilder current = null;
        for (String line : lines) {
            Matcher header = LOG_LINE.matcher(line);
            if (header.find()) {
                if (current != null) {
                    entries.add(current.toString());
                }
                current = header.group(2).startsWith("dev.cutover.") ? new StringBuilder(line) : null;
            } else if (current != null) {
                current.append('\n').append(line);
            }
        }
        if (current != null) {
            entries.add(current.toString());
        }
        return entries;
    }

    private static List<String> rows(TestDatabase db, String table) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT * FROM " + table)) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    values.add(meta.getColumnName(i) + "=" + rs.getString(i));
                }
                rows.add(table + ": " + String.join(", ", values));
            }
        }
        return rows;
    }

    /** Every row of the checkpoint tables the store created, whatever their names. */
    private static List<String> checkpointRows(TestDatabase db) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = db.connect(); ResultSet rs = c.getMetaData().getTables(c.getCatalog(), null, "%",
                new String[] {"TABLE"})) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (name.startsWith("cutover_") && name.contains("checkpoint")) {
                    tables.add(name);
                }
            }
        }
        assertFalse(tables.isEmpty(), "no checkpoint table found");
        List<String> rows = new ArrayList<>();
        for (String table : tables) {
            rows.addAll(rows(db, table));
        }
        assertFalse(rows.isEmpty(), "the verifier stored no checkpoint");
        return rows;
    }

    private static int count(TestDatabase db, String where) {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM users WHERE " + where)) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    private static UserDao dao(DataSource dataSource) {
        return Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin()).onDemand(UserDao.class);
    }
}
