package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MigrationFlags#moveTogether}: several migrations move in one transaction of the store, so
 * that no instance ever sees some of them moved and others not (issue #14, several migrations).
 */
class MoveTogetherTest {
    private static final Duration REFRESH = Duration.ofMillis(50);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private MigrationFlags flags(FlagStore store) {
        MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(REFRESH)
                .handoverPause(Duration.ofMillis(200)).maxHandoverWait(Duration.ofSeconds(5))
                .declare("orders", "stock", "other").build();
        resources.add(flags);
        return flags;
    }

    private FlagStore jdbcStore(Engine engine) {
        TestDatabase db = TestDatabases.create(engine, "together");
        resources.add(db);
        JdbcFlagStore store = JdbcFlagStore.create(db.dataSource(4));
        store.createTables();
        return store;
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void aGroupMove_storesEveryMigrationWithItsOwnAuditEntry_andAnotherInstanceSeesThemMoveInOneLoad(Engine engine)
            throws Exception {
        FlagStore store = jdbcStore(engine);
        MigrationFlags flags = flags(store);
        MigrationFlags other = flags(store);
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "ops", "ready");
        flags.forceMoveTo("stock", Stage.SHIFT_READS, "ops", "ready");
        other.refresh();
        // Every load of the other instance must show both on one primary: never one moved alone.
        AtomicBoolean torn = new AtomicBoolean();
        AtomicInteger changes = new AtomicInteger();
        other.addListener((before, after) -> {
            changes.incrementAndGet();
            if (other.state("orders").stage().primary() != other.state("stock").stage().primary()) {
                torn.set(true);
            }
        });

        Map<String, MigrationState> moved = flags.moveTogether(Set.of("stock", "orders"), Stage.TARGET_PRIMARY,
                "ops", "move both");

        assertEquals(List.of("orders", "stock"), List.copyOf(moved.keySet()));
        assertEquals(Stage.TARGET_PRIMARY, moved.get("orders").stage());
        assertEquals(Stage.TARGET_PRIMARY, flags.state("stock").stage());
        for (String migration : List.of("orders", "stock")) {
            FlagChange audit = flags.audit(migration, 1).get(0);
            assertEquals(Stage.SHIFT_READS, audit.before().stage());
            assertEquals(Stage.TARGET_PRIMARY, audit.after().stage());
            assertEquals("ops", audit.actor());
            assertEquals("move both", audit.reason());
        }
        // Its refresher publishes the loaded states before it calls the listeners, so wait for both.
        Await.until("the other instance sees the move", () -> other.state("orders").stage() == Stage.TARGET_PRIMARY
                && other.state("stock").stage() == Stage.TARGET_PRIMARY && changes.get() >= 2);
        assertEquals(2, changes.get());
        assertTrue(!torn.get(), "a listener saw one migration moved and the other not");

        flags.moveTogether(Set.of("orders", "stock"), Stage.SHIFT_READS, "ops", "back");
        assertEquals(Stage.SHIFT_READS, store.loadAll().get("orders").stage());
        assertEquals(Stage.SHIFT_READS, store.loadAll().get("stock").stage());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void aGroupMoveThatLosesItsCompareAndSet_storesNothing(Engine engine) {
        FlagStore store = jdbcStore(engine);
        MigrationFlags flags = flags(store);
        MigrationState orders = flags.forceMoveTo("orders", Stage.SHIFT_READS, "ops", "ready");
        MigrationState stock = flags.forceMoveTo("stock", Stage.SHIFT_READS, "ops", "ready");
        flags.setTargetReadPercent("stock", 5, "ops", "someone else's flip");

        assertThrows(ConcurrentFlipException.class, () -> store.saveAll(List.of(orders, stock),
                List.of(orders.toBuilder().stage(Stage.TARGET_PRIMARY).build(),
                        stock.toBuilder().stage(Stage.TARGET_PRIMARY).build()), "ops", "stale"));

        assertEquals(Stage.SHIFT_READS, store.loadAll().get("orders").stage(), "the first row was rolled back");
        assertEquals(orders.version(), store.loadAll().get("orders").version());
        assertEquals(0, store.audit("orders", 10).stream().filter(c -> c.reason().equals("stale")).count(),
                "no audit entry of the failed move");
    }

    @Test
    void aGroupMoveThatSkipsAStageForOneMigration_isRefusedNamingIt_andMovesNone() {
        MigrationFlags flags = flags(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "ops", "ready");
        flags.moveTo("stock", Stage.DUAL_WRITE, "ops", "ready");

        StageTransitionException refused = assertThrows(StageTransitionException.class,
                () -> flags.moveTogether(Set.of("orders", "stock"), Stage.TARGET_PRIMARY, "ops", "too far"));

        assertTrue(refused.getMessage().contains("'stock' is in DUAL_WRITE"), refused.getMessage());
        assertEquals(Stage.SHIFT_READS, flags.state("orders").stage());
        assertEquals(Stage.DUAL_WRITE, flags.state("stock").stage());
    }

    @Test
    void aGroupMove_runsEachMigrationsOwnHandover() throws Exception {
        MigrationFlags flags = flags(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "ops", "ready");
        flags.forceMoveTo("stock", Stage.SHIFT_READS, "ops", "ready");
        List<String> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
        Handovers.addStep(flags, "orders", "drain", (m, from, to) -> steps.add(m + ":" + from + "->" + to));
        Handovers.addStep(flags, "stock", "drain", (m, from, to) -> steps.add(m + ":" + from + "->" + to));
        WritePermit old = Handovers.beginWrite(flags, "stock");

        flags.moveTogether(Set.of("orders", "stock"), Stage.TARGET_PRIMARY, "ops", "move both");

        assertEquals(Side.SOURCE, Handovers.from(flags, "orders"));
        assertEquals(Side.SOURCE, Handovers.from(flags, "stock"));
        WritePermit orders = Handovers.beginWrite(flags, "orders");
        assertEquals(Side.TARGET, orders.stage().primary());
        assertNull(Handovers.tryBeginWrite(flags, "stock"), "stock's handover waits for its own old write");
        old.close();
        WritePermit stock = Handovers.beginWrite(flags, "stock");
        assertEquals(List.of("orders:SOURCE->TARGET", "stock:SOURCE->TARGET"), steps);
        orders.close();
        stock.close();
    }

    @Test
    void aGroupMove_ofUnknownMigrationsOrNone_isRefused_andAStoreWithoutAtomicSaves_refusesIt() {
        MigrationFlags flags = flags(FlagStore.inMemory());
        assertThrows(IllegalArgumentException.class,
                () -> flags.moveTogether(Set.of("orders", "typo"), Stage.DUAL_WRITE, "ops", "x"));
        assertEquals(Stage.SOURCE_ONLY, flags.state("orders").stage());
        assertThrows(IllegalArgumentException.class, () -> flags.moveTogether(Set.of(), Stage.DUAL_WRITE, "ops", "x"));

        FlagStore memory = FlagStore.inMemory();
        FlagStore plain = new FlagStore() {
            @Override
            public Map<String, MigrationState> loadAll() {
                return memory.loadAll();
            }

            @Override
            public MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
                return memory.save(expected, next, actor, reason);
            }

            @Override
            public List<FlagChange> audit(String migration, int limit) {
                return memory.audit(migration, limit);
            }
        };
        MigrationFlags overPlain = flags(plain);
        UnsupportedOperationException unsupported = assertThrows(UnsupportedOperationException.class,
                () -> overPlain.moveTogether(Set.of("orders", "stock"), Stage.DUAL_WRITE, "ops", "x"));
        assertTrue(unsupported.getMessage().contains("JdbcFlagStore"), unsupported.getMessage());
        assertEquals(Stage.SOURCE_ONLY, overPlain.state("orders").stage());
    }
}
