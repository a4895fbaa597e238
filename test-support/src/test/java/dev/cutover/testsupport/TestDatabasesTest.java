package dev.cutover.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class TestDatabasesTest {

    static java.util.stream.Stream<Engine> allEngines() {
        return java.util.stream.Stream.concat(TestDatabases.engines(), java.util.stream.Stream.of(Engine.H2_MYSQL));
    }

    @ParameterizedTest
    @MethodSource("allEngines")
    void create_givesAnEmptyWritableDatabaseAndCloseDropsIt(Engine engine) throws Exception {
        String url;
        try (TestDatabase db = TestDatabases.create(engine, "selftest")) {
            url = db.jdbcUrl();
            db.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO t VALUES (1, 'x')");
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT v FROM t WHERE id = 1")) {
                assertTrue(rs.next());
                assertEquals("x", rs.getString(1));
            }
        }
        if (engine == Engine.POSTGRESQL || engine == Engine.MARIADB) {
            assertThrows(SQLException.class, () -> DriverManager.getConnection(url).close(),
                    "the database should be gone after close()");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Engine.class, names = {"POSTGRESQL"})
    void forwarder_cutFailsQueriesAndRestoreHeals(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "forwarder");
             TcpForwarder forwarder = TcpForwarder.in(db)) {
            String via = db.jdbcUrlVia(forwarder);
            try (Connection c = DriverManager.getConnection(via)) {
                assertEquals(1, selectOne(c));
                forwarder.cut();
                assertThrows(SQLException.class, () -> selectOne(c));
            }
            assertThrows(SQLException.class, () -> DriverManager.getConnection(via).close());
            forwarder.restore();
            try (Connection c = DriverManager.getConnection(via)) {
                assertEquals(1, selectOne(c));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Engine.class, names = {"POSTGRESQL"})
    void forwarder_stallHoldsBytesUntilRestore(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "stall");
             TcpForwarder forwarder = TcpForwarder.in(db)) {
            Properties props = new Properties();
            try (Connection c = DriverManager.getConnection(db.jdbcUrlVia(forwarder), props)) {
                forwarder.stall();
                CompletableFuture<Integer> query = CompletableFuture.supplyAsync(() -> {
                    try {
                        return selectOne(c);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(300);
                assertFalse(query.isDone(), "a stalled connection should not answer");
                forwarder.restore();
                assertEquals(1, query.get(10, TimeUnit.SECONDS));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Engine.class, names = {"POSTGRESQL"})
    void forwarder_delayAddsLatencyButKeepsAnswersRight(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "delay");
             TcpForwarder forwarder = TcpForwarder.in(db);
             Connection c = DriverManager.getConnection(db.jdbcUrlVia(forwarder))) {
            forwarder.delay(Duration.ofMillis(20));
            long start = System.nanoTime();
            assertEquals(1, selectOne(c));
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(20).toNanos(),
                    "a delayed round trip cannot be faster than the delay");
        }
    }

    private static int selectOne(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
