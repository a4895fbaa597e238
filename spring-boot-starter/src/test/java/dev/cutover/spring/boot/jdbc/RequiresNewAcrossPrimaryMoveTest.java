package dev.cutover.spring.boot.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.UserTestSupport;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A {@code @Transactional} method that writes a migrated table and then calls a REQUIRES_NEW method
 * writing one too (audit logging), in flight while the primary moves. The outer transaction holds
 * its write of the old primary on one connection; the inner one, on a second connection of the same
 * thread, would wait for the handover, and the handover waits for the outer transaction: every
 * write of the migration, on every thread, stalled for maxHandoverWait (30 s) before the inner one
 * failed. The inner write must fail at once, before it writes, so that the outer one rolls back and
 * the handover goes on.
 */
class RequiresNewAcrossPrimaryMoveTest {

    @Test
    void aRequiresNewWriteInsideATransactionOfTheOldPrimary_failsAtOnce_andTheHandoverGoesOn() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "reqnewsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "reqnewtgt")) {
            source.execute(UserTestSupport.split(NewUserJdbcTemplateTest.schema(Engine.POSTGRESQL)));
            target.execute(UserTestSupport.split(NewUserJdbcTemplateTest.schema(Engine.POSTGRESQL)));
            UserTestSupport.createCutoverTables(source);
            try (ConfigurableApplicationContext context = new SpringApplicationBuilder(LedgerApp.class)
                    .web(WebApplicationType.NONE)
                    .properties("cutover.source.url=" + source.jdbcUrl(), "cutover.target.url=" + target.jdbcUrl())
                    .run()) {
                JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
                TransactionTemplate transactions = context.getBean(TransactionTemplate.class);
                AuditLog audit = context.getBean(AuditLog.class);
                Migration migration = context.getBean(Cutover.class).migration(LedgerApp.MIGRATION);
                jdbc.update("INSERT INTO accounts (id, owner, balance) VALUES (1, 'a', 0), (2, 'b', 0)");
                migration.moveTo(Stage.DUAL_WRITE, "test", "mirror");
                migration.backfill().build().run();
                migration.moveTo(Stage.SHIFT_READS, "test", "reads");

                CountDownLatch wrote = new CountDownLatch(1);
                CountDownLatch moved = new CountDownLatch(1);
                AtomicLong innerNanos = new AtomicLong();
                CompletableFuture<Throwable> outer = CompletableFuture.supplyAsync(() -> {
                    try {
                        transactions.executeWithoutResult(status -> {
                            jdbc.update("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
                            wrote.countDown();
                            await(moved);
                            long started = System.nanoTime();
                            try {
                                audit.record(1, 1, "inner");
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
                migration.moveTo(Stage.TARGET_PRIMARY, "test", "move the primary");
                moved.countDown();

                Throwable failure = outer.get(60, TimeUnit.SECONDS);
                assertThat(Duration.ofNanos(innerNanos.get())).as("the inner write's wait").isLessThan(Duration.ofSeconds(3));
                assertThat(failure).as("the transaction spanning the move").isNotNull();
                SQLException cause = sqlException(failure);
                assertThat((Object) cause).as("cause of " + failure).isNotNull();
                assertThat(cause.getSQLState()).isEqualTo("40001");
                assertThat(cause.getMessage()).contains("REQUIRES_NEW").contains("Fix:");

                // The handover was not held up: another write lands on the new primary within its pause.
                long started = System.nanoTime();
                jdbc.update("UPDATE accounts SET balance = balance + 10 WHERE id = 2");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
                assertThat(queryLong(target, "SELECT balance FROM accounts WHERE id = 2")).isEqualTo(10);
                // Nothing of the rolled-back transaction on either side, not even its audit event.
                for (TestDatabase side : new TestDatabase[] {source, target}) {
                    assertThat(queryLong(side, "SELECT balance FROM accounts WHERE id = 1")).isEqualTo(0);
                    assertThat(queryLong(side, "SELECT COUNT(*) FROM events")).isEqualTo(0);
                }
            }
        }
    }

    private static long queryLong(TestDatabase db, String sql) throws SQLException {
        try (java.sql.Connection c = db.connect(); java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static SQLException sqlException(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not moved");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
