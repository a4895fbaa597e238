package dev.cutover.flags;

import dev.cutover.testsupport.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.LogCapture;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The JDBC store and {@link MigrationFlags} over it, on every engine: PostgreSQL, MariaDB and H2. */
class JdbcFlagStoreTest {
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestDatabase database(Engine engine) {
        TestDatabase db = TestDatabases.create(engine, "flags");
        resources.add(db);
        return db;
    }

    /** A store over its own pool, as a separate application instance would have. */
    private static JdbcFlagStore store(TestDatabase db) {
        return JdbcFlagStore.create(db.dataSource(4));
    }

    private static JdbcFlagStore storeWithTables(TestDatabase db) {
        JdbcFlagStore store = store(db);
        store.createTables();
        return store;
    }

    private MigrationFlags flags(FlagStore store) {
        MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(INTERVAL).declare("orders", "other").build();
        resources.add(flags);
        return flags;
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void tablesAreCreatedOnlyOnRequest_andCreatingTwiceIsHarmless(Engine engine) {
        TestDatabase db = database(engine);
        JdbcFlagStore store = store(db);
        FlagStoreException missing = assertThrows(FlagStoreException.class, store::loadAll);
        assertTrue(missing.getMessage().contains("createTables()"), missing.getMessage());
        store.createTables();
        store.createTables();
        assertEquals(0, store.loadAll().size());
        assertEquals("cutover_flag_state", store.stateTable());
        assertEquals("cutover_flag_audit", store.auditTable());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void tablePrefix_separatesSetsOfFlagsInOneDatabase(Engine engine) {
        TestDatabase db = database(engine);
        JdbcFlagStore blue = JdbcFlagStore.create(db.dataSource(2),
                JdbcFlagStoreConfig.custom().tablePrefix("blue_").build());
        JdbcFlagStore green = JdbcFlagStore.create(db.dataSource(2),
                JdbcFlagStoreConfig.custom().tablePrefix("green_").build());
        blue.createTables();
        green.createTables();
        blue.save(MigrationState.initial("orders"), MigrationState.builder("orders").stage(Stage.DUAL_WRITE).build(),
                "alice", "blue only");
        assertEquals(Set.of("orders"), blue.loadAll().keySet());
        assertEquals(Set.of(), green.loadAll().keySet());
        assertEquals("blue_flag_state", blue.stateTable());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void twoInstances_seeEachOthersFlipsWithinTheRefreshInterval(Engine engine) {
        TestDatabase db = database(engine);
        MigrationFlags first = flags(storeWithTables(db));
        MigrationFlags second = flags(store(db));

        first.moveTo("orders", Stage.DUAL_WRITE, "alice", "start mirroring");
        Await.until(() -> second.state("orders").stage() == Stage.DUAL_WRITE);
        assertEquals(first.state("orders"), second.state("orders"));

        second.moveTo("orders", Stage.SHIFT_READS, "bob", "shift");
        second.setTargetReadPercent("orders", 12.34, "bob", "a little");
        Await.until(() -> first.state("orders").targetReadPercent() == 12.34);
        assertEquals(Stage.SHIFT_READS, first.state("orders").stage());
        assertEquals(second.state("orders"), first.state("orders"));
        assertEquals(3, first.state("orders").version());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void plainSqlUpdates_arePickedUpByEveryInstance_withOrWithoutAVersionBump(Engine engine) {
        TestDatabase db = database(engine);
        MigrationFlags flags = flags(storeWithTables(db));
        MigrationFlags other = flags(store(db));
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "go");
        List<String> heard = new CopyOnWriteArrayList<>();
        flags.addListener((before, after) -> heard.add(after.stage() + "@" + after.targetReadPercent()));

        db.execute("UPDATE cutover_flag_state SET target_read_percent = 55.5 WHERE migration = 'orders'");
        Await.until(() -> flags.state("orders").targetReadPercent() == 55.5
                && other.state("orders").targetReadPercent() == 55.5);
        assertEquals(55.5, flags.state("orders").targetReadPercent());
        assertEquals(55.5, other.state("orders").targetReadPercent());
        assertEquals(1, flags.state("orders").version());

        db.execute("UPDATE cutover_flag_state SET stage = 'target-primary', version = version + 1,"
                + " target_keys = 'tenant-9' WHERE migration = 'orders'");
        Await.until(() -> flags.state("orders").stage() == Stage.TARGET_PRIMARY
                && other.state("orders").stage() == Stage.TARGET_PRIMARY);
        assertEquals(Stage.TARGET_PRIMARY, flags.state("orders").stage());
        assertEquals(Set.of("tenant-9"), flags.state("orders").targetKeys());
        assertEquals(2, flags.state("orders").version());
        assertEquals(flags.state("orders"), other.state("orders"));
        // Listeners hear a change just after the snapshot shows it, on the thread that installed it.
        Await.until(() -> heard.size() >= 2);
        assertEquals(List.of("SHIFT_READS@55.5", "TARGET_PRIMARY@55.5"), heard);

        MigrationState flipped = other.moveTo("orders", Stage.TARGET_ONLY, "bob", "after the hand edit");
        assertEquals(3, flipped.version());
        assertEquals(55.5, flipped.targetReadPercent());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void auditTrail_listsEveryFlipWithActorReasonStatesAndUtcTime(Engine engine) {
        TestDatabase db = database(engine);
        MigrationFlags flags = flags(storeWithTables(db));
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "mirror");
        flags.moveTo("orders", Stage.SHIFT_READS, "bob", "shift");
        flags.setTargetReadPercent("orders", 0.01, "carol", "first basis point");
        flags.update("orders", "dave", "canaries", b -> b.targetKeys(List.of("t1", "t2")).sourceKeys(List.of("vip")));
        flags.moveTo("orders", Stage.SOURCE_ONLY, "erin", "rollback: mismatches");
        flags.moveTo("other", Stage.DUAL_WRITE, "frank", "another migration");

        List<FlagChange> audit = flags.audit("orders", 100);
        assertEquals(List.of("erin", "dave", "carol", "bob", "alice"), audit.stream().map(FlagChange::actor).toList());
        assertEquals(List.of("rollback: mismatches", "canaries", "first basis point", "shift", "mirror"),
                audit.stream().map(FlagChange::reason).toList());
        for (int i = 0; i < audit.size(); i++) {
            FlagChange change = audit.get(i);
            assertEquals("orders", change.migration());
            assertEquals(5 - i, change.after().version());
            assertEquals(change.before().version() + 1, change.after().version());
            if (i + 1 < audit.size()) {
                assertEquals(audit.get(i + 1).after(), change.before());
            }
            assertTrue(!change.at().isBefore(start) && change.at().isBefore(Instant.now().plusSeconds(1)),
                    "audit time " + change.at() + " is not the UTC time of the flip");
        }
        assertEquals(Set.of("t1", "t2"), audit.get(0).before().targetKeys());
        assertEquals(Set.of("vip"), audit.get(0).before().sourceKeys());
        assertEquals(Stage.SOURCE_ONLY, audit.get(0).after().stage());
        assertEquals(flags.state("orders"), audit.get(0).after());
        assertEquals(2, flags.audit("orders", 2).size());
        assertEquals(1, flags.audit("other", 100).size());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void canaryKeys_withAnyCharacters_roundTrip(Engine engine) {
        TestDatabase db = database(engine);
        JdbcFlagStore store = storeWithTables(db);
        Set<String> odd = Set.of("plain", "with,comma", "two\nlines", "back\\slash", "\\n literal", "ünïcødé 🚀");
        MigrationState next = MigrationState.builder("orders").stage(Stage.SHIFT_READS).targetKeys(odd)
                .sourceKeys(Set.of("carriage\rreturn")).build();
        store.save(MigrationState.initial("orders"), next, "alice", "canaries");
        MigrationState loaded = store.loadAll().get("orders");
        assertEquals(odd, loaded.targetKeys());
        assertEquals(Set.of("carriage\rreturn"), loaded.sourceKeys());
        assertEquals(odd, store.audit("orders", 1).get(0).after().targetKeys());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void concurrentFlipsFromTwoInstances_neverLoseAnAuditRow(Engine engine) throws Exception {
        TestDatabase db = database(engine);
        MigrationFlags first = flags(storeWithTables(db));
        MigrationFlags second = flags(store(db));
        first.forceMoveTo("orders", Stage.SHIFT_READS, "setup", "");
        int perThread = 15;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                MigrationFlags flags = t % 2 == 0 ? first : second;
                String actor = "instance-" + (t % 2) + "-thread-" + t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        flags.update("orders", actor, "bump " + i,
                                b -> b.targetReadPercent((b.build().targetReadBasisPoints() + 1) / 100.0));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int flips = 1 + 4 * perThread;
        List<FlagChange> audit = first.audit("orders", 1_000);
        assertEquals(flips, audit.size());
        for (int i = 0; i < audit.size() - 1; i++) {
            assertEquals(audit.get(i + 1).after(), audit.get(i).before(), "audit chain broken at " + i);
        }
        MigrationState last = JdbcFlagStore.create(db.dataSource(1)).loadAll().get("orders");
        assertEquals(flips, last.version());
        // Every bump added one basis point on top of the state it read: none was lost.
        assertEquals(4 * perThread, last.targetReadBasisPoints());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void illegalHandEdits_keepTheLastGoodState_andAreCountedOncePerProblem(Engine engine) {
        TestDatabase db = database(engine);
        JdbcFlagStore store = storeWithTables(db);
        MigrationFlags flags = flags(store);
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "go");
        flags.setTargetReadPercent("orders", 10, "alice", "ten");
        MigrationState good = flags.state("orders");

        db.execute("UPDATE cutover_flag_state SET stage = 'warp_speed' WHERE migration = 'orders'");
        Await.until(() -> store.invalidValueCount() == 1);
        flags.refresh();
        flags.refresh();
        assertEquals(1, store.invalidValueCount());
        assertTrue(good.sameFlagsAs(flags.state("orders")), "state " + flags.state("orders"));

        db.execute("UPDATE cutover_flag_state SET stage = 'SHIFT_READS', target_read_percent = 120,"
                + " version = version + 1 WHERE migration = 'orders'");
        Await.until(() -> store.invalidValueCount() == 2);
        db.execute("UPDATE cutover_flag_state SET target_read_percent = -5 WHERE migration = 'orders'");
        Await.until(() -> store.invalidValueCount() == 3);
        flags.refresh();
        assertEquals(3, store.invalidValueCount());
        assertTrue(good.sameFlagsAs(flags.state("orders")), "state " + flags.state("orders"));
        assertEquals(3, flags.invalidValueCount());

        // A flip through Cutover replaces the illegal row, whatever version the hand edit left.
        MigrationState fixed = flags.setTargetReadPercent("orders", 20, "bob", "repair");
        assertEquals(20, fixed.targetReadPercent());
        assertEquals(fixed, store.loadAll().get("orders"));
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void illegalRowSeenByAFreshInstance_fallsBackToTheNewestAuditedState(Engine engine) {
        TestDatabase db = database(engine);
        MigrationFlags writer = flags(storeWithTables(db));
        writer.forceMoveTo("orders", Stage.TARGET_PRIMARY, "alice", "cut over");
        db.execute("UPDATE cutover_flag_state SET stage = 'nonsense' WHERE migration = 'orders'");

        JdbcFlagStore freshStore = store(db);
        MigrationFlags fresh = flags(freshStore);
        assertEquals(Stage.TARGET_PRIMARY, fresh.state("orders").stage());
        assertEquals(1, freshStore.invalidValueCount());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void deletedRowPastSourceOnly_keepsTheLastKnownState_logsAnErrorAndCountsIt_untilRestored(Engine engine) {
        TestDatabase db = database(engine);
        MigrationFlags flags = flags(storeWithTables(db));
        flags.forceMoveTo("orders", Stage.TARGET_PRIMARY, "alice", "cut over");
        flags.forceMoveTo("other", Stage.DUAL_WRITE, "alice", "mirroring");
        MigrationState primary = flags.state("orders");
        try (LogCapture log = new LogCapture()) {
            db.execute("DELETE FROM cutover_flag_state WHERE migration = 'orders'");
            Await.until("the vanished row is counted", () -> flags.vanishedCount() == 1);
            flags.refresh();
            assertTrue(primary.sameFlagsAs(flags.state("orders")), "state " + flags.state("orders"));
            assertEquals(Stage.DUAL_WRITE, flags.state("other").stage());
            assertTrue(log.find("ERROR", "'orders'", "vanished", "restore the row") != null,
                    "no ERROR line naming the migration and the fix in " + log.lines());
        }
        // Others keep following flips meanwhile.
        db.execute("UPDATE cutover_flag_state SET stage = 'SHIFT_READS' WHERE migration = 'other'");
        Await.until("the other migration follows", () -> flags.state("other").stage() == Stage.SHIFT_READS);

        // A process started since keeps the audited state of its declared migration too, and cannot
        // re-create it at SOURCE_ONLY.
        MigrationFlags fresh = flags(store(db));
        Await.until("the fresh instance finds the vanished row in the audit", () -> fresh.vanishedCount() == 1);
        assertTrue(primary.sameFlagsAs(fresh.state("orders")), "fresh instance follows " + fresh.state("orders"));
        IllegalStateException recreate = assertThrows(IllegalStateException.class,
                () -> fresh.create("orders", "bob", "re-create"));
        assertTrue(recreate.getMessage().contains("vanished while it was in TARGET_PRIMARY"), recreate.getMessage());
        // Restoring the row through a flip, from that process: every instance follows the row again.
        MigrationState restored = fresh.moveTo("orders", Stage.TARGET_PRIMARY, "oncall", "restore the deleted row");
        assertTrue(primary.sameFlagsAs(restored), "restored " + restored);
        MigrationFlags later = flags(store(db));
        assertTrue(primary.sameFlagsAs(later.state("orders")), "a later instance sees " + later.state("orders"));
        assertEquals(0, later.vanishedCount());
        flags.moveTo("orders", Stage.SHIFT_READS, "oncall", "the first instance follows the restored row");
        Await.until("the restored row is followed", () -> later.state("orders").stage() == Stage.SHIFT_READS);
        assertEquals(1, flags.vanishedCount());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void droppedAndRecreatedTable_keepsEveryMigrationsLastKnownState_andLogsAnError(Engine engine) {
        TestDatabase db = database(engine);
        JdbcFlagStore store = storeWithTables(db);
        MigrationFlags flags = flags(store);
        flags.forceMoveTo("orders", Stage.TARGET_PRIMARY, "alice", "cut over");
        try (LogCapture log = new LogCapture()) {
            db.execute("DROP TABLE cutover_flag_state");
            Await.until("the missing table fails a load", () -> flags.storeErrorCount() > 0);
            store.createTables();
            Await.until("the vanished row is counted", () -> flags.vanishedCount() == 1);
            flags.refresh();
            assertEquals(Stage.TARGET_PRIMARY, flags.state("orders").stage());
            assertTrue(log.find("ERROR", "'orders'", "vanished") != null, "no ERROR line in " + log.lines());
        }
        MigrationState reset = flags.reset("orders", "oncall", "start over after the table was re-created");
        assertEquals(Stage.SOURCE_ONLY, reset.stage());
        assertEquals(reset, store.loadAll().get("orders"));
    }

    @org.junit.jupiter.api.Test
    void nanPercentInOneRow_affectsOnlyThatMigration_namesColumnAndFix_andIsNoOutage() {
        // Only PostgreSQL's NUMERIC accepts NaN; MariaDB and H2 refuse it on UPDATE.
        TestDatabase db = database(Engine.POSTGRESQL);
        JdbcFlagStore store = storeWithTables(db);
        MigrationFlags flags = flags(store);
        flags.forceMoveTo("orders", Stage.SHIFT_READS, "alice", "shift");
        flags.setTargetReadPercent("orders", 10, "alice", "ten");
        flags.moveTo("other", Stage.DUAL_WRITE, "alice", "mirror");
        MigrationState good = flags.state("orders");
        try (LogCapture log = new LogCapture()) {
            db.execute("UPDATE cutover_flag_state SET target_read_percent = 'NaN' WHERE migration = 'orders'");
            Await.until("the NaN is counted", () -> store.invalidValueCount() == 1);
            db.execute("UPDATE cutover_flag_state SET stage = 'SHIFT_READS', target_read_percent = 7"
                    + " WHERE migration = 'other'");
            Await.until("the other migration follows", () -> flags.state("other").targetReadPercent() == 7);
            assertEquals(Stage.SHIFT_READS, flags.state("other").stage());
            assertTrue(good.sameFlagsAs(flags.state("orders")), "state " + flags.state("orders"));
            assertEquals(0, flags.storeErrorCount());
            assertEquals(0, flags.outageCount());
            assertEquals(1, flags.invalidValueCount());
            String line = log.find("WARN", "'orders'", "target_read_percent", "'NaN'", "Fix:");
            assertTrue(line != null, "no line naming migration, column and fix in " + log.lines());
            assertFalse(line.contains("reachable"), line);
            assertEquals(null, log.find("Cannot read the migration flag store"));
        }
        // Stage names and percentages out of range affect only their migration as well.
        db.execute("UPDATE cutover_flag_state SET stage = 'warp_speed' WHERE migration = 'other'");
        Await.until("the unknown stage is counted", () -> store.invalidValueCount() == 2);
        assertEquals(Stage.SHIFT_READS, flags.state("other").stage());
        MigrationState fixed = flags.setTargetReadPercent("orders", 20, "bob", "repair the NaN");
        assertEquals(fixed, store.loadAll().get("orders"));
        assertEquals(0, flags.storeErrorCount());
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void concurrentCreationOfTheSameMigration_letsExactlyOneWin(Engine engine) {
        TestDatabase db = database(engine);
        JdbcFlagStore one = storeWithTables(db);
        JdbcFlagStore two = store(db);
        MigrationState initial = MigrationState.initial("orders");
        one.save(initial, MigrationState.builder("orders").stage(Stage.DUAL_WRITE).build(), "alice", "first");
        ConcurrentFlipException lost = assertThrows(ConcurrentFlipException.class,
                () -> two.save(initial, MigrationState.builder("orders").stage(Stage.DUAL_WRITE).build(), "bob", "late"));
        assertTrue(lost.getMessage().contains("orders"), lost.getMessage());
        MigrationState stale = one.loadAll().get("orders");
        one.save(stale, stale.toBuilder().stage(Stage.SHIFT_READS).build(), "alice", "second");
        assertThrows(ConcurrentFlipException.class,
                () -> two.save(stale, stale.toBuilder().stage(Stage.SOURCE_ONLY).build(), "bob", "stale"));
        assertEquals(2, one.audit("orders", 10).size());
    }
}
