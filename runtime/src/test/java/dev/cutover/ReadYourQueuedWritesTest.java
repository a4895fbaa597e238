package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.api.Test;

/**
 * Reads shifted to the target, synchronous mirror: a write whose copy failed (the target was cut)
 * waits in the retry-queue, and until its entry is replayed the target lacks it. A read of that key
 * through the repository must still see the write, from the primary, as the README promises of the
 * synchronous mode; once the entry is replayed, the target answers it again.
 */
class ReadYourQueuedWritesTest {
    public interface AccountDao {
        @SqlUpdate("INSERT INTO accounts (id, balance) VALUES (:id, 0)")
        void open(@RoutingKey @Bind("id") long id);

        @SqlUpdate("UPDATE accounts SET balance = balance + :amount WHERE id = :id")
        int deposit(@RoutingKey @Bind("id") long id, @Bind("amount") long amount);

        @SqlQuery("SELECT balance FROM accounts WHERE id = :id")
        Optional<Long> balance(@RoutingKey @Bind("id") long id);
    }

    @Test
    void aKeyWhoseCopyWaitsInTheQueue_isReadFromThePrimary() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "ryqwsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "ryqwtgt");
             TcpForwarder forwarder = TcpForwarder.in(targetDb)) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
            }
            DataSource source = sourceDb.defaultPool(4);
            DataSource target = targetDb.defaultPoolVia(forwarder, 4);
            DataSource targetDirect = targetDb.defaultPool(2);
            // The queue's workers wait, so that the entry stays queued while the key is read.
            try (Cutover cutover = Cutover.builder(source, target).startQueueWorkers(false).build()) {
                Migration accounts = cutover.migration("accounts",
                        TableMapping.builder("accounts").key("id", Long.class).columns("balance").build());
                AccountDao dao = accounts.repository(AccountDao.class, dao(source), dao(target));
                accounts.moveTo(Stage.DUAL_WRITE, "ops", "mirror");
                dao.open(1);
                dao.open(2);
                accounts.moveTo(Stage.SHIFT_READS, "ops", "reads to the target");
                accounts.setTargetReadPercent(100, "ops", "every read");

                forwarder.cut();
                assertEquals(1, dao.deposit(1, 5), "the write succeeds while the source is primary");
                forwarder.restore();
                assertEquals(1L, accounts.queueDepth().pending(), "its copy waits in the retry-queue");
                assertEquals(Optional.of(0L), dao(targetDirect).balance(1), "the target lacks the write");

                assertEquals(Optional.of(5L), dao.balance(1), "the key's read sees its write");
                assertEquals(Optional.of(0L), dao.balance(2), "another key is read as before");

                cutover.startQueueWorkers();
                Await.until("the entry is replayed", () -> dao(targetDirect).balance(1).equals(Optional.of(5L)));
                Await.until("the queue is empty", () -> accounts.queueDepth().pending() == 0);
                assertEquals(Optional.of(5L), dao.balance(1));
                assertTrue(accounts.verify().isClean(), "both sides hold the same rows");
            }
        }
    }

    private static AccountDao dao(DataSource dataSource) {
        return Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin()).onDemand(AccountDao.class);
    }
}
