package dev.cutover.queue;

import dev.cutover.queue.micrometer.RetryQueueMetrics;
import static dev.cutover.queue.TestEntries.ENTITY;
import static dev.cutover.queue.TestEntries.MIGRATION;
import static dev.cutover.queue.TestEntries.fastConfig;
import static dev.cutover.queue.TestEntries.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rows of the retry table whose replay mode or status this version cannot read (written by hand,
 * damaged, or by a newer version) affect only their own key: the other keys drain, the rows are
 * parked once with a reason that names the column and the fix and counted in a meter, the entries
 * behind them wait, {@code drain()} says at once that only an operator can go on, and requeue or
 * discard lets their keys drain.
 */
class UnreadableEntryTest {

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void unreadableModeAndStatus_areParkedOnce_blockOnlyTheirKeys_andOperatorsCanRequeueOrDiscardThem(Engine engine)
            throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rqunreadable")) {
            JdbcRetryStore store = TestEntries.jdbcStore(db, 4);
            MeterRegistry registry = new SimpleMeterRegistry();
            RecordingHandler handler = new RecordingHandler();
            RetryQueue queue = RetryQueue.create(store, handler, fastConfig("unreadable").build());
            new RetryQueueMetrics(queue).bindTo(registry);
            // First in the table, so that every claim of the old code met them.
            long badMode = insertRaw(db, store, "bad-mode", "REPLAYX", "PENDING");
            long badStatus = insertRaw(db, store, "bad-status", "REPLAY", "PAUSED");
            long behindBadMode = queue.enqueue(upsert("bad-mode", 1));
            long behindBadStatus = queue.enqueue(upsert("bad-status", 2));
            for (int i = 0; i < 50; i++) {
                queue.enqueue(upsert("k" + (i % 10), i));
            }
            queue.start();
            try {
                Await.until("the other keys drained and both unreadable entries parked",
                        () -> handler.applied() == 50 && queue.parked(10).size() == 2
                                && queue.parked(10).stream().allMatch(e -> e.lastError().startsWith("unreadable")));
                Map<String, RetryEntry> parked = queue.parked(10).stream()
                        .collect(Collectors.toMap(RetryEntry::key, Function.identity()));
                RetryEntry mode = parked.get("bad-mode");
                assertEquals(badMode, mode.id());
                assertEquals(ReplayMode.UNKNOWN, mode.mode());
                assertEquals(EntryStatus.PARKED, mode.status());
                assertTrue(mode.lastError().contains("column replay_mode is 'REPLAYX', not REPLAY or RESYNC"),
                        mode.lastError());
                assertTrue(mode.lastError().contains("Fix: set replay_mode"), mode.lastError());
                RetryEntry status = parked.get("bad-status");
                assertEquals(badStatus, status.id());
                assertTrue(status.lastError().contains("column status is 'PAUSED', not PENDING or PARKED"),
                        status.lastError());
                assertTrue(status.lastError().contains("Fix: requeue it (RetryQueue.requeue(" + badStatus + "))"),
                        status.lastError());
                assertEquals(List.of(), handler.appliedSequences(ENTITY, "bad-mode"), "the entry behind waits");
                assertEquals(List.of(), handler.appliedSequences(ENTITY, "bad-status"), "the entry behind waits");

                // Several more looks for unreadable entries find nothing new: logged and counted once each.
                Thread.sleep(2_500);
                assertEquals(2.0, registry.get("cutover.retry.queue.unreadable").tag("migration", MIGRATION)
                        .counter().count());
                assertEquals(2.0, registry.get("cutover.retry.queue.parked").tag("migration", MIGRATION)
                        .counter().count());

                long started = System.nanoTime();
                assertFalse(queue.drain(Duration.ofSeconds(60)), "the entries behind the parked ones cannot drain");
                assertTrue(System.nanoTime() - started < Duration.ofSeconds(30).toNanos(),
                        "drain() says so without waiting out its timeout");

                assertTrue(queue.discard(badMode));
                assertTrue(queue.requeue(badStatus), "a row whose status cannot be read counts as parked");
                assertTrue(queue.drain(Duration.ofSeconds(30)));
            } finally {
                queue.stop();
            }
            assertEquals(List.of(behindBadMode), handler.appliedSequences(ENTITY, "bad-mode"));
            assertEquals(List.of(badStatus, behindBadStatus), handler.appliedSequences(ENTITY, "bad-status"));
            assertTrue(queue.parked(10).isEmpty());
        }
    }

    /** Inserts a row as something other than this library would, and returns its id. */
    private static long insertRaw(TestDatabase db, JdbcRetryStore store, String key, String mode, String status) {
        db.execute("INSERT INTO " + store.tableName() + " (migration, entity, routing_key, replay_mode, operation,"
                + " payload, status, attempts, next_attempt_at, created_at) VALUES ('" + MIGRATION + "', '" + ENTITY
                + "', '" + key + "', '" + mode + "', 'upsert', '{\"id\": \"" + key + "\", \"value\": 0}', '" + status
                + "', 0, 0, 0)");
        try (Connection connection = db.connect();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT MAX(id) FROM " + store.tableName())) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
