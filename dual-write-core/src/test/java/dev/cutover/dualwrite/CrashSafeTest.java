package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Kills a crash-safe writer with SIGKILL at random points, ten times; after each kill the durable
 * queue, drained by this JVM, must bring the target to the source, although kills often fall between
 * a source commit and its mirror copy (without crash safety this test fails).
 */
class CrashSafeTest {
    static final String QUEUE_PREFIX = "cutover_";
    static final Duration INTENT_DELAY = Duration.ofMillis(500);
    static final int ACCOUNTS = 8;
    private static final int KILLS = 10;

    @Test
    void crashSafeWriter_killedAtRandomPoints_leavesNothingTheQueueCannotRepair() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "crashsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "crashtgt")) {
            JdbcLedger.createTables(source, target);
            JdbcRetryStore store = RetryStore.jdbc(source.dataSource(4), QUEUE_PREFIX);
            store.createTables();
            KeyResync resync = KeyResync.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(JdbcLedger.mapping()).build();
            String sourceRows = "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id";
            String targetRows = "SELECT " + LedgerFixture.TARGET_COLUMNS + " FROM accounts ORDER BY account_id";
            Random random = new Random(7);
            try (RetryQueue queue = RetryQueue.create(store, ResyncReplayHandler.of(LedgerFixture.MIGRATION, resync),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).build())) {
                queue.start();
                for (int kill = 1; kill <= KILLS; kill++) {
                    Process writer = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                            "-cp", System.getProperty("java.class.path"), CrashingLedgerWriter.class.getName(),
                            source.jdbcUrl(), target.jdbcUrl(), String.valueOf(random.nextLong()))
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
                    try (BufferedReader out = new BufferedReader(
                            new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
                        assertEquals("writing", out.readLine(), "the writer did not start");
                        Thread.sleep(50 + random.nextInt(400));
                        writer.destroyForcibly();
                        assertTrue(writer.waitFor(30, TimeUnit.SECONDS), "the writer did not die");
                    }
                    assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                    assertEquals(List.of(), queue.parked(10));
                    assertEquals(KeyResyncTest.rows(source, sourceRows), KeyResyncTest.rows(target, targetRows),
                            "target must equal source after kill " + kill);
                }
            }
            assertTrue(!KeyResyncTest.rows(source, sourceRows).isEmpty(), "the writers wrote");
        }
    }
}
