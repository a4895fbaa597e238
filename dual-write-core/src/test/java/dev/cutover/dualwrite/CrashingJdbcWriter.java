package dev.cutover.dualwrite;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import java.sql.SQLException;
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
        DataSource source = pool(args[0]);
        DataSource target = pool(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        JdbcRetryStore store = RetryStore.jdbc(source, CrashSafeTest.QUEUE_PREFIX);
        KeyResync resync = KeyResync.builder(source, target).mapping(JdbcLedger.sameSchemaMapping()).build();
        MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build();
        flags.forceMoveTo(LedgerFixture.MIGRATION, Stage.DUAL_WRITE, "crash test", "dual writes");
        RetryQueue queue = RetryQueue.create(store, ResyncReplayHandler.of(LedgerFixture.MIGRATION, resync),
                RetryQueueConfig.ofDefaults());
        Ledger ledger = JdbcLedger.source(Cutover.dataSource(source, target)
                .migration(LedgerFixture.MIGRATION).flags(flags)
                .router(ReadRouter.builder(flags, LedgerFixture.MIGRATION).build())
                .retryQueue(queue).resync(resync)
                .transactionalOutbox(store, CrashSafeTest.INTENT_DELAY)
                .build());
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

    private static DataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }
}
