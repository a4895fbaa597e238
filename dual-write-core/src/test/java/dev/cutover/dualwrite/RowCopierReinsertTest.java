package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Copies never take back a committed write on the sending side: while an application deletes and
 * re-inserts one row over and over, copies of that key lock it again and again, and every insert the
 * application saw committed stays until the application deletes it. H2 only: there a copy that ended
 * its locking transaction with a rollback lost inserts here (H2's rollback of a locking read that met
 * a row deleted meanwhile deletes the key's re-inserted row too, see {@link RowCopier}); the servers'
 * durable commits would make the cycles slow, and their copies are covered by the ledger properties.
 */
class RowCopierReinsertTest {
    private static final int CYCLES = 2_000;
    /** Copies the cycles must have raced: on a fast machine 2,000 cycles end before the copiers warm up. */
    private static final int MIN_COPIES = 300;
    /** Where the cycles stop even if the copiers starve, so that the test ends and fails instead. */
    private static final int MAX_CYCLES = 1_000_000;
    private static final int COPIERS = 2;

    @Test
    void h2_copiesRacingDeletesAndReinserts_neverUndoACommittedInsert() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "reinsertsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "reinserttgt")) {
            RowCopierTest.createTables(source, target);
            RowCopier resync = RowCopier.builder(source.dataSource(COPIERS + 1), target.dataSource(COPIERS + 1))
                    .mapping(RowCopierTest.customers()).build();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger copies = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> copyErrors = new ConcurrentLinkedQueue<>();
            List<Thread> copiers = new ArrayList<>();
            for (int i = 0; i < COPIERS; i++) {
                Thread copier = new Thread(() -> {
                    while (writing.get()) {
                        try {
                            resync.copy("customers", "1");
                            copies.incrementAndGet();
                        } catch (SQLException e) {
                            // A lock wait that timed out fails the copy; that is allowed here.
                        } catch (RuntimeException | Error e) {
                            copyErrors.add(e);
                        }
                    }
                }, "copier-" + i);
                copier.start();
                copiers.add(copier);
            }
            int lost = 0;
            try (Connection application = source.connect();
                    PreparedStatement insert = application.prepareStatement(
                            "INSERT INTO customer (id, full_name, balance) VALUES (1, 'Ada', 1.00)");
                    PreparedStatement read = application.prepareStatement("SELECT full_name FROM customer WHERE id = 1");
                    PreparedStatement delete = application.prepareStatement("DELETE FROM customer WHERE id = 1")) {
                for (int cycle = 0; (cycle < CYCLES || copies.get() < MIN_COPIES) && cycle < MAX_CYCLES; cycle++) {
                    assertEquals(1, insert.executeUpdate());
                    // Only this thread deletes: its committed row must still be there.
                    try (ResultSet rs = read.executeQuery()) {
                        if (!rs.next()) {
                            lost++;
                            continue;
                        }
                    }
                    if (delete.executeUpdate() == 0) {
                        lost++;
                    }
                }
            } finally {
                writing.set(false);
                for (Thread copier : copiers) {
                    copier.join();
                }
            }
            assertEquals(List.of(), List.copyOf(copyErrors));
            assertTrue(copies.get() >= MIN_COPIES, "the copies raced the writes: " + copies.get() + " copies");
            assertEquals(0, lost, "committed inserts that vanished without a delete");
        }
    }
}
