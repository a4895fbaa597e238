package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.BackfillProgress.Phase;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backfill on real databases of every dialect, without concurrent writers (those are
 * {@link BackfillTrafficTest}'s): what it copies and deletes, composite and text keys, stop, resume,
 * pause, throttling, back-off and refusals.
 */
class BackfillTest {
    private static final String MIGRATION = "backfill";
    private static final String SOURCE = "SELECT id, full_name, balance, note FROM customer ORDER BY id";
    private static final String TARGET = "SELECT customer_id, name, balance_cents, note FROM customers ORDER BY customer_id";

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> enginePairs() {
        return RowCopierTest.enginePairs();
    }

    /**
     * A MariaDB target with a unique index besides the key's: the multi-row ON DUPLICATE KEY UPDATE
     * turned the insert of row 1, whose e-mail a stale row 2 still held, into an update of row 2, so the
     * backfill finished with row 1 missing and nothing said. Such tables are written by key, and the
     * collision fails the backfill, naming it, with nothing of the chunk written.
     */
    @org.junit.jupiter.api.Test
    void aRowCollidingWithAStaleRowOnAnotherUniqueIndex_failsTheBackfillInsteadOfOverwritingThatRow() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "bfsrc");
                TestDatabase target = TestDatabases.create(Engine.MARIADB, "bftgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE member (id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE)");
            }
            source.execute("INSERT INTO member VALUES (1, 'a@example.com')", "INSERT INTO member VALUES (2, 'b@example.com')");
            target.execute("INSERT INTO member VALUES (2, 'a@example.com')");
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(TableMapping.builder("member").key("id", Long.class).column("email").build()).build();

            assertThrows(BackfillException.class, () -> Backfill.builder(resync, flags, MIGRATION).build().run());
            assertEquals(List.of(List.of(2L, "a@example.com")), RowCopierTest.rows(target,
                    "SELECT id, email FROM member ORDER BY id"), "the stale row is untouched and nothing half-written");
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void copiesEveryRowConverted_andDeletesTargetRowsTheSourceLacks(Engine sourceEngine, Engine targetEngine)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "bfsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "bftgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 1_200, 3);
            // Stale target rows: before the first key, in gaps of the source's keys, after the last
            // key, and rows with other values.
            target.execute("INSERT INTO customers VALUES (-5, 'gone', 1, NULL)", "INSERT INTO customers VALUES (2, 'gone', 1, NULL)",
                    "INSERT INTO customers VALUES (302, 'gone', 1, NULL)", "INSERT INTO customers VALUES (4, 'old', 1, 'x')",
                    "INSERT INTO customers VALUES (99999, 'gone', 1, NULL)");
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            Backfill backfill = Backfill.builder(resync, flags, MIGRATION)
                    .config(BackfillConfig.custom().chunkSize(20, 50, 150).build()).build();

            BackfillProgress done = backfill.run();

            assertEquals(Phase.FINISHED, done.phase());
            assertEquals(400, done.rowsDone());
            assertEquals(400, done.rowsTotal());
            assertEquals(4, done.rowsDeleted(), "the four rows the source lacks");
            assertTrue(done.chunks() >= 400 / 150, "chunks: " + done.chunks());
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
            assertEquals(100.0, done.percentDone());
        }
    }

    @Test
    void compositeTextKeys_areCopiedInChunks_andTheTargetWalkDeletesWhatTheSourceLacks() throws Exception {
        for (Engine[] pair : serverPairs()) {
            try (TestDatabase source = TestDatabases.create(pair[0], "bfcsrc");
                    TestDatabase target = TestDatabases.create(pair[1], "bfctgt");
                    MigrationFlags flags = flags(Stage.SHIFT_READS)) {
                source.execute("CREATE TABLE stock (region VARCHAR(20) NOT NULL, item INT NOT NULL, qty INT,"
                        + " PRIMARY KEY (region, item))");
                target.execute("CREATE TABLE stock (region VARCHAR(20) NOT NULL, item INT NOT NULL, qty INT,"
                        + " PRIMARY KEY (region, item))");
                List<String> inserts = new ArrayList<>();
                for (String region : List.of("eu", "us", "apac")) {
                    for (int item = 1; item <= 40; item++) {
                        inserts.add("INSERT INTO stock VALUES ('" + region + "', " + item + ", " + item * 2 + ")");
                    }
                }
                source.execute(inserts.toArray(String[]::new));
                target.execute("INSERT INTO stock VALUES ('eu', 41, 0)", "INSERT INTO stock VALUES ('aa', 1, 0)",
                        "INSERT INTO stock VALUES ('us', 3, 999)", "INSERT INTO stock VALUES ('zz', 7, 0)");
                TableMapping stock = TableMapping.builder("stock").key("region", String.class).key("item", Integer.class)
                        .column("qty").build();
                assertFalse(Backfill.comparableAsRanges(stock), "text keys are not compared as ranges across databases");
                RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(stock).build();
                List<Phase> phases = new CopyOnWriteArrayList<>();
                BackfillProgress done = Backfill.builder(resync, flags, MIGRATION)
                        .config(BackfillConfig.custom().chunkSize(7, 7, 7).build())
                        .listener(p -> phases.add(p.phase())).build().run();

                String all = "SELECT region, item, qty FROM stock ORDER BY region, item";
                assertEquals(RowCopierTest.rows(source, all), RowCopierTest.rows(target, all), pair[0] + " -> " + pair[1]);
                assertEquals(120, done.rowsDone());
                assertEquals(3, done.rowsDeleted());
                assertTrue(phases.contains(Phase.CLEANING_TARGET), "phases: " + phases);
            }
        }
    }

    /**
     * The race the re-check closes, made to happen: a target row the source lacks is about to be
     * deleted by a chunk when the source's row is inserted again and copied. The chunk must see it and
     * try again rather than delete the copy; in both ways of finding stale rows.
     */
    @ParameterizedTest(name = "key ranges {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aRowReinsertedAndCopiedWhileTheChunkDeletesItsStaleTargetRow_isNotDeleted(boolean ranges) throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "bfasrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "bfatgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 30, 2);
            target.execute("INSERT INTO customers VALUES (10, 'stale', 1, NULL)");
            TableMapping mapping = ranges ? RowCopierTest.customers() : TableMapping.builder("customers")
                    .sourceTable("customer").targetTable("customers")
                    .key("id", "customer_id", Long.class, KeyTranslation.identity())
                    .column("full_name", "name")
                    .column("balance", "balance_cents",
                            v -> v == null ? null : ((BigDecimal) v).movePointRight(2).longValueExact(),
                            v -> v == null ? null : BigDecimal.valueOf(((Number) v).longValue(), 2))
                    .column("note").build();
            DataSource targetPool = target.dataSource(3);
            RowCopier application = RowCopier.builder(source.dataSource(2), targetPool).mapping(mapping).build();
            AtomicBoolean raced = new AtomicBoolean();
            DataSource racing = beforeDelete(targetPool, () -> {
                if (raced.compareAndSet(false, true)) {
                    // The application re-inserts customer 10 and its write is copied, before the delete.
                    source.execute("INSERT INTO customer VALUES (10, 'back again', 5.00, NULL)");
                    application.copy("customers", "10");
                }
            });
            RowCopier resync = RowCopier.builder(source.dataSource(2), racing).mapping(mapping).build();

            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION)
                    .config(BackfillConfig.custom().chunkSize(100, 100, 100).build()).build().run();

            assertTrue(raced.get(), "the race was staged");
            assertEquals(1, done.chunkRetries(), "the chunk saw the re-inserted row and was tried again");
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    /** A data source whose connections run {@code before} just before they prepare a delete. */
    private static DataSource beforeDelete(DataSource pool, ThrowingRunnable before) {
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(BackfillTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(pool, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection connection = (Connection) result;
                    return java.lang.reflect.Proxy.newProxyInstance(BackfillTest.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (p, m, a) -> {
                                if (m.getName().equals("prepareStatement") && a[0] instanceof String sql
                                        && sql.startsWith("DELETE")) {
                                    before.run();
                                }
                                return invoke(connection, m, a);
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aStoppedBackfill_resumesAfterItsLastChunk() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "bfrsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "bfrtgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 300, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            BackfillCheckpoints checkpoints = BackfillCheckpoints.inMemory();
            BackfillConfig config = BackfillConfig.custom().chunkSize(25, 25, 25).build();
            BackfillProgress stopped = runUntilChunk(resync, flags, checkpoints, config, 4, new ArrayList<>());
            assertEquals(Phase.STOPPED, stopped.phase());
            assertEquals(100, stopped.rowsDone());
            assertEquals(100, RowCopierTest.rows(target, TARGET).size());
            assertEquals(List.of(false), checkpoints.load(MIGRATION).values().stream()
                    .map(BackfillCheckpoints.Checkpoint::finished).toList());

            List<Long> firstChunkRows = new CopyOnWriteArrayList<>();
            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION).config(config).checkpoints(checkpoints)
                    .listener(p -> firstChunkRows.add(p.rowsDone())).build().run();
            assertEquals(Phase.FINISHED, done.phase());
            assertEquals(300, done.rowsDone());
            assertEquals(100, firstChunkRows.get(0), "the second run starts where the first stopped");
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));

            // A backfill asked for after one finished starts over.
            target.execute("DELETE FROM customers WHERE customer_id = 7");
            BackfillProgress again = Backfill.builder(resync, flags, MIGRATION).config(config).checkpoints(checkpoints)
                    .build().run();
            assertEquals(300, again.rowsDone());
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    @Test
    void aStoppedBackfill_startsOver_whenTheMigrationWalkedBackToASingleSideStageSinceItsCheckpoint() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "bfwsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "bfwtgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 300, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            BackfillCheckpoints checkpoints = BackfillCheckpoints.inMemory();
            BackfillConfig config = BackfillConfig.custom().chunkSize(25, 25, 25).build();

            BackfillProgress stopped = runUntilChunk(resync, flags, checkpoints, config, 4, new ArrayList<>());
            assertEquals(Phase.STOPPED, stopped.phase());
            assertEquals(100, stopped.rowsDone());
            // Flips that keep both sides written leave the copied rows mirrored: the next run resumes.
            flags.moveTo(MIGRATION, Stage.SHIFT_READS, "test", "reads");
            flags.moveTo(MIGRATION, Stage.DUAL_WRITE, "test", "back");
            List<Long> rowsDone = new CopyOnWriteArrayList<>();
            BackfillProgress resumed = runUntilChunk(resync, flags, checkpoints, config, 6, rowsDone);
            assertEquals(100, rowsDone.get(0), "resumed after the four chunks of the first run");
            assertEquals(150, resumed.rowsDone());

            // In SOURCE_ONLY the source's writes are not mirrored, among them rows behind the checkpoint.
            flags.moveTo(MIGRATION, Stage.SOURCE_ONLY, "test", "walk back");
            source.execute("UPDATE customer SET full_name = 'renamed while source only' WHERE id = 7");
            source.execute("DELETE FROM customer WHERE id = 8");
            flags.moveTo(MIGRATION, Stage.DUAL_WRITE, "test", "again");

            rowsDone.clear();
            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION).config(config).checkpoints(checkpoints)
                    .listener(p -> rowsDone.add(p.rowsDone())).build().run();
            assertEquals(Phase.FINISHED, done.phase());
            assertEquals(0, rowsDone.get(0), "started over");
            assertEquals(299, done.rowsDone());
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    /** Runs a backfill that stops once its progress counts {@code chunks} chunks, adding each progress's rows done. */
    private static BackfillProgress runUntilChunk(RowCopier resync, MigrationFlags flags, BackfillCheckpoints checkpoints,
            BackfillConfig config, int chunks, List<Long> rowsDone) {
        Backfill[] backfill = new Backfill[1];
        backfill[0] = Backfill.builder(resync, flags, MIGRATION).config(config).checkpoints(checkpoints)
                .listener(p -> {
                    rowsDone.add(p.rowsDone());
                    if (p.chunks() == chunks) {
                        backfill[0].stop();
                    }
                }).build();
        return backfill[0].run();
    }

    @Test
    void aPausedBackfill_holdsBetweenChunks_untilResumed() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "bfpsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "bfptgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 200, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            Backfill[] backfill = new Backfill[1];
            AtomicBoolean once = new AtomicBoolean();
            backfill[0] = Backfill.builder(resync, flags, MIGRATION)
                    .config(BackfillConfig.custom().chunkSize(10, 10, 10).build())
                    .listener(p -> {
                        if (p.chunks() == 3 && once.compareAndSet(false, true)) {
                            backfill[0].pause();
                        }
                    }).build();
            CompletableFuture<BackfillProgress> done = backfill[0].start();
            dev.cutover.testsupport.Await.until("the backfill pauses",
                    () -> backfill[0].progress().phase() == Phase.PAUSED);
            long rows = backfill[0].progress().rowsDone();
            Thread.sleep(300);
            assertEquals(rows, backfill[0].progress().rowsDone(), "no chunk while paused");
            assertEquals(rows, RowCopierTest.rows(target, TARGET).size());
            assertTrue(backfill[0].isPaused());
            assertThrows(IllegalStateException.class, backfill[0]::run, "one run at a time");

            backfill[0].resume();
            BackfillProgress end = done.get(60, TimeUnit.SECONDS);
            assertEquals(Phase.FINISHED, end.phase());
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    @Test
    void rowsPerSecond_capsTheRateAndTheChunkSize() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "bftsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "bfttgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 300, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            List<Integer> sizes = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION)
                    .config(BackfillConfig.custom().rowsPerSecond(500).chunkTime(Duration.ofMillis(40)).build())
                    .listener(p -> sizes.add(p.chunkSize())).build().run();
            long took = System.nanoTime() - start;

            assertEquals(300, done.rowsDone());
            // 300 rows at 500 a second: the first chunk goes at once, the rest at the rate.
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(300 * 1000 / 500 - 100), "took " + took / 1_000_000 + " ms");
            assertTrue(sizes.subList(2, sizes.size()).stream().allMatch(s -> s <= 20),
                    "500 rows/s x 40 ms caps chunks at 20 rows: " + sizes);
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    /**
     * A chunk into PostgreSQL takes an advisory lock per row, and those share the server's lock table
     * with every session: whatever the configured chunk size, it copies at most
     * {@value Backfill#MAX_KEY_LOCKS} rows.
     */
    @Test
    void chunksIntoPostgresql_copyAtMostMaxKeyLocksRows() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "bflsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "bfltgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 2_500, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            List<Integer> sizes = new CopyOnWriteArrayList<>();
            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION)
                    .config(BackfillConfig.custom().chunkSize(10, 10_000, 10_000).build())
                    .listener(p -> sizes.add(p.chunkSize())).build().run();

            assertEquals(2_500, done.rowsDone());
            assertTrue(done.chunks() >= 3, "2,500 rows in chunks of at most 1,000: " + done.chunks() + " chunks");
            assertTrue(sizes.subList(1, sizes.size()).stream().allMatch(s -> s <= Backfill.MAX_KEY_LOCKS), "sizes " + sizes);
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    @Test
    void slowDualWriteCopies_makeTheBackfillBackOff() throws Exception {
        // Enough dual-write copies averaging 150 ms after the first chunk, over the absolute 100 ms;
        // the relative back-off is off, so no baseline window takes those copies for a baseline.
        BackfillProgress done = runWithWritesAfterFirstChunk("bfb", stats -> {
            for (int i = 0; i < LatencyBackOff.MIN_DECISION_COPIES; i++) {
                stats.mirrored(Side.TARGET, TimeUnit.MILLISECONDS.toNanos(i % 2 == 0 ? 100 : 200));
            }
        });
        assertTrue(done.backOffTime().compareTo(Duration.ZERO) > 0, "the wait after the chunk counts");
    }

    @Test
    void slowPrimaryWritesOnTheSource_makeTheBackfillBackOff_evenWhenTheirCopiesAreFast() throws Exception {
        // Copies of 10 ms after source writes of 140 ms: what callers wait averages 150 ms, over the
        // absolute 100 ms, although the copies alone stay far under it (a source slowed by the backfill).
        runWithWritesAfterFirstChunk("bfp", stats -> {
            for (int i = 0; i < LatencyBackOff.MIN_DECISION_COPIES; i++) {
                stats.primaryWrite(Side.SOURCE, true, TimeUnit.MILLISECONDS.toNanos(140));
                stats.mirrored(Side.TARGET, TimeUnit.MILLISECONDS.toNanos(10));
            }
        });
    }

    @Test
    void writesWithASlowTail_atTheirUsualAverage_makeTheBackfillBackOff() throws Exception {
        // A recorder stands in for the application's writers: every millisecond 20 writes, each a 2 ms
        // call on the source and a 2 ms copy, until the first chunk; from then on 19 of every 20 take
        // 1.6 + 1.6 ms and the 20th 1.6 + 17.6 ms. The writes still average 4 ms, their average without
        // the backfill, but 2.5% of their steps take over 1.25 times the 99th percentile without it.
        try (TestDatabase source = TestDatabases.create(Engine.H2, "bftsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "bfttgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 1_000, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            DualWriteCounters stats = new DualWriteCounters();
            AtomicBoolean slowTail = new AtomicBoolean();
            AtomicBoolean done = new AtomicBoolean();
            Thread writers = new Thread(() -> {
                while (!done.get()) {
                    for (int i = 0; i < 20; i++) {
                        boolean slow = slowTail.get();
                        stats.primaryWrite(Side.SOURCE, true, slow ? 1_600_000 : 2_000_000);
                        stats.mirrored(Side.TARGET, !slow ? 2_000_000 : i == 0 ? 17_600_000 : 1_600_000);
                    }
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "simulated-writers");
            writers.start();
            BackfillProgress progress;
            try {
                progress = Backfill.builder(resync, flags, MIGRATION).counters(stats)
                        .config(BackfillConfig.custom().chunkSize(10, 20, 20).build())
                        .listener(p -> slowTail.set(p.chunks() >= 1)).build().run();
            } finally {
                done.set(true);
                writers.join();
            }

            assertTrue(progress.backOffs() > 0, "the tail made it back off: " + progress);
            assertEquals(Phase.FINISHED, progress.phase());
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    /**
     * Backfills 100 rows in chunks of 20 with only the absolute back-off (100 ms) and a minimum duty
     * cycle of 0.5, recording the given dual writes after the first chunk, and checks that the backfill
     * halved its duty cycle once and still copied every row.
     */
    private static BackfillProgress runWithWritesAfterFirstChunk(String name, Consumer<DualWriteCounters> writes)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, name + "src");
                TestDatabase target = TestDatabases.create(Engine.H2, name + "tgt");
                MigrationFlags flags = flags(Stage.DUAL_WRITE)) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 100, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            DualWriteCounters stats = new DualWriteCounters();
            List<BackfillProgress> seen = new CopyOnWriteArrayList<>();
            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION).counters(stats)
                    .config(BackfillConfig.custom().chunkSize(10, 20, 20).backOffLatencyRatio(0)
                            .backOffMinDutyCycle(0.5).build())
                    .listener(p -> {
                        seen.add(p);
                        if (p.chunks() == 1) {
                            writes.accept(stats);
                        }
                    }).build().run();

            assertEquals(1, done.backOffs());
            assertTrue(seen.stream().anyMatch(p -> p.dutyCycle() == 0.5), "halved once: " + seen);
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
            return done;
        }
    }

    @Test
    void refusesToRun_unlessTheSourceIsPrimaryAndBothSidesAreWritten() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "bfxsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "bfxtgt")) {
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 10, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            for (Stage stage : List.of(Stage.SOURCE_ONLY, Stage.TARGET_PRIMARY, Stage.TARGET_ONLY)) {
                try (MigrationFlags flags = flags(stage)) {
                    BackfillException e = assertThrows(BackfillException.class,
                            () -> Backfill.builder(resync, flags, MIGRATION).build().run());
                    assertTrue(e.getMessage().contains("is in stage " + stage) && e.getMessage().contains("DUAL_WRITE"),
                            e.getMessage());
                }
            }
            assertEquals(List.of(), RowCopierTest.rows(target, TARGET));
        }
    }

    @Test
    void aMoveOfThePrimaryMidway_stopsTheBackfill_whichResumesOnceTheSourceIsPrimaryAgain() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "bfmsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "bfmtgt");
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(MIGRATION)
                        .refreshInterval(Duration.ofMillis(10)).handoverPause(Duration.ofMillis(50)).build()) {
            flags.forceMoveTo(MIGRATION, Stage.SHIFT_READS, "test", "test");
            RowCopierTest.createTables(source, target);
            insertCustomers(source, 1, 100, 1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(RowCopierTest.customers()).build();
            BackfillCheckpoints checkpoints = BackfillCheckpoints.inMemory();
            BackfillConfig config = BackfillConfig.custom().chunkSize(10, 10, 10).build();
            BackfillException e = assertThrows(BackfillException.class, () -> Backfill.builder(resync, flags, MIGRATION)
                    .config(config).checkpoints(checkpoints).listener(p -> {
                        if (p.chunks() == 2 && flags.state(MIGRATION).stage() == Stage.SHIFT_READS) {
                            flags.moveTo(MIGRATION, Stage.TARGET_PRIMARY, "test", "primary moves");
                        }
                    }).build().run());
            assertTrue(e.getMessage().contains("TARGET_PRIMARY"), e.getMessage());
            assertEquals(20, RowCopierTest.rows(target, TARGET).size(), "nothing after the move");

            flags.moveTo(MIGRATION, Stage.SHIFT_READS, "test", "back");
            BackfillProgress done = Backfill.builder(resync, flags, MIGRATION).config(config).checkpoints(checkpoints)
                    .build().run();
            assertEquals(Phase.FINISHED, done.phase());
            assertEquals(expectedTarget(source), RowCopierTest.rows(target, TARGET));
        }
    }

    static List<Engine[]> serverPairs() {
        List<Engine[]> pairs = new ArrayList<>();
        pairs.add(new Engine[] {Engine.POSTGRESQL, Engine.POSTGRESQL});
        if (TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB)) {
            pairs.add(new Engine[] {Engine.MARIADB, Engine.POSTGRESQL});
        }
        pairs.add(new Engine[] {Engine.H2, Engine.H2});
        return pairs;
    }

    static MigrationFlags flags(Stage stage) {
        MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(MIGRATION).build();
        flags.forceMoveTo(MIGRATION, stage, "test", "test");
        return flags;
    }

    /** Inserts customers with ids {@code first, first + step, ...} up to {@code last}. */
    static void insertCustomers(TestDatabase db, int first, int last, int step) throws SQLException {
        try (Connection c = db.connect();
                PreparedStatement insert = c.prepareStatement("INSERT INTO customer VALUES (?, ?, ?, ?)")) {
            for (int id = first; id <= last; id += step) {
                insert.setLong(1, id);
                insert.setString(2, "customer " + id);
                insert.setBigDecimal(3, BigDecimal.valueOf(id * 7L, 2));
                insert.setString(4, id % 5 == 0 ? null : "n" + id);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** The source's customers as the mapping writes them to the target. */
    static List<List<Object>> expectedTarget(TestDatabase source) throws SQLException {
        List<List<Object>> expected = new ArrayList<>();
        for (List<Object> row : RowCopierTest.rows(source, SOURCE)) {
            Object balance = row.get(2);
            long cents = balance instanceof BigDecimal d ? d.movePointRight(2).longValueExact() : ((Long) balance) * 100;
            expected.add(List.of(row.get(0), row.get(1), cents, row.get(3)));
        }
        return expected;
    }
}
