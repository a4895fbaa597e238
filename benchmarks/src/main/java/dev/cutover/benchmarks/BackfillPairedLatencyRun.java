package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.benchmarks.BackfillLatencyBenchmark.ItemDao;
import dev.cutover.benchmarks.BackfillLatencyBenchmark.JdbcItemDao;
import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * {@link BackfillLatencyBenchmark}'s question (the callers' p99 with and without a backfill at the
 * default throttle) measured in alternating blocks of one run, for a machine whose load drifts
 * between JMH's trials a minute apart: the same 4 writer threads (deposits, deletes, re-inserts of
 * every {@value BackfillLatencyBenchmark#STRIDE}th key of a 1,000,000-row table, inserts past it)
 * write through the repository proxy in {@code DUAL_WRITE} for the whole run, while the backfill runs
 * in one block and is paused ({@link Backfill#pause()}) in the next, the order alternating each
 * round. The first second of each block is not counted: the chunk in flight at a pause finishes then.
 * Rows per second while running are the backfill's rows copied in the running blocks over their time.
 *
 * <pre>
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.mariadb.jdbc=error \
 *     -cp benchmarks/target/benchmarks.jar dev.cutover.benchmarks.BackfillPairedLatencyRun \
 *     [pair, default postgresql-postgresql] [rounds, default 8] [block seconds, default 10]
 * </pre>
 * After the rounds the writers stop, the backfill finishes its pass and the retry-queue drains; the
 * run fails unless both tables then hold the same rows, amounts and names (counts and sums).
 */
public final class BackfillPairedLatencyRun {
    private static final int ROWS = 1_000_000;
    private static final int WRITERS = 4;
    private static final long SKIP_NANOS = 1_000_000_000L;

    private BackfillPairedLatencyRun() {
    }

    /**
     * Runs the rounds and prints the callers' latency with the backfill running and paused.
     *
     * @param args the pair, the rounds, the block length in seconds
     * @throws Exception if a database fails or the sides end different
     */
    public static void main(String[] args) throws Exception {
        String pair = args.length > 0 ? args[0] : "postgresql-postgresql";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        long blockNanos = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 10).toNanos();
        String[] engines = pair.split("-");
        try (TestDatabase sourceDb = TestDatabases.create(Engine.valueOf(engines[0].toUpperCase(Locale.ROOT)), "bfpairsrc");
                TestDatabase targetDb = TestDatabases.create(Engine.valueOf(engines[1].toUpperCase(Locale.ROOT)), "bfpairtgt")) {
            ItemTables.load(sourceDb, ROWS);
            targetDb.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount NUMERIC(12,2) NOT NULL,"
                    + " created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)");
            DataSource sourcePool = sourceDb.dataSource(12);
            DataSource targetPool = targetDb.dataSource(12);
            try (Cutover cutover = Cutover.builder(sourcePool, targetPool).build()) {
                TableMapping mapping = TableMapping.builder("item").key("id", Long.class)
                        .column("name").column("amount").column("created").column("note").column("active").build();
                Migration migration = cutover.migration("items", mapping);
                migration.moveTo(Stage.DUAL_WRITE, "benchmark", "paired backfill latency run");
                ItemDao proxy = migration.repository(ItemDao.class, new JdbcItemDao(sourcePool), new JdbcItemDao(targetPool));
                Backfill backfill = migration.backfill().config(BackfillConfig.ofDefaults()).build();
                System.out.println(run(pair, rounds, blockNanos, proxy, backfill, cutover, migration));
                if (!cutover.retryQueue().drain(Duration.ofMinutes(2))) {
                    throw new IllegalStateException("The retry-queue did not drain: " + migration.queueDepth());
                }
                String source = summary(sourceDb);
                String target = summary(targetDb);
                System.out.println("Source " + source + ", target " + target);
                if (!source.equals(target)) {
                    throw new IllegalStateException("The sides diverged: source " + source + ", target " + target);
                }
            }
        }
    }

    private static String run(String pair, int rounds, long blockNanos, ItemDao proxy, Backfill backfill, Cutover cutover,
            Migration migration) throws Exception {
        AtomicLong nextNewId = new AtomicLong(ROWS + 1L);
        Calls[] calls = new Calls[WRITERS];
        Thread[] writers = new Thread[WRITERS];
        AtomicBoolean stop = new AtomicBoolean();
        for (int w = 0; w < WRITERS; w++) {
            Calls mine = calls[w] = new Calls();
            writers[w] = new Thread(() -> {
                SplittableRandom random = new SplittableRandom();
                while (!stop.get()) {
                    long start = System.nanoTime();
                    writeOnce(proxy, random, nextNewId);
                    mine.add(start, System.nanoTime() - start);
                }
            }, "paired-writer-" + w);
        }
        backfill.pause();
        AtomicBoolean finishing = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong rowsBefore = new AtomicLong();
        Thread passes = new Thread(() -> {
            try {
                do {
                    BackfillProgress pass = backfill.run();
                    rowsBefore.addAndGet(pass.rowsDone());
                } while (!finishing.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "paired-backfill");
        for (Thread writer : writers) {
            writer.start();
        }
        passes.start();
        Thread.sleep(blockNanos / 1_000_000);
        List<long[]> blocks = new ArrayList<>();
        long runningNanos = 0;
        long runningRows = 0;
        for (int round = 0; round < rounds; round++) {
            for (int half = 0; half < 2; half++) {
                boolean running = (round + half) % 2 == 0;
                long rows0 = rowsBefore.get() + backfill.progress().rowsDone();
                if (running) {
                    backfill.resume();
                } else {
                    backfill.pause();
                }
                long start = System.nanoTime();
                Thread.sleep(blockNanos / 1_000_000);
                long end = System.nanoTime();
                blocks.add(new long[] {start + SKIP_NANOS, end, running ? 1 : 0, round});
                if (running) {
                    runningNanos += end - start;
                    runningRows += rowsBefore.get() + backfill.progress().rowsDone() - rows0;
                }
            }
        }
        BackfillProgress atEnd = backfill.progress();
        stop.set(true);
        for (Thread writer : writers) {
            writer.join();
        }
        finishing.set(true);
        backfill.resume();
        passes.join();
        if (failure.get() != null) {
            throw new IllegalStateException("The backfill failed", failure.get());
        }

        long[][] all = {new long[0], new long[0]};
        double[] roundRatios = new double[rounds];
        long[][] perRound = new long[2][];
        for (int round = 0; round < rounds; round++) {
            for (int state = 0; state < 2; state++) {
                long[] block = null;
                for (long[] b : blocks) {
                    if (b[3] == round && b[2] == state) {
                        block = b;
                    }
                }
                long[] times = within(calls, block[0], block[1]);
                perRound[state] = times;
                all[state] = concat(all[state], times);
            }
            roundRatios[round] = p(perRound[1], 0.99) / (double) p(perRound[0], 0.99);
        }
        Arrays.sort(roundRatios);
        return String.format(Locale.ROOT, "%s: %d rounds of %d s running and %d s paused (first second of each not counted),"
                        + " 4 writers; ms%n  paused:  %,d calls, p50 %.2f, p99 %.1f%n  running: %,d calls, p50 %.2f, p99 %.1f"
                        + "%n  p50 ratio %.2f, p99 ratio %.2f; per-round p99 ratio median %.2f (quartiles %.2f to %.2f)%n"
                        + "  backfill while running: %,d rows in %.0f s = %,.0f rows/s; at the end: duty cycle %.2f, %d back-offs,"
                        + " baseline copy %d µs",
                pair, rounds, blockNanos / 1_000_000_000L, blockNanos / 1_000_000_000L,
                all[0].length, p(all[0], 0.5) / 1e6, p(all[0], 0.99) / 1e6,
                all[1].length, p(all[1], 0.5) / 1e6, p(all[1], 0.99) / 1e6,
                p(all[1], 0.5) / (double) p(all[0], 0.5), p(all[1], 0.99) / (double) p(all[0], 0.99),
                roundRatios[rounds / 2], roundRatios[rounds / 4], roundRatios[(3 * rounds) / 4],
                runningRows, runningNanos / 1e9, runningRows / (runningNanos / 1e9), atEnd.dutyCycle(), atEnd.backOffs(),
                atEnd.baselineCopyTime().toNanos() / 1000);
    }

    /** The mix of {@link BackfillLatencyBenchmark}: deposits 50%, deletes 15%, re-inserts 15%, new rows 20%. */
    private static void writeOnce(ItemDao proxy, SplittableRandom random, AtomicLong nextNewId) {
        int op = random.nextInt(100);
        int stride = BackfillLatencyBenchmark.STRIDE;
        long id = op < 80 ? 1 + (long) random.nextInt((ROWS + stride - 1) / stride) * stride : nextNewId.getAndIncrement();
        try {
            if (op < 50) {
                proxy.deposit(id, BigDecimal.valueOf(random.nextInt(1_000) - 200, 2));
            } else if (op < 65) {
                proxy.delete(id);
            } else {
                proxy.insert(id, "w" + id);
            }
        } catch (SQLException | RuntimeException e) {
            // A re-insert of a row that exists fails as a duplicate; its time counts like any other call's.
        }
    }

    private static String summary(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*), SUM(id), SUM(amount), SUM(CHAR_LENGTH(name)) FROM item")) {
            rs.next();
            return rs.getLong(1) + " rows, id sum " + rs.getLong(2) + ", amount sum " + rs.getBigDecimal(3).stripTrailingZeros()
                    .toPlainString() + ", name length sum " + rs.getLong(4);
        }
    }

    private static long[] within(Calls[] calls, long from, long to) {
        long[] out = new long[0];
        for (Calls c : calls) {
            out = concat(out, c.within(from, to));
        }
        Arrays.sort(out);
        return out;
    }

    private static long p(long[] sorted, double q) {
        long[] s = sorted.clone();
        Arrays.sort(s);
        return s.length == 0 ? 0 : s[Math.max(0, (int) Math.ceil(q * s.length) - 1)];
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** One writer's calls: start and duration, in nanoseconds. */
    private static final class Calls {
        private long[] starts = new long[1 << 16];
        private long[] nanos = new long[1 << 16];
        private int size;

        void add(long start, long duration) {
            if (size == starts.length) {
                starts = Arrays.copyOf(starts, size * 2);
                nanos = Arrays.copyOf(nanos, size * 2);
            }
            starts[size] = start;
            nanos[size++] = duration;
        }

        long[] within(long from, long to) {
            long[] out = new long[size];
            int n = 0;
            for (int i = 0; i < size; i++) {
                if (starts[i] >= from && starts[i] < to) {
                    out[n++] = nanos[i];
                }
            }
            return Arrays.copyOf(out, n);
        }
    }
}
