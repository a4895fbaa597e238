package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.testsupport.TestDatabase;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The crash tests' loop: a writer runs in a child JVM (its {@code main} takes the source URL, the
 * target URL and a seed, prints {@code writing} once it has started) and is killed with SIGKILL at a
 * random point; the durable queue, drained by this JVM, must then bring the target to the source.
 */
final class KilledWriters {
    private static final int KILLS = 10;

    private KilledWriters() {
    }

    static void killRepeatedly(Class<?> writer, TestDatabase source, TestDatabase target, JdbcRetryStore store,
            KeyResync resync, String sourceRows, String targetRows, long seed) throws Exception {
        Random random = new Random(seed);
        try (RetryQueue queue = RetryQueue.create(store, ResyncReplayHandler.of(LedgerFixture.MIGRATION, resync),
                RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).build())) {
            queue.start();
            for (int kill = 1; kill <= KILLS; kill++) {
                Process process = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                        "-cp", System.getProperty("java.class.path"), writer.getName(),
                        source.jdbcUrl(), target.jdbcUrl(), String.valueOf(random.nextLong()))
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    assertEquals("writing", out.readLine(), "the writer did not start");
                    Thread.sleep(50 + random.nextInt(400));
                    process.destroyForcibly();
                    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the writer did not die");
                }
                assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(List.of(), queue.parked(10));
                assertEquals(KeyResyncTest.rows(source, sourceRows), KeyResyncTest.rows(target, targetRows),
                        "target must equal source after kill " + kill);
            }
        }
        assertFalse(KeyResyncTest.rows(source, sourceRows).isEmpty(), "the writers wrote");
    }

    /**
     * The killed writers' workload, run until the process is killed: random opens, closes, transfers
     * and deposits on a few accounts; prints {@code writing} after the first.
     */
    static void writeUntilKilled(Ledger ledger, Random random) {
        boolean announced = false;
        while (true) {
            long id = 1 + random.nextInt(CrashSafeTest.ACCOUNTS);
            try {
                switch (random.nextInt(4)) {
                    case 0 -> ledger.open(id, "owner" + random.nextInt(10));
                    case 1 -> ledger.close(id);
                    case 2 -> ledger.transfer(id, 1 + random.nextInt(CrashSafeTest.ACCOUNTS), random.nextInt(50));
                    default -> ledger.deposit(id, random.nextInt(100));
                }
            } catch (SQLException e) {
                // Duplicate opens and writes to closed accounts fail on the source; the workload goes on.
            }
            if (!announced) {
                System.out.println("writing");
                System.out.flush();
                announced = true;
            }
        }
    }

    /** @return a small pool for a killed writer */
    static DataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }
}
