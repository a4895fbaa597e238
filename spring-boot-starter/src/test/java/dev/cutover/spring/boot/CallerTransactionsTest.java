package dev.cutover.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.Read;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.Write;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The repository style inside Spring transactions, on PostgreSQL, as the starter wires it: a DAO on
 * {@code JdbcTemplate} takes part in a {@code DataSourceTransactionManager}'s transaction on the
 * source; its writes are copied once the transaction commits, not inside the call (where the copy
 * would wait on the transaction's own row lock and end up queued); a rollback copies nothing; a copy
 * that fails after the commit is queued and replayed.
 */
class CallerTransactionsTest {
    private static final String DDL = "CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)";
    private static final TableMapping ACCOUNTS = TableMapping.builder("accounts").key("id", Long.class)
            .columns("balance").build();

    private TestDatabase sourceDb;
    private TestDatabase targetDb;

    /** The application's DAO, as a repository interface. */
    public interface AccountDao {
        @Write
        void insert(@RoutingKey long id, long balance);

        @Write
        int add(@RoutingKey long id, long amount);

        @Read
        Long balance(@RoutingKey long id);
    }

    /** The DAO on one side, through JdbcTemplate, which joins the Spring transaction of its DataSource. */
    private record JdbcAccountDao(JdbcTemplate jdbc) implements AccountDao {
        @Override
        public void insert(long id, long balance) {
            jdbc.update("INSERT INTO accounts (id, balance) VALUES (?, ?)", id, balance);
        }

        @Override
        public int add(long id, long amount) {
            return jdbc.update("UPDATE accounts SET balance = balance + ? WHERE id = ?", amount, id);
        }

        @Override
        public Long balance(long id) {
            List<Long> found = jdbc.queryForList("SELECT balance FROM accounts WHERE id = ?", Long.class, id);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    @BeforeEach
    void databases() {
        sourceDb = TestDatabases.create(Engine.POSTGRESQL, "txsrc");
        targetDb = TestDatabases.create(Engine.POSTGRESQL, "txtgt");
        sourceDb.execute(DDL);
        targetDb.execute(DDL);
    }

    @AfterEach
    void dropDatabases() {
        sourceDb.close();
        targetDb.close();
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CutoverAutoConfiguration.class))
                .withPropertyValues("cutover.source.url=" + sourceDb.jdbcUrl(), "cutover.target.url=" + targetDb.jdbcUrl(),
                        "cutover.create-tables=true", "cutover.retry-queue.poll-interval=20ms",
                        "cutover.retry-queue.initial-backoff=100ms", "cutover.flags.refresh-interval=50ms")
                .withBean(CutoverMappings.class, () -> migrations -> migrations.migration("accounts", ACCOUNTS));
    }

    @Test
    void writesInsideATransactionAreCopiedAfterItCommitsAndARollbackCopiesNothing() {
        runner().run(context -> {
            Cutover cutover = context.getBean(Cutover.class);
            Migration accounts = cutover.migration("accounts");
            DataSource sourcePool = context.getBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE, DataSource.class);
            DataSource targetPool = context.getBean(CutoverAutoConfiguration.TARGET_DATA_SOURCE, DataSource.class);
            AccountDao dao = accounts.repository(AccountDao.class, new JdbcAccountDao(new JdbcTemplate(sourcePool)),
                    new JdbcAccountDao(new JdbcTemplate(targetPool)));
            TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(sourcePool));
            accounts.moveTo(Stage.DUAL_WRITE, "test", "mirror");

            transaction.executeWithoutResult(status -> {
                dao.insert(1, 10);
                dao.add(1, 5);
                assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts")).as("nothing copied inside the calls")
                        .isZero();
            });
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 1")).as("copied before commit returned")
                    .isEqualTo(15);
            assertThat(accounts.queueDepth().pending()).as("copied directly, not queued after a lock wait").isZero();

            transaction.executeWithoutResult(status -> {
                dao.insert(2, 20);
                dao.add(1, 1000);
                status.setRollbackOnly();
            });
            Await.until("the queue drains", () -> accounts.queueDepth().pending() == 0);
            assertThat(count(sourceDb, "SELECT COUNT(*) FROM accounts WHERE id = 2")).isZero();
            assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts WHERE id = 2")).as("a rollback copies nothing")
                    .isZero();
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 1")).isEqualTo(15);

            // Reads go to the target, except a key the open transaction wrote: only the source sees it yet.
            accounts.moveTo(Stage.SHIFT_READS, "test", "reads");
            accounts.setTargetReadPercent(100, "test", "all reads");
            targetDb.execute("UPDATE accounts SET balance = -1 WHERE id = 1"); // tells which side answered
            assertThat(dao.balance(1)).as("routed to the target").isEqualTo(-1);
            Long[] readInside = new Long[1];
            transaction.executeWithoutResult(status -> {
                dao.add(1, 1);
                readInside[0] = dao.balance(1);
            });
            assertThat(readInside[0]).as("the transaction reads its own write").isEqualTo(16);
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 1")).isEqualTo(16);
            assertThat(dao.balance(1)).isEqualTo(16);

            // A REQUIRES_NEW transaction inside another has writes of its own, copied when it commits.
            TransactionTemplate inner = new TransactionTemplate(transaction.getTransactionManager());
            inner.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
            transaction.executeWithoutResult(status -> {
                dao.insert(4, 40);
                inner.executeWithoutResult(innerStatus -> dao.insert(5, 50));
                assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 5")).as("the inner one committed")
                        .isEqualTo(50);
                assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts WHERE id = 4")).as("the outer one is open")
                        .isZero();
                dao.add(4, 1);
            });
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 4")).isEqualTo(41);

            // Spring skips the afterCommit callbacks after one that fails; the copy is then made at completion.
            assertThatThrownBy(() -> transaction.executeWithoutResult(status -> {
                dao.insert(3, 30);
                TransactionSynchronizationManager.registerSynchronization(new FailingAfterCommit());
            })).hasMessageContaining("an earlier callback failed");
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 3")).isEqualTo(30);
            assertThat(accounts.queueDepth().pending()).isZero();
        });
    }

    /** A copy after the commit that fails (the target's row locked) is queued, and replayed once it can be. */
    @Test
    void aCopyThatFailsAfterTheCommitIsQueuedAndReplayed() throws Exception {
        sourceDb.execute("INSERT INTO accounts (id, balance) VALUES (1, 10)");
        targetDb.execute("INSERT INTO accounts (id, balance) VALUES (1, 10)");
        // A copy that waits on the target's lock gives up after 1 s and is queued.
        runner().withPropertyValues("cutover.row-copier.statement-timeout=1s").run(context -> {
            Migration accounts = context.getBean(Cutover.class).migration("accounts");
            DataSource sourcePool = context.getBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE, DataSource.class);
            DataSource targetPool = context.getBean(CutoverAutoConfiguration.TARGET_DATA_SOURCE, DataSource.class);
            AccountDao dao = accounts.repository(AccountDao.class, new JdbcAccountDao(new JdbcTemplate(sourcePool)),
                    new JdbcAccountDao(new JdbcTemplate(targetPool)));
            TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(sourcePool));
            accounts.moveTo(Stage.DUAL_WRITE, "test", "mirror");
            try (Connection blocker = targetDb.connect(); Statement statement = blocker.createStatement()) {
                blocker.setAutoCommit(false);
                statement.executeQuery("SELECT balance FROM accounts WHERE id = 1 FOR UPDATE").close();
                transaction.executeWithoutResult(status -> dao.add(1, 5));
                assertThat(count(sourceDb, "SELECT balance FROM accounts WHERE id = 1")).isEqualTo(15);
                assertThat(accounts.queueDepth().pending() + accounts.queueDepth().parked())
                        .as("the failed copy is in the retry table").isEqualTo(1);
                blocker.rollback();
            }
            Await.until("the queue replays the copy",
                    () -> count(targetDb, "SELECT balance FROM accounts WHERE id = 1") == 15);
            Await.until("the queue drains", () -> accounts.queueDepth().pending() == 0);
        });
    }

    /** A callback of the application's, ordered before Cutover's, that fails after the commit. */
    /**
     * A transaction that wrote through the repository calls a REQUIRES_NEW method that writes through
     * it too (audit logging), in flight while the primary moves. The outer transaction holds its write
     * of the old primary; the inner one would wait for the handover, which waits for the outer one:
     * every write of the migration stalled for the maximum handover wait (30 s) before the inner one
     * failed. It must fail at once, before it writes, so that the outer one rolls back and the
     * handover goes on.
     */
    @Test
    void aRequiresNewWriteInsideATransactionOfTheOldPrimary_failsAtOnce_andTheHandoverGoesOn() {
        runner().run(context -> {
            Migration accounts = context.getBean(Cutover.class).migration("accounts");
            DataSource sourcePool = context.getBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE, DataSource.class);
            DataSource targetPool = context.getBean(CutoverAutoConfiguration.TARGET_DATA_SOURCE, DataSource.class);
            AccountDao dao = accounts.repository(AccountDao.class, new JdbcAccountDao(new JdbcTemplate(sourcePool)),
                    new JdbcAccountDao(new JdbcTemplate(targetPool)));
            DataSourceTransactionManager manager = new DataSourceTransactionManager(sourcePool);
            TransactionTemplate transaction = new TransactionTemplate(manager);
            TransactionTemplate requiresNew = new TransactionTemplate(manager);
            requiresNew.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
            accounts.moveTo(Stage.DUAL_WRITE, "test", "mirror");
            dao.insert(1, 0);
            dao.insert(2, 0);
            accounts.moveTo(Stage.SHIFT_READS, "test", "reads");

            CountDownLatch wrote = new CountDownLatch(1);
            CountDownLatch moved = new CountDownLatch(1);
            AtomicLong innerNanos = new AtomicLong();
            CompletableFuture<Throwable> outer = CompletableFuture.supplyAsync(() -> {
                try {
                    transaction.executeWithoutResult(status -> {
                        dao.add(1, 1);
                        wrote.countDown();
                        Await.until("the primary is moved", () -> moved.getCount() == 0);
                        long started = System.nanoTime();
                        try {
                            requiresNew.executeWithoutResult(inner -> dao.add(2, 1));
                        } finally {
                            innerNanos.set(System.nanoTime() - started);
                        }
                    });
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            assertThat(wrote.await(10, TimeUnit.SECONDS)).isTrue();
            accounts.moveTo(Stage.TARGET_PRIMARY, "test", "move the primary");
            moved.countDown();

            Throwable failure = outer.get(60, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(innerNanos.get())).as("the inner write's wait").isLessThan(Duration.ofSeconds(3));
            assertThat(failure).as("the transaction spanning the move").isInstanceOf(HandoverException.class)
                    .hasMessageContaining("REQUIRES_NEW").hasMessageContaining("Fix:");

            // The handover was not held up: the next write lands on the new primary, and is copied back.
            dao.add(2, 10);
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 2")).isEqualTo(10);
            for (TestDatabase side : new TestDatabase[] {sourceDb, targetDb}) {
                Await.until("the write is on both sides", () -> count(side, "SELECT balance FROM accounts WHERE id = 2") == 10);
                assertThat(count(side, "SELECT balance FROM accounts WHERE id = 1")).as("the rolled-back write").isZero();
            }
        });
    }

    private static final class FailingAfterCommit implements TransactionSynchronization {
        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }

        @Override
        public void afterCommit() {
            throw new IllegalStateException("an earlier callback failed");
        }
    }

    private static long count(TestDatabase db, String sql) {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
