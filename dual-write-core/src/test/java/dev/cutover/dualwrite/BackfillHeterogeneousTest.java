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
import dev.cutover.testsupport.Engine;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backfill of a heterogeneous mapping ({@link HeteroCustomers}: legacy integer ids translated to
 * UUIDs through an id-map table on the target, a name split in two, status codes mapped to words)
 * while writers rename, re-code, register and remove customers through the proxy: each chunk's rows
 * are converted through the mapping, ids allocated in the id map; since translated keys cannot be
 * compared as ranges, the target walk then deletes the rows whose legacy row is gone. Afterwards every
 * legacy row, converted, is the target's row of its key, and nothing else is there.
 */
class BackfillHeterogeneousTest {
    private static final String MIGRATION = "customers";
    private static final int PRELOADED = 300;
    private static final String[] NAMES = {"Ada Lovelace", "Grace Brewster Hopper", "Cher", null, "Ö Ü"};
    private static final String[] CODES = {"A", "S", "C"};

    static Stream<Arguments> enginePairs() {
        return HeterogeneousSchemaMigrationTest.enginePairs();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void backfillThroughAnIdMap_besideWriters_endsWithTheSameRows(Engine sourceEngine, Engine targetEngine)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "bfhsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "bfhtgt");
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
            HeteroCustomers.createTables(source, target);
            DataSource sourcePool = source.dataSource(10);
            DataSource targetPool = target.dataSource(10);
            KeyTranslation ids = HeteroCustomers.ids(targetPool);
            TableMapping mapping = HeteroCustomers.mapping(ids);
            RowCopier resync = RowCopier.builder(sourcePool, targetPool).mapping(mapping).build();
            RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of(MIGRATION, resync, flags),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(5)).initialBackoff(Duration.ofMillis(5))
                            .maxBackoff(Duration.ofMillis(100)).maxAttempts(1_000).build());
            DualWriteCounters stats = new DualWriteCounters();
            try (ReadRouter router = ReadRouter.builder(flags, MIGRATION).build()) {
                queue.start();
                CustomerStore customers = DualWrite.repository(CustomerStore.class)
                        .source(new LegacyStore(sourcePool)).target(new NewStore(targetPool, ids))
                        .migration(MIGRATION).flags(flags).router(router).retryQueue(queue)
                        .rowCopier(resync, HeteroCustomers.ENTITY).counters(stats).build();
                LegacyStore legacy = new LegacyStore(sourcePool);
                Random random = new Random(11);
                for (int id = 1; id <= PRELOADED; id++) {
                    legacy.register(String.valueOf(id), NAMES[random.nextInt(NAMES.length)], CODES[id % 3], "c" + id + "@shop");
                }
                // The target's own rows: a customer the legacy store no longer has (its id in the map),
                // and a stale copy of one it has.
                new NewStore(targetPool, ids).register("5000", "Gone Away", "A", "gone@shop");
                new NewStore(targetPool, ids).register("7", "Old Name", "C", "old@shop");

                flags.moveTo(MIGRATION, Stage.DUAL_WRITE, "test", "dual writes");
                AtomicBoolean running = new AtomicBoolean(true);
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                AtomicInteger nextId = new AtomicInteger(10_000);
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    Random r = new Random(t);
                    Thread writer = new Thread(() -> write(customers, r, nextId, running, errors), "hetero-backfill-writer-" + t);
                    writers.add(writer);
                    writer.start();
                }
                BackfillProgress done;
                try {
                    done = Backfill.builder(resync, flags, MIGRATION).counters(stats)
                            .config(BackfillConfig.custom().chunkSize(10, 40, 80).rowsPerSecond(600).build())
                            .build().run();
                } finally {
                    running.set(false);
                    for (Thread writer : writers) {
                        writer.join();
                    }
                }

                assertEquals(List.of(), List.copyOf(errors), "the application must see no error");
                assertEquals(BackfillProgress.Phase.FINISHED, done.phase());
                assertTrue(done.rowsDeleted() >= 1, "the customer the legacy store lacks was deleted: " + done);
                assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(List.of(), queue.parked(10));
                assertSameRows(source, target, mapping);
            } finally {
                queue.close();
            }
        }
    }

    private static void write(CustomerStore customers, Random random, AtomicInteger nextId, AtomicBoolean running,
            ConcurrentLinkedQueue<Throwable> errors) {
        List<String> own = new ArrayList<>();
        try {
            while (running.get()) {
                String id = String.valueOf(1 + random.nextInt(PRELOADED));
                int op = random.nextInt(10);
                if (op < 4) {
                    customers.rename(id, NAMES[random.nextInt(NAMES.length)]);
                } else if (op < 6) {
                    customers.changeStatus(id, CODES[random.nextInt(CODES.length)]);
                } else if (op < 8 || own.isEmpty()) {
                    String fresh = String.valueOf(nextId.incrementAndGet());
                    customers.register(fresh, NAMES[random.nextInt(NAMES.length)], "A", fresh + "@shop");
                    own.add(fresh);
                } else {
                    customers.remove(op == 8 ? own.remove(random.nextInt(own.size())) : id);
                }
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }

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
        assertTrue(expected.keySet().stream().allMatch(UUID.class::isInstance), "target keys are UUIDs");
        assertEquals(expected, actual);
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
}
