package dev.cutover.dualwrite;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import java.util.Random;
import javax.sql.DataSource;

/**
 * The child process of {@link OutboxCrashTest}: a plain JDBC ledger over a {@link CutoverDataSource}
 * in transactional-outbox mode, writing until it is killed. It prints {@code writing} once its first write is done. Its queue does not drain, so
 * every copy it could not make is left to the parent.
 */
public final class CrashingJdbcWriter {
    private CrashingJdbcWriter() {
    }

    /**
     * Writes forever.
     *
     * @param args source JDBC URL, target JDBC URL, random seed
     */
    public static void main(String[] args) throws Exception {
        DataSource source = KilledWriters.pool(args[0]);
        DataSource target = KilledWriters.pool(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        JdbcRetryStore store = RetryStore.jdbc(source, CrashSafeTest.QUEUE_PREFIX);
        RowCopier resync = RowCopier.builder(source, target).mapping(JdbcLedger.sameSchemaMapping()).build();
        MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(LedgerFixture.MIGRATION).build();
        flags.forceMoveTo(LedgerFixture.MIGRATION, Stage.DUAL_WRITE, "crash test", "dual writes");
        RetryQueue queue = RetryQueue.create(store, CopyReplayHandler.of(LedgerFixture.MIGRATION, resync),
                RetryQueueConfig.ofDefaults());
        Ledger ledger = JdbcLedger.source(DualWrite.dataSource(source, target)
                .migration(LedgerFixture.MIGRATION).flags(flags)
                .router(ReadRouter.builder(flags, LedgerFixture.MIGRATION).build())
                .retryQueue(queue).rowCopier(resync)
                .crashSafe(store, CrashSafeTest.INTENT_DELAY)
                .build());
        KilledWriters.writeUntilKilled(ledger, random);
    }
}
