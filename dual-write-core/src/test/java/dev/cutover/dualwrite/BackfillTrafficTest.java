package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backfill's safety bar: it runs while writers open (re-insert), close (delete), deposit,
 * rename and transfer on the very accounts it copies, most of their writes aimed at the rows around
 * the chunk being copied, with target faults failing some chunks and copies; the history it copies
 * was written before dual writes began, and the target starts with rows of its own (stale values,
 * and rows the source no longer has). After the queue drains, both sides must hold exactly what the
 * acknowledged writes left ({@link AcknowledgedWriteOracle}): the backfill overwrote no newer copy
 * with an older row, resurrected no deleted row, and left no stale row behind.
 *
 * <p>The ledger's integer keys are compared as ranges (each chunk deletes in its own range) on
 * PostgreSQL and MariaDB sources; on PostgreSQL the key also runs behind an identity
 * {@link KeyTranslation}, which makes the backfill upsert only and walk the target's keys afterwards.
 */
class BackfillTrafficTest {
    private static final int HISTORY = 150;
    private static final int KEYS = HISTORY + 30;
    private static final int WRITERS = 4;

    static Stream<Arguments> runs() {
        List<Arguments> runs = new ArrayList<>();
        List<Engine> sources = new ArrayList<>(List.of(Engine.POSTGRESQL));
        if (TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB)) {
            sources.add(Engine.MARIADB);
        }
        // The target walk under traffic from MariaDB is BackfillHeterogeneousTest's (an id map).
        for (Engine source : sources) {
            runs.add(Arguments.of(source, Engine.POSTGRESQL, true));
        }
        runs.add(Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL, false));
        return runs.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}, key ranges {2}")
    @MethodSource("runs")
    void backfillBesideWriters_losesNoAcknowledgedWrite_andLeavesNothingStale(Engine sourceEngine, Engine targetEngine,
            boolean ranges) throws Exception {
        long seed = Long.getLong("cutover.oracle.seed", System.nanoTime());
        try (TestDatabase source = TestDatabases.create(sourceEngine, "bfwsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "bfwtgt");
                LedgerFixture fixture = LedgerFixture.create(source, target, WRITERS + 4)) {
            Random random = new Random(seed);
            AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
            Ledger history = new RecordedLedger(fixture.ledger, oracle);

            // The history, written before dual writes: only the source has it.
            fixture.moveTo(Stage.SOURCE_ONLY);
            for (long id = 1; id <= HISTORY; id++) {
                history.openWithDeposit(id, "owner" + id % 10, id);
                if (id % 7 == 0) {
                    history.close(id);
                }
            }
            // The target's own rows: stale values, rows the source closed, and keys never written.
            for (long id = 3; id <= KEYS; id += 11) {
                fixture.insertIntoTarget(id, "stale", 999_999);
            }
            // Beyond every key the writers touch, so that only the backfill can delete them.
            fixture.insertIntoTarget(KEYS + 5, "never", 1);
            fixture.insertIntoTarget(KEYS + 50, "never", 1);
            for (long id = 7; id <= HISTORY; id += 49) {
                if (id % 11 != 3) {
                    fixture.insertIntoTarget(id, "closed", 1);
                }
            }

            fixture.moveTo(Stage.DUAL_WRITE);
            TableMapping mapping = ranges ? JdbcLedger.mapping() : TableMapping.builder("accounts")
                    .sourceTable("account").targetTable("accounts")
                    .key("id", "account_id", Long.class, KeyTranslation.identity())
                    .column("owner", "owner_name").column("balance", "balance_cents").column("version").column("note")
                    .build();
            assertEquals(ranges, Backfill.comparableAsRanges(mapping));
            RowCopier copier = RowCopier.builder(fixture.resync.dataSource(Side.SOURCE),
                    slowCleanUp(fixture.resync.dataSource(Side.TARGET))).mapping(mapping).build();
            AtomicLong cursor = new AtomicLong(1);
            Backfill backfill = Backfill.builder(copier, fixture.flags, LedgerFixture.MIGRATION)
                    .counters(fixture.stats)
                    .config(BackfillConfig.custom().chunkSize(6, 6, 6).rowsPerSecond(200)
                            .backOffLatency(Duration.ZERO).backOffLatencyRatio(0).maxChunkAttempts(100).build())
                    .listener(p -> cursor.set(Math.max(1, p.rowsDone() * HISTORY / Math.max(1, p.rowsTotal()))))
                    .build();

            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            AtomicInteger failedWrites = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < WRITERS; t++) {
                Random r = new Random(random.nextLong());
                Ledger ledger = new RecordedLedger(fixture.newInstance(), oracle);
                Thread writer = new Thread(() -> {
                    try {
                        while (running.get()) {
                            write(ledger, r, cursor.get(), failedWrites);
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                }, "backfill-writer-" + t);
                writers.add(writer);
                writer.start();
            }
            fixture.faults.enable(random.nextLong(), 0.02);
            BackfillProgress done;
            try {
                done = backfill.run();
                Thread.sleep(200);
            } finally {
                running.set(false);
                for (Thread writer : writers) {
                    writer.join();
                }
                fixture.faults.disable();
            }

            String context = "seed " + seed + ", " + done + ", " + oracle.acknowledged() + " acknowledged writes, "
                    + failedWrites.get() + " failed";
            assertTrue(unexpected.isEmpty(), () -> "unexpected failures: " + unexpected + ", " + context);
            assertEquals(BackfillProgress.Phase.FINISHED, done.phase(), context);
            // Counted by the rows left, not by done.rowsDeleted(): a chunk whose delete committed but
            // lost its acknowledgement (an injected fault) is retried and counts nothing.
            List<Object> neverWritten = fixture.targetRows().stream().map(row -> row.get(0))
                    .filter(id -> ((Number) id).longValue() > KEYS).toList();
            assertEquals(List.of(), neverWritten, "the target's rows beyond the writers' keys were deleted, " + context);
            assertTrue(oracle.acknowledged() > 200, "the writers wrote during the backfill, " + context);
            assertTrue(fixture.queue.drain(Duration.ofSeconds(60)), "the queue drains, " + context);
            assertEquals(List.of(), fixture.queue.parked(10));
            try {
                oracle.check(RecordedLedger.accounts(fixture.sourceRows()), RecordedLedger.accounts(fixture.targetRows()));
            } catch (AssertionError e) {
                throw new AssertionError(context + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The backfill's target, slowed down just before a chunk counts the target rows of its range and
     * before it deletes the stale ones: the moments when a row re-inserted on the source, and copied,
     * would be deleted on the target if the chunk did not read the source again. The delay widens
     * those windows so that the writers hit them.
     */
    private static DataSource slowCleanUp(DataSource target) {
        return (DataSource) Proxy.newProxyInstance(BackfillTrafficTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection connection = (Connection) result;
                    return Proxy.newProxyInstance(BackfillTrafficTest.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (p, m, a) -> {
                                if (m.getName().equals("prepareStatement") && a[0] instanceof String sql
                                        && (sql.startsWith("DELETE FROM accounts")
                                                || sql.startsWith("SELECT COUNT(*) FROM accounts WHERE"))) {
                                    Thread.sleep(20);
                                }
                                return invoke(connection, m, a);
                            });
                });
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** One write, on a key near the backfill's chunk 60% of the time, anywhere otherwise. */
    private static void write(Ledger ledger, Random r, long cursor, AtomicInteger failed) {
        long key = r.nextInt(10) < 6 ? Math.max(1, Math.min(KEYS, cursor - 2 + r.nextInt(12))) : 1 + r.nextInt(KEYS);
        int op = r.nextInt(100);
        try {
            if (op < 30) {
                ledger.open(key, "owner" + r.nextInt(10));
            } else if (op < 55) {
                ledger.deposit(key, r.nextInt(100) - 20);
            } else if (op < 60) {
                ledger.rename(key, "owner" + r.nextInt(10));
            } else if (op < 85) {
                ledger.close(key);
            } else {
                long other = 1 + r.nextInt(KEYS);
                if (other != key) {
                    ledger.transfer(key, other, r.nextInt(50));
                }
            }
        } catch (SQLException | LateWriteException | dev.cutover.flags.FlagsNotConfirmedException e) {
            // A duplicate open, a deadlock beside a chunk's locks, flags not reloaded in time on a busy
            // machine: the oracle takes such a write as whole or nothing.
            failed.incrementAndGet();
        }
    }
}
