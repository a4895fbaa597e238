package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MigrationFlagsTest {
    private static final Duration FAST = Duration.ofMillis(20);
    private final List<MigrationFlags> opened = new ArrayList<>();

    @AfterEach
    void closeFlags() {
        opened.forEach(MigrationFlags::close);
    }

    private MigrationFlags open(FlagStore store) {
        MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(FAST).declare("orders").build();
        opened.add(flags);
        return flags;
    }

    @Test
    void unknownMigration_isSourceOnlyAtVersionZero() {
        MigrationFlags flags = open(FlagStore.inMemory());
        assertEquals(MigrationState.initial("orders"), flags.state("orders"));
        assertEquals(Set.of(), flags.migrations());
    }

    @Test
    void moveTo_oneStepForward_isStoredVisibleAtOnceAndVersioned() {
        MigrationFlags flags = open(FlagStore.inMemory());
        MigrationState stored = flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "start mirroring");
        assertEquals(Stage.DUAL_WRITE, stored.stage());
        assertEquals(1, stored.version());
        assertSame(stored, flags.state("orders"));
        assertEquals(Set.of("orders"), flags.migrations());
        assertEquals(1, flags.flipCount("orders"));
    }

    @Test
    void moveTo_skippingAStep_isRefusedNamingTheSkippedStage() {
        MigrationFlags flags = open(FlagStore.inMemory());
        StageTransitionException e = assertThrows(StageTransitionException.class,
                () -> flags.moveTo("orders", Stage.SHIFT_READS, "alice", "too fast"));
        assertTrue(e.getMessage().contains("skips DUAL_WRITE"), e.getMessage());
        assertEquals(Stage.SOURCE_ONLY, flags.state("orders").stage());
        assertEquals(List.of(), flags.audit("orders", 10));
    }

    @Test
    void forceMoveTo_jumpsAndRollbackGoesBackAnyDistance() {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.TARGET_PRIMARY, "test", "jump");
        assertEquals(Stage.TARGET_PRIMARY, flags.state("orders").stage());
        flags.moveTo("orders", Stage.SOURCE_ONLY, "oncall", "rollback");
        assertEquals(Stage.SOURCE_ONLY, flags.state("orders").stage());
        assertEquals(2, flags.state("orders").version());
    }

    @Test
    void percentages_areSetAndIllegalOnesRejectedNamingFieldAndAllowedValues() {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "test", "why");
        assertEquals(12.5, flags.setTargetReadPercent("orders", 12.5, "bob", "more").targetReadPercent());
        assertEquals(3, flags.setShadowReadPercent("orders", 3, "bob", "compare").shadowReadPercent());
        IllegalArgumentException high = assertThrows(IllegalArgumentException.class,
                () -> flags.setTargetReadPercent("orders", 120, "bob", "typo"));
        assertEquals("targetReadPercent must be between 0 and 100, but was 120.0", high.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> flags.setShadowReadPercent("orders", -1, "bob", "typo"));
        assertEquals("shadowReadPercent must be between 0 and 100, but was -1.0", negative.getMessage());
        assertEquals(12.5, flags.state("orders").targetReadPercent());
    }

    @Test
    void update_changesCanariesAndANoOpChangeIsNeitherStoredNorAudited() {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "test", "why");
        MigrationState canaried = flags.update("orders", "carol", "canary", b -> b.targetKeys(List.of("tenant-1")));
        assertEquals(Side.TARGET, canaried.readSide("tenant-1"));
        MigrationState same = flags.update("orders", "carol", "again", b -> b.targetKeys(List.of("tenant-1")));
        assertEquals(canaried, same);
        assertEquals(2, flags.audit("orders", 10).size());
    }

    @Test
    void audit_listsEveryFlipNewestFirstWithActorReasonAndStates() {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "one");
        flags.moveTo("orders", Stage.SHIFT_READS, "bob", "two");
        flags.setTargetReadPercent("orders", 5, "carol", "three");
        List<FlagChange> audit = flags.audit("orders", 10);
        assertEquals(List.of("carol", "bob", "alice"), audit.stream().map(FlagChange::actor).toList());
        assertEquals(List.of("three", "two", "one"), audit.stream().map(FlagChange::reason).toList());
        FlagChange newest = audit.get(0);
        assertEquals(Stage.SHIFT_READS, newest.before().stage());
        assertEquals(0, newest.before().targetReadPercent());
        assertEquals(5, newest.after().targetReadPercent());
        assertEquals(newest.before().version() + 1, newest.after().version());
        assertEquals(2, flags.audit("orders", 2).size());
    }

    @Test
    void actorAndReason_areChecked() {
        MigrationFlags flags = open(FlagStore.inMemory());
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                () -> flags.moveTo("orders", Stage.DUAL_WRITE, " ", "why"));
        assertTrue(blank.getMessage().startsWith("actor must be 1 to 200 characters"), blank.getMessage());
        assertThrows(NullPointerException.class, () -> flags.moveTo("orders", Stage.DUAL_WRITE, "alice", null));
    }

    @Test
    void refreshInterval_outsideTenMillisToAnHour_isRejected() {
        MigrationFlags.Builder builder = MigrationFlags.builder(FlagStore.inMemory());
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> builder.refreshInterval(Duration.ofMillis(5)));
        assertEquals("refreshInterval must be between 10 ms and 1 h, but was 5 ms: set a value in that range", e.getMessage());
        assertThrows(CutoverConfigurationException.class, () -> builder.refreshInterval(Duration.ofHours(2)));
    }

    @Test
    void listeners_hearOwnFlipsAndRemoteOnes_andAFailingListenerBreaksNothing() throws Exception {
        FlagStore store = FlagStore.inMemory();
        MigrationFlags mine = open(store);
        MigrationFlags theirs = open(store);
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        mine.addListener((before, after) -> {
            throw new IllegalStateException("listener bug (test)");
        });
        AutoCloseable registration = mine.addListener((before, after) ->
                heard.add(before.stage() + "->" + after.stage()));

        mine.moveTo("orders", Stage.DUAL_WRITE, "alice", "own flip");
        assertEquals(List.of("SOURCE_ONLY->DUAL_WRITE"), heard);

        theirs.moveTo("orders", Stage.SHIFT_READS, "bob", "remote flip");
        Await.until(() -> heard.size() == 2);
        assertEquals(List.of("SOURCE_ONLY->DUAL_WRITE", "DUAL_WRITE->SHIFT_READS"), heard);

        registration.close();
        mine.moveTo("orders", Stage.DUAL_WRITE, "alice", "rollback");
        assertEquals(2, heard.size());
    }

    @Test
    void flipByAnotherInstance_isSeenWithinTheRefreshInterval() {
        FlagStore store = FlagStore.inMemory();
        MigrationFlags reader = open(store);
        MigrationFlags writer = open(store);
        writer.forceMoveTo("orders", Stage.SHIFT_READS, "bob", "go");
        writer.setTargetReadPercent("orders", 25, "bob", "more");
        Await.until(() -> reader.state("orders").targetReadPercent() == 25);
        assertEquals(writer.state("orders"), reader.state("orders"));
    }

    @Test
    void startedDuringAStoreOutage_whenAllowed_everyMigrationIsSourceOnlyUntilTheFirstSuccessfulLoad() {
        UnreliableStore store = new UnreliableStore();
        store.delegate.save(MigrationState.initial("orders"),
                MigrationState.builder("orders").stage(Stage.DUAL_WRITE).build(), "setup", "");
        store.down();
        MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(FAST).startDuringStoreOutage(true).build();
        opened.add(flags);
        assertEquals(Stage.SOURCE_ONLY, flags.state("orders").stage());
        assertEquals(1, flags.outageCount());
        store.up();
        Await.until(() -> flags.state("orders").stage() == Stage.DUAL_WRITE);
        assertEquals(Stage.DUAL_WRITE, flags.state("orders").stage());
    }

    @Test
    void storeOutage_keepsTheLastSnapshot_countsOneOutage_andRecoversByItself() {
        UnreliableStore store = new UnreliableStore();
        MigrationFlags flags = open(store);
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "before outage");
        store.down();
        int loadsAtCut = store.loads.get();
        Await.until(() -> store.loads.get() >= loadsAtCut + 5);
        assertEquals(Stage.SHIFT_READS, flags.state("orders").stage());
        assertEquals(1, flags.outageCount());
        assertTrue(flags.storeErrorCount() >= 4, "errors " + flags.storeErrorCount());

        store.delegate.save(store.delegate.loadAll().get("orders"),
                flags.state("orders").toBuilder().targetReadPercent(40).build(), "bob", "during outage");
        store.up();
        Await.until(() -> flags.state("orders").targetReadPercent() == 40);
        assertEquals(40, flags.state("orders").targetReadPercent());
        long errorsAfterRecovery = flags.storeErrorCount();
        flags.refresh();
        assertEquals(errorsAfterRecovery, flags.storeErrorCount());
        assertEquals(1, flags.outageCount());
    }

    @Test
    void aStoreReturningAStateUnderTheWrongName_countsAsAFailedLoad() {
        MigrationState payments = MigrationState.builder("payments").stage(Stage.TARGET_ONLY).version(1).build();
        FlagStore confused = new FlagStore() {
            @Override
            public Map<String, MigrationState> loadAll() {
                return Map.of("orders", payments);
            }

            @Override
            public MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
                throw new UnsupportedOperationException("read-only (test)");
            }

            @Override
            public List<FlagChange> audit(String migration, int limit) {
                return List.of();
            }
        };
        MigrationFlags flags = MigrationFlags.builder(confused).refreshInterval(FAST).startDuringStoreOutage(true).build();
        opened.add(flags);
        flags.refresh();
        assertEquals(MigrationState.initial("orders"), flags.state("orders"));
        assertEquals(1, flags.outageCount());
        assertTrue(flags.storeErrorCount() >= 2, "errors " + flags.storeErrorCount());
    }

    @Test
    void flipsWhileTheStoreIsDown_failWithAStoreException() {
        UnreliableStore store = new UnreliableStore();
        MigrationFlags flags = open(store);
        store.down();
        assertThrows(FlagStoreException.class, () -> flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "why"));
        assertEquals(Stage.SOURCE_ONLY, flags.state("orders").stage());
    }

    @Test
    void concurrentFlipsFromTwoInstances_neverLoseAnAuditRow() throws Exception {
        FlagStore store = FlagStore.inMemory();
        MigrationFlags first = open(store);
        MigrationFlags second = open(store);
        first.forceMoveTo("orders", Stage.SHIFT_READS, "setup", "");
        int perThread = 50;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                MigrationFlags flags = t % 2 == 0 ? first : second;
                String actor = "thread-" + t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        int delta = i;
                        flags.update("orders", actor, "step " + i,
                                b -> b.targetReadPercent((b.build().targetReadBasisPoints() + 1 + delta % 2) % 10_000 / 100.0));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<FlagChange> audit = store.audit("orders", 1_000);
        assertEquals(1 + 4 * perThread, audit.size());
        for (int i = 0; i < audit.size() - 1; i++) {
            assertEquals(audit.get(i + 1).after(), audit.get(i).before(), "audit chain broken at " + i);
        }
        assertEquals(1 + 4 * perThread, store.loadAll().get("orders").version());
        assertEquals(4 * perThread + 1, first.flipCount("orders") + second.flipCount("orders"));
    }

    @Test
    void readersDuringFlips_alwaysSeeAValidStateThatWasStored() throws Exception {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "setup", "");
        AtomicBoolean flipping = new AtomicBoolean(true);
        AtomicReference<String> problem = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        int readers = 4;
        CountDownLatch finished = new CountDownLatch(readers);
        for (int r = 0; r < readers; r++) {
            Thread reader = new Thread(() -> {
                long lastVersion = 0;
                while (flipping.get()) {
                    MigrationState s = flags.state("orders");
                    // Each flip sets both percentages to the same value: a torn state would differ.
                    if (s.targetReadBasisPoints() != s.shadowReadBasisPoints() && s.version() > 1) {
                        problem.compareAndSet(null, "torn state " + s);
                    }
                    if (s.version() < lastVersion) {
                        problem.compareAndSet(null, "version went back from " + lastVersion + " to " + s);
                    }
                    lastVersion = s.version();
                    s.readSide("key-" + reads.incrementAndGet());
                }
                finished.countDown();
            });
            reader.setDaemon(true);
            reader.start();
        }
        for (int i = 1; i <= 300; i++) {
            double percent = i % 100;
            flags.update("orders", "flipper", "flip " + i, b -> b.targetReadPercent(percent).shadowReadPercent(percent));
        }
        flipping.set(false);
        assertTrue(finished.await(30, TimeUnit.SECONDS));
        assertEquals(null, problem.get());
        assertTrue(reads.get() > 0);
        assertFalse(flags.state("orders").version() < 301);
    }

    @Test
    void moveTo_withATypoInTheMigrationName_isRefusedListingTheKnownMigrations_andStoresNothing() {
        FlagStore store = FlagStore.inMemory();
        MigrationFlags flags = open(store);
        flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "declared, so it may start");
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> flags.moveTo("ordres", Stage.DUAL_WRITE, "alice", "typo"));
        assertTrue(typo.getMessage().contains("Unknown migration 'ordres'"), typo.getMessage());
        assertTrue(typo.getMessage().contains("Known migrations: [orders]"), typo.getMessage());
        assertTrue(typo.getMessage().contains("declare(\"ordres\")"), typo.getMessage());
        assertThrows(IllegalArgumentException.class, () -> flags.update("ordres", "alice", "typo", b -> b));
        assertThrows(IllegalArgumentException.class, () -> flags.setTargetReadPercent("ordres", 5, "alice", "typo"));
        assertThrows(IllegalArgumentException.class, () -> flags.reset("ordres", "alice", "typo"));
        assertEquals(Set.of("orders"), store.loadAll().keySet());
        assertEquals(List.of(), store.audit("ordres", 10));
    }

    @Test
    void create_storesANewMigrationAtSourceOnly_soAnotherProcessMayFlipItWithoutDeclaringIt() {
        FlagStore store = FlagStore.inMemory();
        MigrationFlags operatorTool = MigrationFlags.builder(store).refreshInterval(FAST).build();
        opened.add(operatorTool);
        MigrationState created = operatorTool.create("payments", "alice", "new migration");
        assertEquals(MigrationState.initial("payments").toBuilder().version(1).build(), created);
        assertEquals(created, operatorTool.create("payments", "alice", "again: nothing to do"));
        assertEquals(1, store.audit("payments", 10).size());

        MigrationFlags other = MigrationFlags.builder(store).refreshInterval(FAST).build();
        opened.add(other);
        assertEquals(Stage.DUAL_WRITE, other.moveTo("payments", Stage.DUAL_WRITE, "bob", "stored, so known").stage());
    }

    @Test
    void rollingBackOutOfShiftReads_resetsTheTargetReadShare_soReenteringShiftReadsStartsAtZero() {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "shift");
        flags.setTargetReadPercent("orders", 50, "alice", "half");

        MigrationState rolledBack = flags.moveTo("orders", Stage.DUAL_WRITE, "oncall", "mismatches");
        assertEquals(0, rolledBack.targetReadPercent());
        MigrationState again = flags.moveTo("orders", Stage.SHIFT_READS, "alice", "try again");
        assertEquals(0, again.targetReadPercent());
        assertEquals(Side.SOURCE, again.readSide("any-key"));

        flags.setTargetReadPercent("orders", 100, "alice", "all");
        flags.moveTo("orders", Stage.TARGET_PRIMARY, "alice", "primary");
        // Back to SHIFT_READS keeps the share: reads stay where they were.
        assertEquals(100, flags.moveTo("orders", Stage.SHIFT_READS, "oncall", "back one").targetReadPercent());
        flags.moveTo("orders", Stage.TARGET_PRIMARY, "alice", "primary again");
        assertEquals(0, flags.forceMoveTo("orders", Stage.SOURCE_ONLY, "oncall", "all the way back").targetReadPercent());
        assertEquals(0, flags.audit("orders", 1).get(0).after().targetReadPercent());
    }

    @Test
    void aMigrationWhoseRowVanishesPastSourceOnly_keepsItsLastKnownState_untilRestoredOrResetExplicitly() {
        DeletableStore store = new DeletableStore();
        MigrationFlags flags = open(store);
        flags.forceMoveTo("orders", Stage.TARGET_PRIMARY, "alice", "cut over");
        flags.create("payments", "alice", "stays SOURCE_ONLY");
        MigrationState primary = flags.state("orders");
        try (LogCapture log = new LogCapture()) {
            store.delete("orders");
            store.delete("payments");
            Await.until("the vanished row is counted", () -> flags.vanishedCount() == 1);
            flags.refresh();
            flags.refresh();
            assertEquals(1, flags.vanishedCount());
            assertTrue(primary.sameFlagsAs(flags.state("orders")), "state " + flags.state("orders"));
            assertEquals(Stage.SOURCE_ONLY, flags.state("payments").stage());
            String error = log.find("ERROR", "'orders'", "vanished", "TARGET_PRIMARY", "restore the row", "reset");
            assertTrue(error != null, "no ERROR line naming the migration and the fix in " + log.lines());
            assertEquals(null, log.find("ERROR", "'payments'"));
        }

        // A flip of the vanished migration starts from the kept state and stores it: the row is back.
        MigrationState restored = flags.moveTo("orders", Stage.TARGET_PRIMARY, "oncall", "restore the row");
        assertTrue(primary.sameFlagsAs(restored), "restored " + restored);
        assertTrue(primary.sameFlagsAs(store.loadAll().get("orders")));

        store.delete("orders");
        Await.until("the second vanishing is counted", () -> flags.vanishedCount() == 2);
        MigrationState reset = flags.reset("orders", "oncall", "start over");
        assertEquals(MigrationState.initial("orders").toBuilder().version(1).build(), reset);
        flags.refresh();
        assertEquals(reset, flags.state("orders"));
    }

    @Test
    void aLoadThatHangs_countsAsAFailedLoadAfterTheLoadTimeout_andIsLoggedAsAnOutage() {
        DeletableStore store = new DeletableStore();
        MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(FAST).declare("orders")
                .loadTimeout(Duration.ofMillis(200)).build();
        opened.add(flags);
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "before the hang");
        try (LogCapture log = new LogCapture()) {
            store.hang();
            long start = System.nanoTime();
            Await.until("a failed load", () -> flags.storeErrorCount() >= 1);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the hang was noticed too late");
            Await.until("more failed loads while the first still hangs", () -> flags.storeErrorCount() >= 3);
            assertEquals(1, flags.outageCount());
            assertTrue(log.find("WARN", "Cannot read the migration flag store", "load timeout of 200 ms") != null,
                    "no outage WARN in " + log.lines());
            assertEquals(Stage.SHIFT_READS, flags.state("orders").stage());

            store.release();
            Await.until("recovery is logged", () -> log.find("INFO", "readable again") != null);
            long errors = flags.storeErrorCount();
            flags.refresh();
            assertEquals(errors, flags.storeErrorCount());
        } finally {
            store.release();
        }
    }

    @Test
    void buildDuringAStoreThatHangs_failsFastAfterTheLoadTimeout_namingTheFix() {
        DeletableStore store = new DeletableStore();
        store.hang();
        try {
            long start = System.nanoTime();
            FlagStoreException e = assertThrows(FlagStoreException.class, () -> MigrationFlags.builder(store)
                    .startTimeout(Duration.ofMillis(300)).build());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "build waited too long");
            assertTrue(e.getMessage().contains("within the start timeout of 300 ms at start-up"), e.getMessage());
            assertTrue(e.getMessage().contains("startDuringStoreOutage(true)"), e.getMessage());

            MigrationFlags allowed = MigrationFlags.builder(store).startTimeout(Duration.ofMillis(300))
                    .startDuringStoreOutage(true).build();
            opened.add(allowed);
            assertEquals(Stage.SOURCE_ONLY, allowed.state("orders").stage());
            assertEquals(1, allowed.outageCount());
        } finally {
            store.release();
        }
    }

    @Test
    void buildDuringAStoreOutage_failsWithTheCauseByDefault() {
        UnreliableStore store = new UnreliableStore();
        store.down();
        FlagStoreException e = assertThrows(FlagStoreException.class, () -> MigrationFlags.builder(store).build());
        assertTrue(e.getMessage().startsWith("Cannot read the migration flag store"), e.getMessage());
        assertEquals("store is down (test)", e.getCause().getMessage());
    }

    @Test
    void loadTimeout_outsideTenMillisToAMinute_isRejected() {
        MigrationFlags.Builder builder = MigrationFlags.builder(FlagStore.inMemory());
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> builder.loadTimeout(Duration.ofMillis(5)));
        assertEquals("loadTimeout must be between 10 ms and 1 min, but was 5 ms: set a value in that range", e.getMessage());
        assertThrows(CutoverConfigurationException.class, () -> builder.loadTimeout(Duration.ofMinutes(2)));
        assertThrows(CutoverConfigurationException.class, () -> builder.startTimeout(Duration.ofMillis(5)));
    }

    @Test
    void afterClose_stateStillAnswersButFlipsAreRefused() {
        MigrationFlags flags = open(FlagStore.inMemory());
        flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "go");
        flags.close();
        assertEquals(Stage.DUAL_WRITE, flags.state("orders").stage());
        assertThrows(IllegalStateException.class, () -> flags.moveTo("orders", Stage.SHIFT_READS, "alice", "go"));
    }
}
