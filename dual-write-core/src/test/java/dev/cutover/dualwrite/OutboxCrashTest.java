package dev.cutover.dualwrite;

import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import org.junit.jupiter.api.Test;

/**
 * Kills a plain JDBC writer on a {@link CutoverDataSource} in transactional-outbox mode with SIGKILL
 * at random points, ten times; after each kill the durable queue, drained by this JVM, must bring the
 * target to the source, and both must hold what the writers' acknowledged writes left, although kills
 * often fall between a source commit and its copy: the retry entry committed with the source write.
 * (The same writer without the outbox fails this test at the first kill.)
 */
class OutboxCrashTest {

    @Test
    void outboxWriter_killedAtRandomPoints_leavesNothingTheQueueCannotRepair() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "outboxsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "outboxtgt")) {
            JdbcLedger.createSameTables(source, target);
            JdbcRetryStore store = RetryStore.jdbc(source.dataSource(4), CrashSafeTest.QUEUE_PREFIX);
            store.createTables();
            RowCopier resync = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(JdbcLedger.sameSchemaMapping()).build();
            String rows = "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id";
            KilledWriters.killRepeatedly(CrashingJdbcWriter.class, source, target, store, resync, rows, rows, 11);
        }
    }
}
