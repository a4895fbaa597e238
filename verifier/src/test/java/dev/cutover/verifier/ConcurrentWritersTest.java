package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.DualWrite;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.RowDifference.Kind;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writers keep updating and deleting random rows through the dual-write proxy while the verifier
 * runs, from PostgreSQL and from MariaDB to PostgreSQL: it raises no false alarm on the consistent
 * pair, and still finds the one planted difference.
 */
class ConcurrentWritersTest {
    private static final String MIGRATION = "items";
    private static final int ROWS = 20_000;
    private static final int WRITERS = 3;
    private static final long PLANTED = 15_000;

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void writesInFlight_areNotReported_butAPlantedDifferenceIs(Engine sourceEngine) throws Exception {
        boolean cross = sourceEngine != Engine.POSTGRESQL;
        try (TestDatabase source = TestDatabases.create(sourceEngine, "busysrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "busytgt")) {
            ItemTables.create(source, ROWS);
            if (cross) {
                ItemTables.createCrossTarget(target, ROWS);
            } else {
                ItemTables.create(target, ROWS);
            }
            target.execute("UPDATE item SET amount = amount + 0.01 WHERE id = " + PLANTED);
            DataSource sourcePool = source.dataSource(8);
            DataSource targetPool = target.dataSource(8);
            TableMapping mapping = cross ? ItemTables.crossMapping() : ItemTables.sameMapping();
            RowCopier resync = RowCopier.builder(sourcePool, targetPool).mapping(mapping).build();
            try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare(MIGRATION).build();
                    RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of(MIGRATION, resync),
                            RetryQueueConfig.custom().workerCount(1).pollInterval(Duration.ofMillis(5)).build())) {
                queue.start();
                flags.forceMoveTo(MIGRATION, Stage.DUAL_WRITE, "test", "verify under load");
                ItemRepository items = DualWrite.repository(ItemRepository.class)
                        .source(ItemRepository.jdbc(sourcePool, "name"))
                        .target(ItemRepository.jdbc(targetPool, cross ? "item_name" : "name"))
                        .migration(MIGRATION).flags(flags).retryQueue(queue).rowCopier(resync, ItemTables.ENTITY).build();

                AtomicBoolean verifying = new AtomicBoolean(true);
                AtomicInteger writes = new AtomicInteger();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                CountDownLatch done = new CountDownLatch(WRITERS);
                for (int w = 0; w < WRITERS; w++) {
                    Random random = new Random(w);
                    new Thread(() -> {
                        try {
                            while (verifying.get()) {
                                long id = 1 + random.nextInt(ROWS);
                                if (id == PLANTED) {
                                    continue;
                                }
                                if (random.nextInt(50) == 0) {
                                    items.remove(id);
                                } else {
                                    items.touch(id, "näme-" + random.nextInt());
                                }
                                writes.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        } finally {
                            done.countDown();
                        }
                    }, "busy-writer-" + w).start();
                }
                Await.until("writers under way", () -> writes.get() >= 200);
                int writesBefore = writes.get();
                VerificationReport report;
                try {
                    report = Verifier.builder(sourcePool, targetPool).mapping(mapping)
                            .config(VerifierConfig.custom().chunkSize(1_000).recheckDelay(Duration.ofMillis(200))
                                    .timestampPrecision(ChronoUnit.MILLIS).build())
                            .build().run();
                } finally {
                    verifying.set(false);
                    assertTrue(done.await(30, TimeUnit.SECONDS), "the writers did not stop");
                }

                assertEquals(List.of(), List.copyOf(errors));
                assertTrue(writes.get() > writesBefore, "writes went on during the run");
                assertEquals(List.of(new RowDifference(String.valueOf(PLANTED), Kind.DIFFERENT_VALUES, List.of("amount"))),
                        report.table(ItemTables.ENTITY).differences());
                assertTrue(report.completed());
            }
        }
    }
}
