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
 * Kills a plain JDBC writer on a {@link CutoverDataSource} in transactional-outbox mode with SIGKILL
 * at random points, ten times; after each kill the durable queue, drained by this JVM, must bring the
 * target to the source, although kills often fall between a source commit and its copy: the retry
 * entry committed with the source write. (The same writer without the outbox fails this test at the
 * first kill.)
 */
class OutboxCrashTest {
    private static final int KILLS = 10;

    @Test
    void outboxWriter_killedAtRandomPoints_leavesNothingTheQueueCannotRepair() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "outboxsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "outboxtgt")) {
            JdbcLedger.createSameTables(source, target);
            JdbcRetryStore store = RetryStore.jdbc(source.dataSource(4), CrashSafeTest.QUEUE_PREFIX);
            store.createTables();
            KeyResync resync = KeyResync.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(JdbcLedger.sameSchemaMapping()).build();
            String rows = "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id";
            Random random = new Random(11);
            try (RetryQueue queue = RetryQueue.create(store, ResyncReplayHandler.of(LedgerFixture.MIGRATION, resync),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).build())) {
                queue.start();
                for (int kill = 1; kill <= KILLS; kill++) {
                    Process writer = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                            "-cp", System.getProperty("java.class.path"), CrashingJdbcWriter.class.getName(),
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
                    assertEquals(KeyResyncTest.rows(source, rows), KeyResyncTest.rows(target, rows),
                            "target must equal source after kill " + kill);
                }
            }
            assertTrue(!KeyResyncTest.rows(source, rows).isEmpty(), "the writers wrote");
        }
    }
}
