package dev.cutover.flags;

import dev.cutover.testsupport.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The store's connection is cut mid-test by a TCP forwarder between it and the real server:
 * evaluation keeps answering from the last snapshot, and after the connection returns a flip made
 * meanwhile (directly on the database) is picked up.
 */
class JdbcFlagStoreOutageTest {

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void cutConnection_keepsServingTheLastSnapshot_andRecoversWithTheFlipMadeMeanwhile(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "flagsoutage");
             TcpForwarder forwarder = TcpForwarder.in(db)) {
            JdbcFlagStore direct = JdbcFlagStore.create(db.dataSource(2));
            direct.createTables();
            JdbcFlagStore viaForwarder = JdbcFlagStore.create(db.dataSourceVia(forwarder, 2));
            try (MigrationFlags flags = MigrationFlags.builder(viaForwarder).refreshInterval(Duration.ofMillis(100)).declare("orders").build()) {
                flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "before the outage");
                flags.setTargetReadPercent("orders", 30, "alice", "before the outage");
                MigrationState beforeCut = flags.state("orders");
                AtomicReference<Throwable> readerFailure = new AtomicReference<>();

                forwarder.cut();
                Await.until(() -> flags.storeErrorCount() >= 3);
                assertTrue(flags.storeErrorCount() >= 3, "failed loads " + flags.storeErrorCount());
                for (int i = 0; i < 10_000; i++) {
                    try {
                        assertEquals(beforeCut, flags.state("orders"));
                    } catch (Throwable e) {
                        readerFailure.compareAndSet(null, e);
                    }
                }
                assertEquals(null, readerFailure.get());

                MigrationState current = direct.loadAll().get("orders");
                direct.save(current, current.toBuilder().stage(Stage.TARGET_PRIMARY).targetReadPercent(100).build(),
                        "bob", "flipped while the first instance was cut off");
                long errors = flags.storeErrorCount();
                Await.until(() -> flags.storeErrorCount() >= errors + 2);
                assertEquals(beforeCut, flags.state("orders"));
                assertEquals(1, flags.outageCount());

                forwarder.restore();
                Await.until(() -> flags.state("orders").stage() == Stage.TARGET_PRIMARY);
                assertEquals(Stage.TARGET_PRIMARY, flags.state("orders").stage());
                assertEquals(100, flags.state("orders").targetReadPercent());
                assertEquals(1, flags.outageCount());
                assertEquals("bob", flags.audit("orders", 1).get(0).actor());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void stalledNetwork_failsLoadsAfterTheNetworkTimeout_soAFlipMadeMeanwhileArrivesOnceItHeals(Engine engine)
            throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "flagsstall");
             TcpForwarder forwarder = TcpForwarder.in(db)) {
            JdbcFlagStore direct = JdbcFlagStore.create(db.dataSource(2));
            direct.createTables();
            JdbcFlagStore viaForwarder = JdbcFlagStore.create(db.dataSourceVia(forwarder, 2),
                    JdbcFlagStoreConfig.custom().networkTimeout(Duration.ofMillis(300)).build());
            try (MigrationFlags flags = MigrationFlags.builder(viaForwarder).refreshInterval(Duration.ofMillis(100)).declare("orders").build()) {
                flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "before the stall");
                MigrationState beforeStall = flags.state("orders");

                forwarder.stall();
                // A stalled read without a network timeout never fails: these errors prove the refresh
                // thread is not stuck behind the stall.
                Await.until(() -> flags.storeErrorCount() >= 2);
                assertTrue(flags.storeErrorCount() >= 2, "failed loads during the stall: " + flags.storeErrorCount());
                assertEquals(beforeStall, flags.state("orders"));
                MigrationState current = direct.loadAll().get("orders");
                direct.save(current, current.toBuilder().stage(Stage.TARGET_PRIMARY).build(), "bob", "during the stall");

                forwarder.restore();
                Await.until(() -> flags.state("orders").stage() == Stage.TARGET_PRIMARY);
                assertEquals(Stage.TARGET_PRIMARY, flags.state("orders").stage());
            }
        }
    }
}
