package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The write protocol of each stage and the read routing, one behavioural suite run against both
 * wrapping styles: the repository proxy and {@link CutoverDataSource}, on H2 with the ledger.
 */
class DualWriteBehaviourTest {
    private TestDatabase source;
    private TestDatabase target;
    private LedgerFixture fixture;
    private Ledger ledger;

    private void start(Style style) {
        source = TestDatabases.create(Engine.H2, "behavesrc");
        target = TestDatabases.create(Engine.H2, "behavetgt");
        fixture = LedgerFixture.create(source, target, 6, style);
        ledger = fixture.ledger;
    }

    @AfterEach
    void tearDown() {
        fixture.close();
        source.close();
        target.close();
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void sourceOnly_writesOnlyTheSource(Style style) throws SQLException {
        start(style);
        ledger.open(1, "ada");
        assertEquals(1, fixture.sourceRows().size());
        assertEquals(List.of(), fixture.targetRows());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void dualWrite_mirrorsEveryWrittenKeyToTheTarget(Style style) throws SQLException {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");
        ledger.open(2, "bob");
        ledger.deposit(1, 100);
        ledger.transfer(1, 2, 30);
        ledger.rename(2, "robert");
        ledger.openWithDeposit(3, "cy", 5);
        ledger.close(3);

        assertEquals(List.of(List.of(1L, "ada", 70L, 2L, "null"), List.of(2L, "robert", 30L, 2L, "null")),
                fixture.targetRows());
        assertEquals(fixture.sourceRows(), fixture.targetRows());
        assertEquals(9, fixture.stats.mirrored(), "transfer mirrors both of its keys");
        assertEquals(0, fixture.stats.enqueued());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void dualWrite_whenThePrimaryFails_theCallFailsAndTheTargetGetsNothing(Style style) throws Exception {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");

        SQLException failure = assertThrows(SQLException.class, () -> ledger.open(1, "duplicate"));

        assertTrue(failure.getMessage().toLowerCase().contains("primary key")
                || failure.getMessage().toLowerCase().contains("unique"), failure.getMessage());
        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(List.of(List.of(1L, "ada", 0L, 0L, "null")), fixture.targetRows());
        assertEquals(1, fixture.stats.primaryFailures());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void dualWrite_whenTheMirrorFails_theCallSucceedsAndTheQueueCatchesUp(Style style) throws Exception {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        fixture.faults.enable(1, 1.0);
        ledger.open(1, "ada");
        ledger.deposit(1, 10);
        assertEquals(List.of(List.of(1L, "ada", 10L, 1L, "null")), fixture.sourceRows());
        assertEquals(2, fixture.stats.enqueued());

        fixture.faults.disable();

        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(fixture.sourceRows(), fixture.targetRows());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void dualWrite_whileTheKeyIsPending_queuesBehindItInsteadOfWritingTheTarget(Style style) throws Exception {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        fixture.queue.stop();
        fixture.faults.enable(2, 1.0);
        ledger.open(1, "ada");
        fixture.faults.disable();

        ledger.deposit(1, 10);

        assertEquals(List.of(), fixture.targetRows(), "the second write must not overtake the queued first one");
        assertEquals(1, fixture.stats.queuedBehindPending());
        fixture.queue.start();
        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(fixture.sourceRows(), fixture.targetRows());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void targetPrimary_writesTheTargetFirstAndMirrorsBackToTheSource(Style style) throws Exception {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");
        fixture.moveTo(Stage.SHIFT_READS);
        fixture.moveTo(Stage.TARGET_PRIMARY);
        ledger.deposit(1, 40);
        assertEquals(List.of(List.of(1L, "ada", 40L, 1L, "null")), fixture.sourceRows());

        fixture.faults.enable(3, 1.0);
        assertThrows(SQLException.class, () -> ledger.deposit(1, 1), "a target failure fails the call now");
        fixture.faults.disable();

        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(fixture.sourceRows(), fixture.targetRows());
        assertEquals(List.of(List.of(1L, "ada", 40L, 1L, "null")), fixture.targetRows());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void targetPrimary_whenTheSourceMirrorFails_theCallSucceedsAndTheQueueKeepsTheSourceComplete(Style style)
            throws Exception {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");
        fixture.moveTo(Stage.TARGET_PRIMARY);
        fixture.queue.stop();
        try (Connection blocker = source.connect()) {
            // Holds the source row's lock, so the copy back to the source times out.
            blocker.setAutoCommit(false);
            blocker.createStatement().executeUpdate("UPDATE account SET note = 'locked' WHERE id = 1");
            ledger.deposit(1, 5);
            blocker.rollback();
        }
        assertEquals(1, fixture.stats.mirrorFailures(dev.cutover.flags.Side.SOURCE));
        // H2's lock wait can use up the whole copy budget; the enqueue then completes in the background.
        dev.cutover.testsupport.Await.until("the key is queued",
                () -> fixture.stats.enqueued(dev.cutover.flags.Side.SOURCE) == 1);
        assertEquals(List.of(List.of(1L, "ada", 0L, 0L, "null")), fixture.sourceRows());

        fixture.queue.start();
        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(List.of(List.of(1L, "ada", 5L, 1L, "null")), fixture.sourceRows());
        assertEquals(fixture.targetRows(), fixture.sourceRows());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void targetOnly_writesOnlyTheTarget_andAFlipTakesEffectOnTheNextCall(Style style) throws Exception {
        start(style);
        fixture.moveTo(Stage.TARGET_ONLY);
        ledger.open(1, "ada");
        assertEquals(List.of(), fixture.sourceRows());
        assertEquals(1, fixture.targetRows().size());

        fixture.moveTo(Stage.TARGET_PRIMARY);
        ledger.deposit(1, 3);
        assertEquals(fixture.targetRows(), fixture.sourceRows());
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void reads_followTheStage(Style style) throws SQLException {
        start(style);
        source.execute("INSERT INTO account VALUES (1, 'ada', 10, 0, NULL)");
        fixture.insertIntoTarget(1, "ada", 99);
        assertEquals(10L, ledger.balance(1));
        fixture.moveTo(Stage.TARGET_PRIMARY);
        assertEquals(99L, ledger.balance(1));
        fixture.moveTo(Stage.SOURCE_ONLY);
        assertEquals(10L, ledger.balance(1));
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void concurrentWritersToOneRow_convergeInEveryDualStage(Style style) throws Exception {
        start(style);
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Ledger instance = fixture.newInstance();
            int thread = t;
            writers.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        if (thread == 0 && i == 20) {
                            fixture.moveTo(Stage.SHIFT_READS);
                        }
                        instance.deposit(1, 1 + thread);
                        if (i % 10 == 0) {
                            instance.rename(1, "owner" + thread + "-" + i);
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        writers.forEach(Thread::start);
        for (Thread writer : writers) {
            writer.join();
        }
        assertEquals(List.of(), List.copyOf(errors));
        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(40L * (1 + 2 + 3 + 4), fixture.sourceRows().get(0).get(2));
        assertEquals(fixture.sourceRows(), fixture.targetRows());
    }
}
