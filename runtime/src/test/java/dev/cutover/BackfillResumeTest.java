package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A backfill killed with SIGKILL in the middle, then run again by another process: it resumes from
 * the checkpoint the runtime keeps in its state database (not from the start), and the target ends
 * equal to the source, its stale rows deleted. The killed backfill runs in a child JVM ({@link #main}).
 */
class BackfillResumeTest {
    private static final String MIGRATION = "orders";
    private static final int ROWS = 4_000;
    private static final TableMapping ORDERS = TableMapping.builder("orders").key("id", Long.class)
            .columns("customer", "amount", "note").build();
    private static final String DDL = "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(40) NOT NULL,"
            + " amount BIGINT NOT NULL, note VARCHAR(40))";
    private static final String ALL = "SELECT id, customer, amount, note FROM orders ORDER BY id";

    static Stream<Engine> sourceEngines() {
        return TestDatabases.serverEngines();
    }

    @ParameterizedTest(name = "{0} -> PostgreSQL")
    @MethodSource("sourceEngines")
    void aBackfillKilledMidway_resumesFromItsCheckpointInAnotherProcess(Engine sourceEngine) throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "bfksrc");
                TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "bfktgt")) {
            sourceDb.execute(DDL);
            targetDb.execute(DDL);
            insertOrders(sourceDb);
            targetDb.execute("INSERT INTO orders VALUES (2, 'stale', 1, NULL)", "INSERT INTO orders VALUES (999999, 'gone', 1, NULL)");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (Cutover cutover = Cutover.builder(sourceDb.dataSource(4), targetDb.dataSource(4)).meterRegistry(registry)
                    .build()) {
                Migration migration = cutover.migration(MIGRATION, ORDERS);
                migration.moveTo(Stage.DUAL_WRITE, "test", "backfill");

                long killedAt = runChildAndKill(sourceDb, targetDb);
                assertTrue(killedAt >= 1_000 && killedAt < ROWS, "killed midway, at " + killedAt + " rows");
                assertTrue(count(targetDb) < ROWS, "the killed backfill had not copied everything");

                List<Long> rowsDone = new CopyOnWriteArrayList<>();
                BackfillProgress done = migration.backfill().listener(p -> rowsDone.add(p.rowsDone())).build().run();

                assertEquals(BackfillProgress.Phase.FINISHED, done.phase());
                assertTrue(rowsDone.get(0) >= killedAt, "resumed at " + rowsDone.get(0) + " rows, not from the start;"
                        + " killed at " + killedAt);
                assertEquals(ROWS, done.rowsDone(), "every row counted once across both processes");
                assertEquals(rows(sourceDb), rows(targetDb));
                assertEquals(ROWS, registry.get("cutover.backfill.rows.done").tag("migration", MIGRATION).gauge().value());
                assertEquals(0, registry.get("cutover.backfill.running").gauge().value());
            }
        }
    }

    /** @return the rows the child had reported copied when it was killed */
    private static long runChildAndKill(TestDatabase source, TestDatabase target) throws Exception {
        Process process = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-cp", System.getProperty("java.class.path"), BackfillResumeTest.class.getName(),
                source.jdbcUrl(), target.jdbcUrl())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        AtomicLong reported = new AtomicLong();
        CountDownLatch midway = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("rows ")) {
                        reported.set(Long.parseLong(line.substring(5)));
                        if (reported.get() >= 1_000) {
                            midway.countDown();
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // The kill ends the output.
            }
        }, "killed-backfill-log");
        reader.start();
        try {
            assertTrue(midway.await(60, TimeUnit.SECONDS), "the child's backfill did not get going");
        } finally {
            // Through the handle, which leaves the output to be read to its end (see KilledWriters).
            process.toHandle().destroyForcibly();
        }
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        reader.join(30_000);
        assertFalse(reader.isAlive());
        return reported.get();
    }

    /**
     * The killed process: the same runtime and migration over its own pools, backfilling slowly and
     * printing the rows done after each chunk, until killed.
     *
     * @param args the source's and the target's JDBC URLs
     */
    public static void main(String[] args) throws Exception {
        try (HikariDataSource source = pool(args[0]); HikariDataSource target = pool(args[1]);
                Cutover cutover = Cutover.builder(source, target).startQueueWorkers(false).build()) {
            Migration migration = cutover.migration(MIGRATION, ORDERS);
            migration.backfill()
                    .config(BackfillConfig.custom().chunkSize(100, 100, 100).rowsPerSecond(2_000).build())
                    .listener(p -> {
                        System.out.println("rows " + p.rowsDone());
                        System.out.flush();
                    })
                    .build().run();
            System.out.println("finished");
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }

    private static void insertOrders(TestDatabase db) throws Exception {
        try (Connection c = db.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO orders VALUES (?, ?, ?, ?)")) {
            for (int id = 1; id <= ROWS; id++) {
                insert.setLong(1, id * 2L - 1);
                insert.setString(2, "customer " + id % 97);
                insert.setLong(3, id * 13L);
                insert.setString(4, id % 3 == 0 ? null : "note " + id);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static long count(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<List<Object>> rows(TestDatabase db) throws Exception {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(ALL)) {
            while (rs.next()) {
                rows.add(List.of(rs.getLong(1), rs.getString(2), rs.getLong(3), String.valueOf(rs.getString(4))));
            }
        }
        return rows;
    }
}
