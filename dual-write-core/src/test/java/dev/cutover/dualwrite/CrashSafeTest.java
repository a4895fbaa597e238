package dev.cutover.dualwrite;

import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
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

    @Test
    void crashSafeWriter_killedAtRandomPoints_leavesNothingTheQueueCannotRepair() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "crashsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "crashtgt")) {
            JdbcLedger.createTables(source, target);
            JdbcRetryStore store = RetryStore.jdbc(source.dataSource(4), QUEUE_PREFIX);
            store.createTables();
            RowCopier resync = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(JdbcLedger.mapping()).build();
            String sourceRows = "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id";
            String targetRows = "SELECT " + LedgerFixture.TARGET_COLUMNS + " FROM accounts ORDER BY account_id";
            KilledWriters.killRepeatedly(CrashingLedgerWriter.class, source, target, store, resync, sourceRows,
                    targetRows, 7);
        }
    }
}
