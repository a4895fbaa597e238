package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A read-write transaction that locks a row with {@code SELECT ... FOR UPDATE} (Spring Data JDBC's
 * {@code @Lock(PESSIMISTIC_WRITE)}, JPA's {@code PESSIMISTIC_WRITE}) and then updates it, while another
 * transaction of the old primary waits for that row lock and the primary moves. Found by
 * SpringDataJdbcUserTest: the locking read took no write permit, so the handover waited for the other
 * transaction, which waited for the row lock, whose holder's update waited for the handover; every write
 * of the migration stalled for {@code maxHandoverWait} (30 s by default) until the locking transaction
 * failed with a HandoverException.
 */
class LockingReadAcrossPrimaryMoveTest {
    private static final String ACTOR = "locking-read-test";

    @Test
    void lockingReadThenUpdateIsNotStuckBehindTheHandover() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "lockreadsrc");
                TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "lockreadtgt")) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, qty INT NOT NULL)",
                        "INSERT INTO items (id, qty) VALUES (1, 0), (2, 0)");
            }
            // A short handover wait, so that the stall, if any, fails this test within seconds.
            try (Cutover cutover = Cutover.builder(sourceDb.defaultPool(10), targetDb.defaultPool(10))
                    .flags(f -> f.maxHandoverWait(Duration.ofSeconds(3))).build()) {
                Migration migration = cutover.migration("items", TableMapping.builder("items").key("id", Long.class)
                        .columns("qty").build());
                DataSource app = migration.dataSource();
                migration.moveTo(Stage.DUAL_WRITE, ACTOR, "t");
                migration.moveTo(Stage.SHIFT_READS, ACTOR, "t");
                migration.moveTo(Stage.TARGET_PRIMARY, ACTOR, "t");

                try (Connection locker = app.getConnection()) {
                    locker.setAutoCommit(false);
                    // The locker holds row 1's lock on the target, the primary, and has written nothing yet.
                    try (Statement s = locker.createStatement();
                            ResultSet rs = s.executeQuery("SELECT id, qty FROM items WHERE id = 1 FOR UPDATE")) {
                        assertTrue(rs.next());
                    }
                    // The waiter, on a thread of its own, writes row 2 (it holds the old primary's write
                    // permit), then waits for row 1.
                    CountDownLatch waiting = new CountDownLatch(1);
                    CompletableFuture<Void> waiterDone = CompletableFuture.runAsync(() -> {
                        try (Connection waiter = app.getConnection()) {
                            waiter.setAutoCommit(false);
                            update(waiter, 2);
                            waiting.countDown();
                            update(waiter, 1);
                            waiter.commit();
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    waiting.await();
                    Thread.sleep(200);
                    // The primary moves back to the source: its handover waits for the waiter's transaction.
                    CompletableFuture<Void> moved = CompletableFuture.runAsync(
                            () -> migration.moveTo(Stage.SHIFT_READS, ACTOR, "back"));
                    Thread.sleep(300);
                    // The locker updates the row it locked and commits: it must neither wait for the
                    // handover that waits for it, nor be refused.
                    List<Throwable> lockerFailure = new ArrayList<>();
                    try {
                        update(locker, 1);
                        locker.commit();
                    } catch (SQLException e) {
                        lockerFailure.add(e);
                        locker.rollback();
                    }
                    Throwable waiterFailure = waiterDone.handle((ok, e) -> e).get(60, TimeUnit.SECONDS);
                    moved.get(60, TimeUnit.SECONDS);
                    assertEquals(List.of(), lockerFailure, "the locking transaction's update");
                    assertEquals(null, waiterFailure, "the waiting transaction");
                }
                assertEquals(2, qty(sourceDb, 1), "row 1 on the source");
                assertEquals(2, qty(targetDb, 1), "row 1 on the target");
                assertEquals(1, qty(sourceDb, 2), "row 2 on the source");
                assertEquals(1, qty(targetDb, 2), "row 2 on the target");
            }
        }
    }

    private static void update(Connection c, long id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE items SET qty = qty + 1 WHERE id = ?")) {
            s.setLong(1, id);
            assertEquals(1, s.executeUpdate());
        }
    }

    private static int qty(TestDatabase db, long id) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT qty FROM items WHERE id = " + id)) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }
}
