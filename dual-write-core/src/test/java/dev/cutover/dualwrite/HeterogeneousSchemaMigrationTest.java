package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.HeteroCustomers.CustomerStore;
import dev.cutover.dualwrite.HeteroCustomers.LegacyStore;
import dev.cutover.dualwrite.HeteroCustomers.NewStore;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #7's heterogeneous scenario end to end: a legacy {@code customer} table (integer ids, one
 * name column, one-letter status codes) migrated to {@code customers} (UUIDs through an id map,
 * first and last name, status words) through the repository proxy: dual writes under load with the
 * target cut in the middle, the queue draining, reads shifted with shadow comparison, the target
 * primary copying back to the source, and the two tables compared row by row through the mapping.
 */
class HeterogeneousSchemaMigrationTest {
    private static final String MIGRATION = "customers";
    private static final int PRELOADED = 200;
    private static final int THREADS = 4;
    private static final int WRITES_PER_THREAD = 400;
    private static final String[] NAMES = {"Ada Lovelace", "Grace Brewster Hopper", "Cher", "Mary Ann Evans", null,
        "Jean-Luc Picard", "Ö Ü"};
    private static final String[] CODES = {"A", "S", "C"};

    /** The legacy store on MariaDB to PostgreSQL, and PostgreSQL to PostgreSQL, which is always there. */
    static Stream<Arguments> enginePairs() {
        return KeyTranslationTest.enginePairs().filter(pair -> pair.get()[1] == Engine.POSTGRESQL);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void migration_toAnotherSchema_convergesAndShadowReadsAgree(Engine sourceEngine, Engine targetEngine)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "heteromigsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "heteromigtgt");
                TcpForwarder forwarder = TcpForwarder.in(target);
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
            HeteroCustomers.createTables(source, target);
            DataSource sourcePool = source.dataSource(12);
            DataSource targetPool = target.dataSourceVia(forwarder, 12);
            KeyTranslation ids = HeteroCustomers.ids(targetPool);
            TableMapping mapping = HeteroCustomers.mapping(ids);
            RowCopier resync = RowCopier.builder(sourcePool, targetPool).mapping(mapping)
                    .statementTimeout(Duration.ofSeconds(2)).build();
            RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of(MIGRATION, resync),
                    RetryQueueConfig.custom().workerCount(2).pollInterval(Duration.ofMillis(5))
                            .initialBackoff(Duration.ofMillis(5)).maxBackoff(Duration.ofMillis(100))
                            .maxAttempts(1_000).pendingCacheTtl(Duration.ofMillis(20)).build());
            DualWriteCounters stats = new DualWriteCounters();
            try (ReadRouter router = ReadRouter.builder(flags, MIGRATION).build();
                    ReadRouter untranslatedRouter = ReadRouter.builder(flags, MIGRATION).build()) {
                queue.start();
                RepositoryBuilder<CustomerStore> builder = DualWrite.repository(CustomerStore.class)
                        .source(new LegacyStore(sourcePool)).target(new NewStore(targetPool, ids))
                        .migration(MIGRATION).flags(flags).router(router).retryQueue(queue)
                        .rowCopier(resync, HeteroCustomers.ENTITY).counters(stats);
                CustomerStore customers = HeteroCustomers.translateFind(builder, ids).build();
                LegacyStore legacy = new LegacyStore(sourcePool);
                Random random = new Random(7);
                for (int id = 1; id <= PRELOADED; id++) {
                    legacy.register(String.valueOf(id), NAMES[random.nextInt(NAMES.length)], CODES[id % 3], "c" + id + "@shop");
                }

                // Dual writes on, then the backfill of the rows written before; both under load.
                flags.moveTo(MIGRATION, Stage.DUAL_WRITE, "test", "dual writes");
                AtomicInteger written = new AtomicInteger();
                AtomicInteger nextId = new AtomicInteger(10_000);
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                CountDownLatch done = startWriters(customers, WRITES_PER_THREAD, written, nextId, errors);
                for (int id = 1; id <= PRELOADED; id++) {
                    queue.enqueue(CopyReplayHandler.entry(MIGRATION, HeteroCustomers.ENTITY, String.valueOf(id), Side.SOURCE));
                }
                int total = THREADS * WRITES_PER_THREAD;
                awaitWritten(written, total / 5);
                forwarder.cut();
                awaitWritten(written, written.get() + total / 3);
                forwarder.restore();
                assertTrue(done.await(120, TimeUnit.SECONDS), "the writers did not finish within 120 s");
                assertEquals(List.of(), List.copyOf(errors), "the application must see no error");
                assertTrue(stats.enqueued() > PRELOADED, "mirrors were queued while the target was cut");
                assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(List.of(), queue.parked(10));
                assertSameRows(source, target, mapping);

                // Reads shift to the target; every read is shadow-compared in the source's model.
                flags.moveTo(MIGRATION, Stage.SHIFT_READS, "test", "shift reads");
                flags.setTargetReadPercent(MIGRATION, 50, "test", "half");
                flags.setShadowReadPercent(MIGRATION, 100, "test", "compare all");
                List<String> keys = sourceKeys(source);
                for (String key : keys) {
                    assertEquals(legacy.find(key), customers.find(key));
                }
                Await.until("every shadow read compared", () -> settledShadows(router.counts()) >= keys.size());
                ReadRouterCounts shadows = router.counts();
                assertEquals(keys.size(), shadows.compared(), shadows.toString());
                assertEquals(0, shadows.mismatched(), router.recentMismatches().toString());
                assertEquals(0, shadows.shadowErrors(), shadows.toString());

                // Translating only the arguments, not the answer, the same reads disagree: the result
                // transform is what makes the two models comparable.
                CustomerStore halfTranslated = DualWrite.repository(CustomerStore.class)
                        .source(new LegacyStore(sourcePool)).target(new NewStore(targetPool, ids))
                        .migration(MIGRATION).flags(flags).router(untranslatedRouter).retryQueue(queue)
                        .rowCopier(resync, HeteroCustomers.ENTITY)
                        .targetRead("find", args -> new Object[] {ids.toTarget(Integer.valueOf((String) args[0])).toString()},
                                result -> result)
                        .build();
                for (String key : keys.subList(0, 20)) {
                    halfTranslated.find(key);
                }
                Await.until("the half-translated shadow reads", () -> settledShadows(untranslatedRouter.counts()) >= 20);
                ReadRouterCounts differing = untranslatedRouter.counts();
                assertEquals(20, differing.mismatched(), differing.toString());

                // The target becomes primary: writes land there first and are copied back to the legacy table.
                flags.moveTo(MIGRATION, Stage.TARGET_PRIMARY, "test", "target primary");
                written.set(0);
                CountDownLatch targetPrimaryDone = startWriters(customers, WRITES_PER_THREAD / 3, written, nextId, errors);
                assertTrue(targetPrimaryDone.await(120, TimeUnit.SECONDS), "the writers did not finish within 120 s");
                assertEquals(List.of(), List.copyOf(errors), "the application must see no error");
                assertEquals(THREADS * (WRITES_PER_THREAD / 3), stats.primaryWrites(Side.TARGET));
                assertTrue(stats.mirrored(Side.SOURCE) > 0, "rows were copied back to the legacy table");
                assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(List.of(), queue.parked(10));
                assertSameRows(source, target, mapping);
                for (String key : sourceKeys(source).subList(0, 20)) {
                    assertEquals(legacy.find(key), customers.find(key), "target-primary reads in the legacy model");
                }
            } finally {
                queue.close();
            }
        }
    }

    private static long settledShadows(ReadRouterCounts stats) {
        return stats.shadowReadsEnded();
    }

    /** Writers renaming, re-coding, registering and removing customers through the proxy. */
    private static CountDownLatch startWriters(CustomerStore customers, int writesPerThread, AtomicInteger written,
            AtomicInteger nextId,
            ConcurrentLinkedQueue<Throwable> errors) {
        CountDownLatch done = new CountDownLatch(THREADS);
        for (int t = 0; t < THREADS; t++) {
            Random random = new Random(100 + t + nextId.get());
            new Thread(() -> {
                List<String> own = new ArrayList<>();
                try {
                    for (int i = 0; i < writesPerThread; i++) {
                        String id = String.valueOf(1 + random.nextInt(PRELOADED));
                        int op = random.nextInt(10);
                        if (op < 4) {
                            customers.rename(id, NAMES[random.nextInt(NAMES.length)]);
                        } else if (op < 7) {
                            customers.changeStatus(id, CODES[random.nextInt(CODES.length)]);
                        } else if (op < 9 || own.isEmpty()) {
                            String fresh = String.valueOf(nextId.incrementAndGet());
                            customers.register(fresh, NAMES[random.nextInt(NAMES.length)], "A", fresh + "@shop");
                            own.add(fresh);
                        } else {
                            customers.remove(own.remove(random.nextInt(own.size())));
                        }
                        written.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            }, "hetero-writer-" + t).start();
        }
        return done;
    }

    /** Every source row, converted through the mapping, is the target's row of that key, and nothing else is there. */
    private static void assertSameRows(TestDatabase source, TestDatabase target, TableMapping mapping) throws SQLException {
        Map<Object, List<Object>> expected = new HashMap<>();
        for (List<Object> row : rows(source, "SELECT " + HeteroCustomers.SOURCE_COLUMNS + " FROM customer")) {
            List<Object> converted = mapping.convertRow(Side.SOURCE, row);
            expected.put(converted.get(0), converted);
        }
        Map<Object, List<Object>> actual = new HashMap<>();
        for (List<Object> row : rows(target, "SELECT " + HeteroCustomers.TARGET_COLUMNS + " FROM customers")) {
            actual.put(row.get(0), row);
        }
        assertTrue(expected.size() > PRELOADED / 2, "the source still holds rows");
        assertEquals(expected, actual);
    }

    private static List<String> sourceKeys(TestDatabase source) throws SQLException {
        return rows(source, "SELECT id FROM customer ORDER BY id").stream().map(r -> String.valueOf(r.get(0))).toList();
    }

    private static List<List<Object>> rows(TestDatabase db, String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int width = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= width; i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static void awaitWritten(AtomicInteger written, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (written.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(written.get() >= count, "fewer than " + count + " writes within 120 s");
    }
}
