package dev.cutover.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The two queries a primary move's handover asks of the store: count a direction's entries, make them due now. */
class HandoverQueriesTest {

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void countEntriesAndMakeDue_coverOneMigrationAndOperationWhateverTheirStatus(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "rqhand")) {
            JdbcRetryStore jdbc = RetryStore.jdbc(db.dataSource(2), "rq_");
            jdbc.createTables();
            for (OwnRetryStore store : List.of((OwnRetryStore) jdbc, (OwnRetryStore) RetryStore.inMemory())) {
                Instant now = Instant.parse("2026-12-03T10:00:00Z");
                Instant later = now.plus(Duration.ofMinutes(5));
                store.enqueue(entry("m", "b", "resync"), later);
                store.park(store.claim("w", later, 10, Duration.ofMinutes(1)).entries().get(0), "test");
                store.enqueue(entry("m", "a", "resync"), later);
                store.enqueue(entry("m", "c", "resync-to-source"), later);
                store.enqueue(entry("other", "d", "resync"), later);

                assertEquals(2, store.countEntries("m", "resync"), "pending and parked both count");
                assertEquals(1, store.countEntries("m", "resync-to-source"));
                assertEquals(0, store.countEntries("none", "resync"));

                assertEquals(0, store.claim("w2", now, 10, Duration.ofMinutes(1)).entries().size(), "not due yet");
                assertEquals(1, store.makeDue("m", "resync", now), "only the pending entry of m and resync");
                List<RetryEntry> due = store.claim("w2", now, 10, Duration.ofMinutes(1)).entries();
                assertEquals(List.of("a"), due.stream().map(RetryEntry::key).toList());
            }
        }
    }

    private static NewRetryEntry entry(String migration, String key, String operation) {
        return new NewRetryEntry(migration, "e", key, ReplayMode.REPLAY, operation, NullNode.getInstance());
    }
}
