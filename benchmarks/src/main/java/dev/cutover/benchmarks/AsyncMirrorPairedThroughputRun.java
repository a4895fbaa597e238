package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.flags.Stage;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link AsyncMirrorThroughputBenchmark}'s four cases measured in interleaved rounds, for a machine
 * whose load changes from second to second: in each round 8 threads deposit to random rows of
 * {@code rows} preloaded ones for {@value #BLOCK_MILLIS} ms per case (hand-written source-then-target,
 * source DAO alone, the repository proxy in {@link MirrorMode#ASYNC}, the proxy in
 * {@link MirrorMode#SYNC}), starting with a different case each round; each case has its own pair of
 * databases. After an asynchronous block the run waits until the copier's backlog is empty (not
 * counted): the copier works beside the writers as in steady state, and when it falls behind, the
 * backlog's bound makes the writers queue their keys inside the call, which the block counts.
 *
 * <pre>
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp benchmarks/target/benchmarks.jar \
 *     dev.cutover.benchmarks.AsyncMirrorPairedThroughputRun [pairs] [rows, default 50,100000] [rounds, default 12]
 * </pre>
 * The first 2 rounds warm up and are not counted. The run fails unless the asynchronous and the
 * synchronous case's tables end equal on both sides.
 */
public final class AsyncMirrorPairedThroughputRun {
    private static final int THREADS = 8;
    private static final int BLOCK_MILLIS = 2_000;
    private static final int WARM_UP_ROUNDS = 2;
    private static final String[] CASES = {"hand-written two writes", "source only", "ASYNC proxy", "SYNC proxy"};

    private AsyncMirrorPairedThroughputRun() {
    }

    /**
     * Runs the rounds and prints each case's throughput and its ratios.
     *
     * @param args comma-separated pairs, comma-separated row counts, the number of measured rounds
     * @throws Exception if a database fails or the sides end different
     */
    public static void main(String[] args) throws Exception {
        String[] pairs = (args.length > 0 ? args[0] : "postgresql-postgresql,mariadb-postgresql").split(",");
        String[] rowCounts = (args.length > 1 ? args[1] : "50,100000").split(",");
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        List<String> reports = new ArrayList<>();
        for (String pair : pairs) {
            for (String rows : rowCounts) {
                String report = run(pair, Integer.parseInt(rows), rounds);
                System.out.println(report);
                reports.add(report);
            }
        }
        System.out.println();
        reports.forEach(System.out::println);
    }

    private static String run(String pair, int rows, int rounds) throws Exception {
        int pool = THREADS + 6;
        try (Accounts plain = Accounts.create(pair, "pthrplain", rows, pool);
                Accounts asyncSides = Accounts.create(pair, "pthrasync", rows, pool);
                Accounts syncSides = Accounts.create(pair, "pthrsync", rows, pool);
                Cutover asyncCutover = runtime(asyncSides, MirrorMode.ASYNC);
                Cutover syncCutover = runtime(syncSides, MirrorMode.SYNC)) {
            Migration asyncMigration = asyncCutover.migration("accounts", Accounts.mapping());
            Migration syncMigration = syncCutover.migration("accounts", Accounts.mapping());
            AccountDao sourceDao = new JdbcAccountDao(plain.sourcePool);
            AccountDao targetDao = new JdbcAccountDao(plain.targetPool);
            AccountDao asyncProxy = proxy(asyncMigration, asyncSides);
            AccountDao syncProxy = proxy(syncMigration, syncSides);
            DualWriteCounters asyncStats = asyncMigration.counters();
            Write[] cases = {
                id -> {
                    sourceDao.deposit(id, 1);
                    targetDao.deposit(id, 1);
                },
                id -> sourceDao.deposit(id, 1),
                id -> asyncProxy.deposit(id, 1),
                id -> syncProxy.deposit(id, 1),
            };
            double[][] perSecond = new double[CASES.length][rounds];
            for (int round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
                for (int turn = 0; turn < CASES.length; turn++) {
                    int c = (round + turn) % CASES.length;
                    double rate = block(cases[c], rows);
                    if (c == 2) {
                        MirrorTrial.awaitBacklog(asyncStats);
                    }
                    if (round >= WARM_UP_ROUNDS) {
                        perSecond[c][round - WARM_UP_ROUNDS] = rate;
                    }
                }
            }
            if (!asyncCutover.retryQueue().drain(Duration.ofMinutes(2)) || !syncCutover.retryQueue().drain(Duration.ofMinutes(2))) {
                throw new IllegalStateException("A retry-queue did not drain");
            }
            Accounts.Difference asyncDifference = asyncSides.compare();
            Accounts.Difference syncDifference = syncSides.compare();
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "%s, %,d rows, %d threads, %d rounds of %d ms per case; writes/s: mean, ratio of means to hand-written"
                            + " and to source only, median of the rounds' ratios to hand-written%n", pair, rows, THREADS,
                    rounds, BLOCK_MILLIS));
            double[] mean = new double[CASES.length];
            for (int c = 0; c < CASES.length; c++) {
                mean[c] = Arrays.stream(perSecond[c]).average().orElse(0);
            }
            for (int c = 0; c < CASES.length; c++) {
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratios[r] = perSecond[c][r] / perSecond[0][r];
                }
                Arrays.sort(ratios);
                out.append(String.format(Locale.ROOT, "  %-24s %8.0f/s  %.3f  %.3f | round ratio median %.3f (quartiles"
                                + " %.3f to %.3f)%n", CASES[c], mean[c], mean[c] / mean[0], mean[c] / mean[1],
                        ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]));
            }
            out.append("  ASYNC: ").append(asyncDifference).append("; ")
                    .append(MirrorTrial.describe(asyncStats)).append('\n');
            out.append("  SYNC: ").append(syncDifference).append("; ")
                    .append(MirrorTrial.describe(syncMigration.counters()));
            // The numbers first, so that a run that lost writes still shows what it measured.
            System.out.println(out);
            asyncDifference.requireNone("After the ASYNC writes");
            syncDifference.requireNone("After the SYNC writes");
            return out.toString();
        }
    }

    /** One case's block: {@value #THREADS} threads write for {@value #BLOCK_MILLIS} ms. @return writes per second */
    private static double block(Write write, int rows) throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CyclicBarrier startLine = new CyclicBarrier(THREADS + 1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread thread = new Thread(() -> {
                SplittableRandom random = new SplittableRandom();
                try {
                    startLine.await();
                    while (System.nanoTime() < window[1]) {
                        write.to(random.nextInt(rows));
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }, "paired-writer-" + t);
            threads.add(thread);
            thread.start();
        }
        window[0] = System.nanoTime();
        window[1] = window[0] + BLOCK_MILLIS * 1_000_000L;
        startLine.await();
        for (Thread thread : threads) {
            thread.join();
        }
        long elapsed = System.nanoTime() - window[0];
        if (failure.get() != null) {
            throw new IllegalStateException("A write failed", failure.get());
        }
        return done.get() / (elapsed / 1e9);
    }

    private static Cutover runtime(Accounts sides, MirrorMode mode) {
        return Cutover.builder(sides.sourcePool, sides.targetPool).mirrorMode("accounts", mode).build();
    }

    private static AccountDao proxy(Migration migration, Accounts sides) {
        migration.moveTo(Stage.DUAL_WRITE, "benchmark", "paired throughput run");
        return migration.repository(AccountDao.class, new JdbcAccountDao(sides.sourcePool),
                new JdbcAccountDao(sides.targetPool));
    }

    /** One case's write of one row. */
    @FunctionalInterface
    private interface Write {
        void to(long id) throws SQLException;
    }
}
