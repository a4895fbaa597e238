package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue #12, the DataSource style's rare loss behind a cut and stalled PostgreSQL target: a copy whose
 * client gave up while its {@code COMMIT} was on the wire (a reset or a stall outlasting the
 * connection's network timeout) can still commit on the server afterwards, when the held bytes
 * arrive. The copier had already ended the sending side's row lock, which is what orders copies of a
 * key, so a later copy of the key ran meanwhile; when that later copy copied an absence (the account
 * closed since), its {@code DELETE} on PostgreSQL neither saw nor waited for the abandoned copy's
 * uncommitted insert, committed having deleted nothing, and the abandoned insert then committed: the
 * acknowledged close was undone on the target, which carried the row on as the primary after the next
 * move (with later deposits on it, and copied back to the source). Here the abandoned commit is played
 * with a connection the client drops at its commit and the test commits later.
 */
class AbandonedCopyCommitTest {
    @Test
    void aCopyCommittedAfterItsClientGaveUp_cannotResurrectARowALaterCopyDeleted() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "acsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "actgt")) {
            LedgerFixture.createTables(source, target, Style.DATASOURCE);
            AbandonedCommit abandoned = new AbandonedCommit();
            LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(8),
                    abandoned.wrap(target.dataSource(8)), false, Style.DATASOURCE);
            try {
                AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
                Ledger ledger = new RecordedLedger(fixture.ledger, oracle);
                fixture.moveTo(Stage.DUAL_WRITE);

                abandoned.arm();
                // The open commits on the source; its copy inserts the row on the target and sends the
                // commit, whose answer never comes: the copy fails, the key is queued, the open is
                // acknowledged. The target's transaction is still open, with the row inserted.
                ledger.open(2, "ada");
                assertTrue(abandoned.holding(), "the open's copy was dropped at its commit");

                // The close is acknowledged; its key is copied behind the queued entry, by the queue.
                ledger.close(2);
                // Give the queue time to copy the absence while the abandoned transaction is open:
                // before the fix its DELETE found no row it could see and the entry was done at once.
                fixture.queue.drain(Duration.ofSeconds(3));

                // The held commit arrives.
                abandoned.commitLate();

                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "the retry-queue drains");
                assertEquals(List.of(), fixture.queue.parked(10), "no entry is parked");
                oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
            } finally {
                abandoned.rollbackIfHeld();
                fixture.close();
            }
        }
    }

    /**
     * The same abandoned commit across a move of the primary to the target. The open's copy is dropped
     * at its commit only once the move was seen, so it is a late write: its call fails and its key is
     * queued for a copy from the next primary, with no entry the handover's queue drain waits for.
     * Another instance then closes the account on the new primary: on PostgreSQL its {@code DELETE}
     * passed over the abandoned insert, the insert committed after it, and the late write, whose call
     * had failed, landed after an acknowledged close and undid it on both sides (the copy from the new
     * primary then carried the row to the source). The handover now waits until the copies that had
     * begun writing the new primary have ended there.
     */
    @Test
    void aLateCopyCommittedAfterItsClientGaveUp_landsBeforeTheNewPrimarysWrites() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "aclsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "acltgt")) {
            LedgerFixture.createTables(source, target, Style.DATASOURCE);
            AbandonedCommit abandoned = new AbandonedCommit();
            LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(8),
                    abandoned.wrap(target.dataSource(8)), false, Style.DATASOURCE);
            MigrationFlags otherFlags = fixture.newFlags(LedgerFixture.REFRESH);
            ReadRouter otherRouter = ReadRouter.builder(otherFlags, LedgerFixture.MIGRATION).build();
            try {
                AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
                Ledger opener = new RecordedLedger(fixture.ledger, oracle);
                // Another application instance, with flags of its own: it finishes its own handover.
                Ledger closer = new RecordedLedger(fixture.newInstance(otherFlags, otherRouter), oracle);
                fixture.moveTo(Stage.SHIFT_READS);

                abandoned.armAndHold();
                AtomicReference<Exception> openFailure = new AtomicReference<>();
                Thread opening = new Thread(() -> {
                    try {
                        opener.open(2, "ada");
                    } catch (Exception e) {
                        openFailure.set(e);
                    }
                }, "opener");
                opening.start();
                // The open committed on the source; its copy inserted the row on the target inside its
                // copy window and sent the commit.
                abandoned.awaitCommit();
                fixture.flags.moveTo(LedgerFixture.MIGRATION, Stage.TARGET_PRIMARY, "test", "move the primary");
                // Every instance sees the move, and the open's copy window ends, within a handover pause.
                Thread.sleep(LedgerFixture.REFRESH.plus(LedgerFixture.HANDOVER_MARGIN).multipliedBy(2).toMillis());
                abandoned.drop();
                opening.join();
                assertInstanceOf(SQLTransientException.class, openFailure.get(),
                        "the open's copy failed after its copy window closed: a late write, its call fails");

                boolean closedWhileOpen = abandoned.closeWhileHeld(closer, 2);

                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "the retry-queue drains");
                assertEquals(List.of(), fixture.queue.parked(10), "no entry is parked");
                oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
                assertFalse(closedWhileOpen, "the close on the new primary waited for the copy still open there");
            } finally {
                abandoned.rollbackIfHeld();
                otherRouter.close();
                otherFlags.close();
                fixture.close();
            }
        }
    }
}
