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

/**
 * What only the repository proxy has: call counts per DAO method, metrics, default and Object methods,
 * unwrapped DAO exceptions; the protocol per stage is in {@link DualWriteBehaviourTest}, run against both styles.
 */
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
    void dualWrite_countsOnePrimaryWritePerDaoCallAndMirrorsEachKey() throws SQLException {
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
    void exceptionsOfTheDao_reachTheCallerUnwrapped() {
        fixture.moveTo(Stage.TARGET_PRIMARY);
        target.execute("DROP TABLE accounts");
        SQLException failure = assertThrows(SQLException.class, () -> ledger.balance(1));
        assertTrue(failure.getMessage().contains("ACCOUNTS"), failure.getMessage());
    }

    @Test
    void objectMethods_behaveLikeAnIdentityObject() {
        Ledger other = DualWrite.repository(Ledger.class).source(JdbcLedger.source(source.dataSource(1)))
                .target(JdbcLedger.target(target.dataSource(1))).migration("ledger").flags(fixture.flags)
                .router(fixture.router).retryQueue(fixture.queue).rowCopier(fixture.resync, "accounts")
                .routingKey("transfer", args -> List.of(args[0], args[1])).build();
        assertEquals(ledger, ledger);
        assertNotEquals(ledger, other);
        assertEquals(System.identityHashCode(ledger), ledger.hashCode());
        assertEquals("Cutover Ledger (migration ledger)", ledger.toString());
        assertSame(ledger, ledger);
    }
}
