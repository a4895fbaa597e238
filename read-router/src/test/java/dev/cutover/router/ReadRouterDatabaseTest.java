package dev.cutover.router;

import dev.cutover.testsupport.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The router against real databases: source and target are two databases holding the same rows. */
@Timeout(120)
class ReadRouterDatabaseTest {
    private static final String M = "customers";
    private static final int ROWS = 20;

    /** Engines whose timestamps keep milliseconds, as targets of a PostgreSQL source that keeps microseconds. */
    static Stream<Engine> millisecondEngines() {
        return Stream.concat(TestDatabases.serverEngines().filter(e -> e == Engine.MARIADB), Stream.of(Engine.H2_MYSQL));
    }

    private static void createCustomers(TestDatabase db) {
        db.execute("CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200) NOT NULL,"
                + " balance DECIMAL(12, 2) NOT NULL)");
        for (int id = 1; id <= ROWS; id++) {
            db.execute("INSERT INTO customer (id, name, email, balance) VALUES (" + id + ", 'Customer " + id + "', 'c" + id
                    + "@source.example', " + id + ".50)");
        }
    }

    private static Map<String, Object> expected(int id) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("name", "Customer " + id);
        row.put("email", "c" + id + "@source.example");
        row.put("balance", new BigDecimal(id + ".50"));
        return row;
    }

    private static Map<String, Object> findRow(DataSource ds, String sql, int id) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                ResultSetMetaData meta = rs.getMetaData();
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.put(meta.getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getObject(i));
                }
                return row;
            }
        }
    }

    private static Map<String, Object> findCustomer(DataSource ds, int id) throws SQLException {
        return findRow(ds, "SELECT id, name, email, balance FROM customer WHERE id = ?", id);
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void cutTargetConnection_isAnsweredBySource_opensBreaker_andReadsReturnToTargetOnceRestored(Engine engine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(engine, "rrsource");
             TestDatabase targetDb = TestDatabases.create(engine, "rrtarget");
             TcpForwarder forwarder = TcpForwarder.in(targetDb);
             MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build()) {
            createCustomers(sourceDb);
            createCustomers(targetDb);
            DataSource source = sourceDb.dataSource(4);
            DataSource target = targetDb.dataSourceVia(forwarder, 4);
            flags.forceMoveTo(M, Stage.SHIFT_READS, "test", "breaker test");
            flags.setTargetReadPercent(M, 100, "test", "every read on the target");
            ReadRouterConfig config = ReadRouterConfig.custom().targetTimeout(Duration.ofMillis(500))
                    .circuitBreaker(CircuitBreakerConfig.from(ReadRouterConfig.DEFAULT_CIRCUIT_BREAKER).slidingWindowSize(10).minimumNumberOfCalls(4)
                            .permittedNumberOfCallsInHalfOpenState(2).waitDurationInOpenState(Duration.ofSeconds(4)).build())
                    .build();
            AtomicInteger targetAnswers = new AtomicInteger();
            try (ReadRouter router = ReadRouter.builder(flags, M).config(config).build()) {
                Reader reader = id -> router.read("findCustomer", "customer-" + id, () -> findCustomer(source, id), () -> {
                    Map<String, Object> row = findCustomer(target, id);
                    targetAnswers.incrementAndGet();
                    return row;
                });
                for (int id = 1; id <= ROWS; id++) {
                    assertEquals(expected(id), reader.read(id));
                }
                assertEquals(ROWS, targetAnswers.get(), "healthy: the target serves every read");

                forwarder.cut();
                int readsWhileCut = 0;
                while (router.breakerState() != CircuitBreaker.State.OPEN && readsWhileCut < 100) {
                    int id = readsWhileCut % ROWS + 1;
                    assertEquals(expected(id), reader.read(id), "read " + id + " while the target is cut");
                    readsWhileCut++;
                }
                assertEquals(CircuitBreaker.State.OPEN, router.breakerState());
                for (int id = 1; id <= 10; id++) {
                    assertEquals(expected(id), reader.read(id), "read " + id + " while the breaker is open");
                }
                assertEquals(ROWS, targetAnswers.get(), "no read was answered by the cut target");
                assertEquals(readsWhileCut + 10, router.counts().fallbacks());

                forwarder.restore();
                Await.until(() -> {
                    try {
                        assertEquals(expected(3), reader.read(3));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    return router.breakerState() == CircuitBreaker.State.CLOSED;
                });
                assertEquals(CircuitBreaker.State.CLOSED, router.breakerState());
                int before = targetAnswers.get();
                for (int id = 1; id <= 10; id++) {
                    assertEquals(expected(id), reader.read(id));
                }
                assertEquals(before + 10, targetAnswers.get(), "reads are back on the target");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void plantedTargetDifference_isReportedNamingFieldAndKey_masked_whileCallersGetSourceValues(Engine engine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(engine, "rrsource");
             TestDatabase targetDb = TestDatabases.create(engine, "rrtarget");
             MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build()) {
            createCustomers(sourceDb);
            createCustomers(targetDb);
            targetDb.execute("UPDATE customer SET email = 'planted@target.example' WHERE id = 7");
            DataSource source = sourceDb.dataSource(4);
            DataSource target = targetDb.dataSource(4);
            flags.moveTo(M, Stage.DUAL_WRITE, "test", "shadow test");
            flags.setShadowReadPercent(M, 100, "test", "compare every read");
            List<MismatchEvent> heard = new CopyOnWriteArrayList<>();
            try (ReadRouter router = ReadRouter.builder(flags, M).mismatchListener(heard::add).build()) {
                for (int id = 1; id <= ROWS; id++) {
                    int row = id;
                    assertEquals(expected(id), router.read("findCustomer", "customer-" + id,
                            () -> findCustomer(source, row), () -> findCustomer(target, row)));
                }
                Await.until(() -> router.counts().compared() == ROWS);
                assertEquals(ROWS - 1, router.counts().matched());
                assertEquals(1, router.counts().mismatched());
                assertEquals(1, heard.size());
                MismatchEvent event = heard.get(0);
                assertEquals("customer-7", event.routingKey());
                assertEquals("findCustomer", event.operation());
                assertEquals(List.of(new ValueDifference("email", ValueDifference.MASK, ValueDifference.MASK)), event.differences());
            }

            ReadRouterConfig reveal = ReadRouterConfig.custom().revealValues(true).build();
            try (ReadRouter router = ReadRouter.builder(flags, M).config(reveal).build()) {
                router.read("findCustomer", "customer-7", () -> findCustomer(source, 7), () -> findCustomer(target, 7));
                Await.until(() -> router.counts().compared() == 1);
                assertEquals(List.of(new ValueDifference("email", "c7@source.example", "planted@target.example")),
                        router.recentMismatches().get(0).differences());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("millisecondEngines")
    void microsecondSourceAgainstMillisecondTarget_mismatchesExactly_andMatchesAtMillisecondPrecision(Engine targetEngine)
            throws Exception {
        String literal = "TIMESTAMP '2026-03-01 10:00:00.123456'";
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "rrpgsource");
             TestDatabase targetDb = TestDatabases.create(targetEngine, "rrmstarget");
             MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(M).build()) {
            sourceDb.execute("CREATE TABLE event (id INT PRIMARY KEY, happened_at TIMESTAMP(6) NOT NULL)",
                    "INSERT INTO event VALUES (1, " + literal + ")");
            String targetType = targetEngine == Engine.MARIADB ? "DATETIME(3)" : "TIMESTAMP(3)";
            targetDb.execute("CREATE TABLE event (id INT PRIMARY KEY, happened_at " + targetType + " NOT NULL)",
                    "INSERT INTO event VALUES (1, " + literal + ")");
            DataSource source = sourceDb.dataSource(2);
            DataSource target = targetDb.dataSource(2);
            String sql = "SELECT id, happened_at FROM event WHERE id = ?";
            flags.moveTo(M, Stage.DUAL_WRITE, "test", "shadow test");
            flags.setShadowReadPercent(M, 100, "test", "compare every read");

            try (ReadRouter exact = ReadRouter.builder(flags, M).build()) {
                exact.read("findEvent", "event-1", () -> findRow(source, sql, 1), () -> findRow(target, sql, 1));
                Await.until(() -> exact.counts().compared() == 1);
                assertEquals(1, exact.counts().mismatched(), "exact comparison sees the lost microseconds");
                assertEquals(List.of("happened_at"), exact.recentMismatches().get(0).paths());
            }
            ValueComparator millis = ValueComparator.custom().timestampPrecision(ChronoUnit.MILLIS).build();
            try (ReadRouter tolerant = ReadRouter.builder(flags, M).comparator(millis).build()) {
                tolerant.read("findEvent", "event-1", () -> findRow(source, sql, 1), () -> findRow(target, sql, 1));
                Await.until(() -> tolerant.counts().compared() == 1);
                assertEquals(1, tolerant.counts().matched(), "millisecond precision tolerates the target's column");
                assertTrue(tolerant.recentMismatches().isEmpty());
            }
        }
    }

    @FunctionalInterface
    private interface Reader {
        Map<String, Object> read(int id) throws Exception;
    }
}
