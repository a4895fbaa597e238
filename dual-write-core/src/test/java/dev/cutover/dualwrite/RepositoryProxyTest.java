package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.micrometer.DualWriteMetrics;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The write protocol of each stage, reads, default and Object methods, on H2 with the ledger repository. */
class RepositoryProxyTest {
    private TestDatabase source;
    private TestDatabase target;
    private LedgerFixture fixture;
    private Ledger ledger;

    @BeforeEach
    void setUp() {
        source = TestDatabases.create(Engine.H2, "proxysrc");
        target = TestDatabases.create(Engine.H2, "proxytgt");
        fixture = LedgerFixture.create(source, target, 4);
        ledger = fixture.ledger;
    }

    @AfterEach
    void tearDown() {
        fixture.close();
        source.close();
        target.close();
    }

    @Test
    void sourceOnly_writesOnlyTheSource() throws SQLException {
        ledger.open(1, "ada");
        assertEquals(1, fixture.sourceRows().size());
        assertEquals(List.of(), fixture.targetRows());
    }

    @Test
    void dualWrite_mirrorsEveryWrittenKeyToTheTarget() throws SQLException {
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
        assertEquals(8, fixture.stats.primaryWrites());
        assertEquals(9, fixture.stats.mirrored(), "transfer mirrors both of its keys");
    }

    @Test
    void metrics_publishTheWriteAndMirrorCountsPerSide() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new DualWriteMetrics(fixture.stats, "ledger").bindTo(registry);
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");
        fixture.faults.enable(4, 1.0);
        ledger.deposit(1, 1);
        fixture.faults.disable();
        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        fixture.moveTo(Stage.TARGET_PRIMARY);
        ledger.deposit(1, 2);

        assertEquals(2.0, count(registry, "cutover.dualwrite.writes", "source", "outcome", "success"));
        assertEquals(1.0, count(registry, "cutover.dualwrite.writes", "target", "outcome", "success"));
        assertEquals(1.0, count(registry, "cutover.dualwrite.mirrors", "target", "outcome", "copied"));
        assertEquals(1.0, count(registry, "cutover.dualwrite.mirrors", "target", "outcome", "failed"));
        assertEquals(1.0, count(registry, "cutover.dualwrite.mirrors", "source", "outcome", "copied"));
        assertEquals(1.0, registry.get("cutover.dualwrite.queued").tags("side", "target").functionCounter().count());
        assertEquals(0.0, registry.get("cutover.dualwrite.queued").tags("side", "source").functionCounter().count());
        assertEquals(0.0, registry.get("cutover.dualwrite.queue.failures").tags("side", "target").functionCounter().count());
        assertEquals(1, registry.get("cutover.dualwrite.mirror.latency").tags("side", "source").functionTimer().count());
        assertEquals(fixture.sourceRows(), fixture.targetRows());
    }

    private static double count(SimpleMeterRegistry registry, String name, String side, String tag, String value) {
        return registry.get(name).tags("migration", "ledger", "side", side, tag, value).functionCounter().count();
    }

    @Test
    void dualWrite_whenThePrimaryFails_theCallFailsAndTheTargetGetsNothing() throws Exception {
        fixture.moveTo(Stage.DUAL_WRITE);
        ledger.open(1, "ada");

        SQLException failure = assertThrows(SQLException.class, () -> ledger.open(1, "duplicate"));

        assertTrue(failure.getMessage().toLowerCase().contains("primary key")
                || failure.getMessage().toLowerCase().contains("unique"), failure.getMessage());
        assertTrue(fixture.queue.drain(Duration.ofSeconds(10)));
        assertEquals(List.of(List.of(1L, "ada", 0L, 0L, "null")), fixture.targetRows());
        assertEquals(1, fixture.stats.primaryFailures());
    }

    @Test
    void dualWrite_whenTheMirrorFails_theCallSucceedsAndTheQueueCatchesUp() throws Exception {
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

    @Test
    void dualWrite_whileTheKeyIsPending_queuesBehindItInsteadOfWritingTheTarget() throws Exception {
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

    @Test
    void targetPrimary_writesTheTargetFirstAndMirrorsBackToTheSource() throws Exception {
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
    }

    @Test
    void targetOnly_writesOnlyTheTarget_andAFlipTakesEffectOnTheNextCall() throws Exception {
        fixture.moveTo(Stage.TARGET_ONLY);
        ledger.open(1, "ada");
        assertEquals(List.of(), fixture.sourceRows());
        assertEquals(1, fixture.targetRows().size());

        fixture.moveTo(Stage.TARGET_PRIMARY);
        ledger.deposit(1, 3);
        assertEquals(fixture.targetRows(), fixture.sourceRows());
    }

    @Test
    void reads_followTheStage() throws SQLException {
        source.execute("INSERT INTO account VALUES (1, 'ada', 10, 0, NULL)");
        target.execute("INSERT INTO accounts VALUES (1, 'ada', 99, 0, NULL)");
        assertEquals(10L, ledger.balance(1));
        fixture.moveTo(Stage.TARGET_PRIMARY);
        assertEquals(99L, ledger.balance(1));
    }

    @Test
    void exceptionsOfTheDao_reachTheCallerUnwrapped() {
        fixture.moveTo(Stage.TARGET_PRIMARY);
        target.execute("DROP TABLE accounts");
        SQLException failure = assertThrows(SQLException.class, () -> ledger.balance(1));
        assertTrue(failure.getMessage().contains("ACCOUNTS"), failure.getMessage());
    }

    @Test
    void objectMethods_behaveLikeAnIdentityObject() {
        Ledger other = Cutover.repository(Ledger.class).source(JdbcLedger.source(source.dataSource(1)))
                .target(JdbcLedger.target(target.dataSource(1))).migration("ledger").flags(fixture.flags)
                .router(fixture.router).retryQueue(fixture.queue).resync(fixture.resync, "accounts")
                .routingKey("transfer", args -> List.of(args[0], args[1])).build();
        assertEquals(ledger, ledger);
        assertNotEquals(ledger, other);
        assertEquals(System.identityHashCode(ledger), ledger.hashCode());
        assertEquals("Cutover Ledger (migration ledger)", ledger.toString());
        assertSame(ledger, ledger);
    }
}
