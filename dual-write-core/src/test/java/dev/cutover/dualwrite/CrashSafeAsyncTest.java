package dev.cutover.dualwrite;

import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import org.junit.jupiter.api.Test;

/**
 * {@link CrashSafeTest} with the writer's row copier in {@link MirrorMode#ASYNC} (issue #15): a kill
 * loses the keys the writer's copier still held in memory, copied or not, and the write-ahead
 * intents, replayed by this JVM's queue, must cover every one of them. After each kill the target
 * must equal the source and both must hold what the acknowledged writes left.
 */
class CrashSafeAsyncTest {

    @Test
    void crashSafeAsyncWriter_killedAtRandomPoints_leavesNothingTheIntentsCannotRepair() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "crashasyncsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "crashasynctgt")) {
            JdbcLedger.createTables(source, target);
            JdbcRetryStore store = RetryStore.jdbc(source.dataSource(4), CrashSafeTest.QUEUE_PREFIX);
            store.createTables();
            RowCopier resync = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(JdbcLedger.mapping()).build();
            String sourceRows = "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id";
            String targetRows = "SELECT " + LedgerFixture.TARGET_COLUMNS + " FROM accounts ORDER BY account_id";
            KilledWriters.killRepeatedly(CrashingAsyncLedgerWriter.class, source, target, store, resync, sourceRows,
                    targetRows, 13);
        }
    }
}
