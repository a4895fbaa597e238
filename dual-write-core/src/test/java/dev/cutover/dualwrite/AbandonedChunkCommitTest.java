package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue #16: {@link AbandonedCopyCommitTest}'s abandoned commit, played by a backfill chunk into a
 * PostgreSQL target. The chunk inserts the history's rows on the target and sends its commit, whose
 * answer never comes: the chunk fails (and the backfill with it, after its one attempt, as one that
 * logged a failed chunk), its source transaction ends, but its target transaction stays open on the
 * server with the rows inserted, and commits later. On PostgreSQL a {@code DELETE} by key neither sees
 * nor waits for that uncommitted insert, so without the copies' advisory locks in the chunk, an
 * account closed meanwhile came back on the target when the held commit arrived.
 */
class AbandonedChunkCommitTest {
    private static final int HISTORY = 5;
    private static final long CLOSED = 3;

    @Test
    void aChunkCommittedAfterItsClientGaveUp_cannotResurrectARowDeletedMeanwhile() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "abcsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "abctgt");
                LedgerFixture fixture = LedgerFixture.create(source, target, 8, Style.DATASOURCE)) {
            AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
            Ledger ledger = new RecordedLedger(fixture.ledger, oracle);
            writeHistory(fixture, ledger);
            fixture.moveTo(Stage.DUAL_WRITE);
            AbandonedCommit abandoned = new AbandonedCommit();
            Backfill backfill = backfill(fixture, target, abandoned);
            try {
                abandoned.arm();
                assertThrows(BackfillException.class, backfill::run, "the chunk failed at its commit");
                assertTrue(abandoned.holding(), "the chunk was dropped at its commit, its rows inserted on the target");

                // The close is acknowledged; its copy deletes on the target while the chunk's transaction
                // is open there. Before the fix its DELETE passed over the chunk's insert and committed.
                ledger.close(CLOSED);
                fixture.queue.drain(Duration.ofSeconds(3));

                // The held commit arrives.
                abandoned.commitLate();

                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "the retry-queue drains");
                assertEquals(List.of(), fixture.queue.parked(10), "no entry is parked");
                oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
            } finally {
                abandoned.rollbackIfHeld();
            }
        }
    }

    /**
     * The same abandoned chunk across a move of the primary to the target: the chunk is at its commit
     * (inside its copy window) when the primary moves, and is dropped there once every instance saw
     * the move. Another instance then closes an account the chunk inserted, on the new primary: before
     * the fix its {@code DELETE} passed over the chunk's insert, and the held commit brought the row
     * back after an acknowledged close. The handover now waits until the chunk has ended there.
     */
    @Test
    void aChunkOpenWhenThePrimaryMoves_isWaitedForByTheHandover() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "abhsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "abhtgt");
                LedgerFixture fixture = LedgerFixture.create(source, target, 8, Style.DATASOURCE)) {
            MigrationFlags otherFlags = fixture.newFlags(LedgerFixture.REFRESH);
            ReadRouter otherRouter = ReadRouter.builder(otherFlags, LedgerFixture.MIGRATION).build();
            AbandonedCommit abandoned = new AbandonedCommit();
            try {
                AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
                writeHistory(fixture, new RecordedLedger(fixture.ledger, oracle));
                // Another application instance, with flags of its own: it finishes its own handover.
                Ledger closer = new RecordedLedger(fixture.newInstance(otherFlags, otherRouter), oracle);
                fixture.moveTo(Stage.SHIFT_READS);

                abandoned.armAndHold();
                CompletableFuture<BackfillProgress> run = backfill(fixture, target, abandoned).start();
                // The chunk inserted the rows on the target inside its copy window and sent its commit.
                abandoned.awaitCommit();
                fixture.flags.moveTo(LedgerFixture.MIGRATION, Stage.TARGET_PRIMARY, "test", "move the primary");
                // Every instance sees the move, and the chunk's copy window ends, within a handover pause.
                Thread.sleep(LedgerFixture.REFRESH.plus(LedgerFixture.HANDOVER_MARGIN).multipliedBy(2).toMillis());
                abandoned.drop();
                ExecutionException failed = assertThrows(ExecutionException.class, () -> run.get(30, TimeUnit.SECONDS));
                assertInstanceOf(BackfillException.class, failed.getCause(), "the chunk failed at its commit");

                boolean closedWhileOpen = abandoned.closeWhileHeld(closer, CLOSED);

                assertTrue(fixture.queue.drain(Duration.ofSeconds(30)), "the retry-queue drains");
                assertEquals(List.of(), fixture.queue.parked(10), "no entry is parked");
                oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
                assertFalse(closedWhileOpen, "the close on the new primary waited for the chunk still open there");
            } finally {
                abandoned.rollbackIfHeld();
                otherRouter.close();
                otherFlags.close();
            }
        }
    }

    /** The history, written before dual writes: only the source has it, the target is empty. */
    private static void writeHistory(LedgerFixture fixture, Ledger ledger) throws Exception {
        fixture.moveTo(Stage.SOURCE_ONLY);
        for (long id = 1; id <= HISTORY; id++) {
            ledger.openWithDeposit(id, "owner" + id, 100 * id);
        }
    }

    /**
     * A backfill of the fixture's accounts through a row copier of its own, whose target connections
     * {@code abandoned} may drop; one attempt per chunk, so that the dropped chunk ends the run instead
     * of being tried again while the test writes.
     */
    private static Backfill backfill(LedgerFixture fixture, TestDatabase target, AbandonedCommit abandoned) {
        RowCopier copier = RowCopier.builder(fixture.resync.dataSource(Side.SOURCE), abandoned.wrap(target.dataSource(4)))
                .mapping(JdbcLedger.sameSchemaMapping()).build();
        return Backfill.builder(copier, fixture.flags, LedgerFixture.MIGRATION)
                .config(BackfillConfig.custom().maxChunkAttempts(1).build())
                .build();
    }
}
