package dev.cutover.flags;

import dev.cutover.testsupport.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.flags.micrometer.MigrationFlagsMetrics;
import dev.cutover.testsupport.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's connection is cut mid-test by a TCP forwarder between it and the real server:
 * evaluation keeps answering from the last snapshot, and after the connection returns a flip made
 * meanwhile (directly on the database) is picked up.
 */
class JdbcFlagStoreOutageTest {
    /** How long each fault of the default-pool test lasts; the soak run uses the 20 s. */
    private static final int FAULT_SECONDS = Integer.getInteger("cutover.soak.flagStoreFaultSeconds", 2);
    /** The acceptance bound: a flag-store fault shows in the meters and the log within 2 s. */
    private static final long SHOWS_WITHIN_MILLIS = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(JdbcFlagStoreOutageTest.class);

    /**
     * PostgreSQL in the normal build (the bound is the flags' own, whatever the driver), both server
     * engines in the soak run ({@code -Dcutover.soak.flagStoreFaultSeconds=20}).
     */
    static Stream<Engine> poolEngines() {
        return FAULT_SECONDS > 2 ? TestDatabases.serverEngines() : Stream.of(Engine.POSTGRESQL);
    }

    /**
     * A pool at HikariCP's defaults (30 s connection timeout, 5 s validation timeout, 10
     * connections), started lazily on its first borrow as an application's pool would be when its
     * database is down at start-up.
     */
    private static HikariDataSource defaultPool(String jdbcUrl) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(jdbcUrl);
        return pool;
    }

    @ParameterizedTest
    @MethodSource("poolEngines")
    void stallAndCutOfAPoolAtHikariDefaults_showInTheMetersAndTheLogWithinTwoSeconds_andFlipsMadeMeanwhileArrive(
            Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "flagspool");
             TcpForwarder forwarder = TcpForwarder.in(db);
             HikariDataSource pool = defaultPool(db.jdbcUrlVia(forwarder));
             HikariDataSource startupPool = defaultPool(db.jdbcUrlVia(forwarder))) {
            JdbcFlagStore direct = JdbcFlagStore.create(db.dataSource(2));
            direct.createTables();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (MigrationFlags flags = MigrationFlags.builder(JdbcFlagStore.create(pool)).declare("orders").build();
                 LogCapture log = new LogCapture()) {
                new MigrationFlagsMetrics(flags).bindTo(registry);
                flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "before the faults");

                forwarder.stall();
                long shownAfter = millisUntilShown(registry, log, 1);
                LOG.info("{}: the stall showed in the meters and the log after {} ms", engine, shownAfter);
                assertTrue(shownAfter < SHOWS_WITHIN_MILLIS, "the stall showed after " + shownAfter + " ms");
                MigrationState current = direct.loadAll().get("orders");
                direct.save(current, current.toBuilder().stage(Stage.TARGET_PRIMARY).build(), "bob", "during the stall");
                long errors = flags.storeErrorCount();
                Thread.sleep(TimeUnit.SECONDS.toMillis(FAULT_SECONDS));
                // The refresh thread is not stuck in the pool's wait: loads keep failing by the budget.
                assertTrue(flags.storeErrorCount() > errors, "no failed load during the stall after the first");
                assertEquals(Stage.SHIFT_READS, flags.state("orders").stage());
                forwarder.restore();
                Await.until("the flip made during the stall arrives",
                        () -> flags.state("orders").stage() == Stage.TARGET_PRIMARY);
                Await.until("the recovery is logged", () -> log.find("INFO", "readable again") != null);

                forwarder.cut();
                shownAfter = millisUntilShown(registry, log, 2);
                LOG.info("{}: the cut showed in the meters and the log after {} ms", engine, shownAfter);
                assertTrue(shownAfter < SHOWS_WITHIN_MILLIS, "the cut showed after " + shownAfter + " ms");
                current = direct.loadAll().get("orders");
                direct.save(current, current.toBuilder().stage(Stage.SHIFT_READS).build(), "bob", "during the cut");
                Thread.sleep(TimeUnit.SECONDS.toMillis(FAULT_SECONDS));
                forwarder.restore();
                Await.until("the flip made during the cut arrives",
                        () -> flags.state("orders").stage() == Stage.SHIFT_READS);
                assertEquals(2, flags.outageCount());
            }

            // An instance started during a stall fails after the 5 s start timeout instead of waiting
            // out the pool's 30 s.
            forwarder.stall();
            long start = System.nanoTime();
            FlagStoreException refused = assertThrows(FlagStoreException.class,
                    () -> MigrationFlags.builder(JdbcFlagStore.create(startupPool)).build());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            LOG.info("{}: build() during a stall failed after {} ms", engine, waited);
            assertTrue(waited < 10_000, "build() waited " + waited + " ms");
            assertTrue(refused.getMessage().contains("at start-up"), refused.getMessage());
            forwarder.restore();
        }
    }

    /** Waits until the meters count the given number of outages and the log has its WARN line. */
    private static long millisUntilShown(SimpleMeterRegistry registry, LogCapture log, int outages) {
        long start = System.nanoTime();
        Await.until("the fault shows in the meters", () -> registry.get("cutover.flags.store.outages")
                .functionCounter().count() >= outages && registry.get("cutover.flags.store.errors")
                .functionCounter().count() >= outages);
        long metered = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Await.until("the fault shows in the log", () -> log.lines().stream().filter(line -> line.contains("WARN")
                && line.contains("Cannot read the migration flag store")).count() >= outages);
        return Math.max(metered, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

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
