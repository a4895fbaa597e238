package dev.cutover.dualwrite;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;

/**
 * The child process of {@link CrashSafeTest}: a crash-safe ledger application that writes until it
 * is killed. It prints {@code writing} once its first write is done. Its queue does not drain, so
 * every copy it could not make is left to the parent.
 */
public final class CrashingLedgerWriter {
    private CrashingLedgerWriter() {
    }

    /**
     * Writes forever.
     *
     * @param args source JDBC URL, target JDBC URL, random seed
     */
    public static void main(String[] args) throws Exception {
        writeUntilKilled(args, MirrorMode.SYNC);
    }

    /** The writer of {@link #main}, with its row copier in the given mode. */
    static void writeUntilKilled(String[] args, MirrorMode mode) throws Exception {
        DataSource source = KilledWriters.pool(args[0]);
        DataSource target = KilledWriters.pool(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        JdbcRetryStore store = RetryStore.jdbc(source, CrashSafeTest.QUEUE_PREFIX);
        RowCopier resync = RowCopier.builder(source, target).mapping(JdbcLedger.mapping()).mirrorMode(mode).build();
        MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(LedgerFixture.MIGRATION).build();
        flags.forceMoveTo(LedgerFixture.MIGRATION, Stage.DUAL_WRITE, "crash test", "dual writes");
        RetryQueue queue = RetryQueue.create(store, CopyReplayHandler.of(LedgerFixture.MIGRATION, resync),
                RetryQueueConfig.ofDefaults());
        Ledger ledger = DualWrite.repository(Ledger.class)
                .source(JdbcLedger.source(source)).target(JdbcLedger.target(target))
                .migration(LedgerFixture.MIGRATION).flags(flags)
                .router(ReadRouter.builder(flags, LedgerFixture.MIGRATION).build())
                .retryQueue(queue).rowCopier(resync, "accounts")
                .routingKey("transfer", a -> List.of(a[0], a[1]))
                .crashSafe(store, CrashSafeTest.INTENT_DELAY)
                .build();
        KilledWriters.writeUntilKilled(ledger, random);
    }
}
