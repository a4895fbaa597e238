package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two instances copy one key at once, one the row's absence and the other its re-insert: the copy of
 * the absence has deleted the target row (holding the PostgreSQL key lock every copy takes there)
 * and then reads the source again, while the re-insert's copy holds the source row's lock and waits
 * for that key lock. A locking re-read waited for the source row in turn: a wait across two
 * databases that neither one's deadlock detector sees, so both copies hung until their budgets ran
 * out (about 4 s at the defaults), every writer of the row waiting behind them, and both keys went
 * to the retry-queue. A fleet of three instances writing, deleting and re-inserting the same accounts
 * (FleetOperatorTest) met it many times per minute on PostgreSQL→PostgreSQL.
 */
class RowCopierAbsentRecheckTest {
    @Test
    void copiesOfAnAbsenceAndOfItsReinsertInTwoInstances_doNotWaitForEachOtherAcrossTheDatabases() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "rechecksrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "rechecktgt")) {
            RowCopierTest.createTables(source, target);
            target.execute("INSERT INTO customers (customer_id, name, balance_cents) VALUES (1, 'Old', 100)",
                    // Holds the absence's copy between its delete (key lock taken) and its re-read of the source.
                    "CREATE FUNCTION slow_delete() RETURNS trigger LANGUAGE plpgsql AS"
                            + " $$ BEGIN PERFORM pg_sleep(1.5); RETURN OLD; END $$",
                    "CREATE TRIGGER slow_delete BEFORE DELETE ON customers FOR EACH ROW EXECUTE FUNCTION slow_delete()");
            // Two instances: each its own row copier (and pools), so no in-process lock orders their copies.
            RowCopier first = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(RowCopierTest.customers()).build();
            RowCopier second = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(RowCopierTest.customers()).build();
            first.copy("customers", "2");
            second.copy("customers", "2");

            long start = System.nanoTime();
            CompletableFuture<Void> absence = CompletableFuture.runAsync(() -> copy(first));
            Thread.sleep(500);
            try (Connection application = source.connect(); Statement statement = application.createStatement()) {
                statement.executeUpdate("INSERT INTO customer (id, full_name, balance) VALUES (1, 'New', 2.00)");
            }
            CompletableFuture<Void> reinsert = CompletableFuture.runAsync(() -> copy(second));
            absence.get(30, TimeUnit.SECONDS);
            reinsert.get(30, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertTrue(millis < 3_500, "the two copies took " + millis + " ms: they waited for each other's locks"
                    + " until their budgets ran out");
            try (Connection check = target.connect(); Statement statement = check.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT name, balance_cents FROM customers WHERE customer_id = 1")) {
                assertTrue(rs.next(), "the re-inserted row is missing on the target");
                assertEquals("New", rs.getString(1));
                assertEquals(200, rs.getLong(2));
            }
        }
    }

    private static void copy(RowCopier copier) {
        try {
            copier.copy("customers", "1");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("the copy failed: " + e, e);
        }
    }
}
