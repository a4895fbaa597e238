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

/**
 * {@link AsyncMirrorLatencyBenchmark}'s four cases measured in interleaved rounds, for a machine
 * whose load changes from second to second: each round makes {@value #CALLS_PER_BLOCK} calls of
 * each case in turn (source DAO alone, hand-written source-then-target, the repository proxy in
 * {@link MirrorMode#ASYNC}, the proxy in {@link MirrorMode#SYNC}), starting with a different case
 * each round, so that a burst of load falls on all four alike far more often than on JMH's
 * separate trials minutes apart. Each case has its own pair of databases. After an asynchronous
 * block the run waits until the copier's backlog is empty before the next case starts: the copier
 * works beside the asynchronous calls as it would in steady state, but its tail is not charged to
 * the next case. One caller thread, updates of 1,024 preloaded rows in turn (or inserts of new rows).
 *
 * <pre>
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp benchmarks/target/benchmarks.jar \
 *     dev.cutover.benchmarks.AsyncMirrorPairedLatencyRun [pair, default both] [update|insert] [rounds, default 40]
 * </pre>
 * The first 5 rounds warm up and are not counted. The run fails unless the asynchronous and the
 * synchronous case's tables end equal on both sides.
 */
public final class AsyncMirrorPairedLatencyRun {
    private static final int CALLS_PER_BLOCK = 250;
    private static final int WARM_UP_ROUNDS = 5;
    private static final String[] CASES = {"source only", "hand-written two writes", "ASYNC proxy", "SYNC proxy"};

    private AsyncMirrorPairedLatencyRun() {
    }

    /**
     * Runs the rounds and prints each case's latency and its ratios.
     *
     * @param args comma-separated pairs, the write, the number of measured rounds
     * @throws Exception if a database fails or the sides end different
     */
    public static void main(String[] args) throws Exception {
        String[] pairs = (args.length > 0 ? args[0] : "postgresql-postgresql,mariadb-postgresql").split(",");
        boolean insert = args.length > 1 && args[1].equals("insert");
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        List<String> reports = new ArrayList<>();
        for (String pair : pairs) {
            String report = run(pair, insert, rounds);
            System.out.println(report);
            reports.add(report);
        }
        System.out.println();
        reports.forEach(System.out::println);
    }

    private static String run(String pair, boolean insert, int rounds) throws Exception {
        try (Accounts plain = Accounts.create(pair, "pairedplain");
                Accounts asyncSides = Accounts.create(pair, "pairedasync");
                Accounts syncSides = Accounts.create(pair, "pairedsync");
                Cutover asyncCutover = runtime(asyncSides, MirrorMode.ASYNC);
                Cutover syncCutover = runtime(syncSides, MirrorMode.SYNC)) {
            AccountDao sourceDao = new JdbcAccountDao(plain.sourcePool);
            AccountDao targetDao = new JdbcAccountDao(plain.targetPool);
            Migration asyncMigration = asyncCutover.migration("accounts", Accounts.mapping());
            Migration syncMigration = syncCutover.migration("accounts", Accounts.mapping());
            AccountDao asyncProxy = proxy(asyncMigration, asyncSides);
            AccountDao syncProxy = proxy(syncMigration, syncSides);
            DualWriteCounters asyncStats = asyncMigration.counters();
            int measured = rounds * CALLS_PER_BLOCK;
            long[][] nanos = new long[CASES.length][measured];
            double[][] roundMedians = new double[CASES.length][rounds];
            // Inserts of each case in a range of their own: the source-only and the hand-written case share one table.
            long[] nextId = new long[CASES.length];
            for (int c = 0; c < CASES.length; c++) {
                nextId[c] = insert ? 1_000_000L * (c + 1) : 0;
            }
            for (int round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
                for (int turn = 0; turn < CASES.length; turn++) {
                    int c = (round + turn) % CASES.length;
                    long[] block = new long[CALLS_PER_BLOCK];
                    for (int i = 0; i < CALLS_PER_BLOCK; i++) {
                        long id = insert ? nextId[c]++ : nextId[c]++ % Accounts.PRELOADED;
                        long start = System.nanoTime();
                        switch (c) {
                            case 0 -> write(sourceDao, id, insert);
                            case 1 -> {
                                write(sourceDao, id, insert);
                                write(targetDao, id, insert);
                            }
                            case 2 -> write(asyncProxy, id, insert);
                            default -> write(syncProxy, id, insert);
                        }
                        block[i] = System.nanoTime() - start;
                    }
                    if (c == 2) {
                        MirrorTrial.awaitBacklog(asyncStats);
                    }
                    if (round >= WARM_UP_ROUNDS) {
                        int r = round - WARM_UP_ROUNDS;
                        System.arraycopy(block, 0, nanos[c], r * CALLS_PER_BLOCK, CALLS_PER_BLOCK);
                        Arrays.sort(block);
                        roundMedians[c][r] = block[CALLS_PER_BLOCK / 2];
                    }
                }
            }
            if (!asyncCutover.retryQueue().drain(Duration.ofMinutes(1)) || !syncCutover.retryQueue().drain(Duration.ofMinutes(1))) {
                throw new IllegalStateException("A retry-queue did not drain");
            }
            Accounts.Difference asyncDifference = asyncSides.compare();
            Accounts.Difference syncDifference = syncSides.compare();
            asyncDifference.requireNone("After the ASYNC writes");
            syncDifference.requireNone("After the SYNC writes");

            double[] avg = new double[CASES.length];
            double[] p50 = new double[CASES.length];
            double[] p99 = new double[CASES.length];
            for (int c = 0; c < CASES.length; c++) {
                long[] all = nanos[c].clone();
                Arrays.sort(all);
                avg[c] = Arrays.stream(all).average().orElse(0) / 1000;
                p50[c] = all[(int) Math.ceil(0.50 * all.length) - 1] / 1000.0;
                p99[c] = all[(int) Math.ceil(0.99 * all.length) - 1] / 1000.0;
            }
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "%s, %s, %d rounds of %d calls per case (%,d calls each); µs; ratios to source only / to hand-written;"
                            + " median of the rounds' p50 ratios to source only%n", pair, insert ? "insert" : "update",
                    rounds, CALLS_PER_BLOCK, measured));
            for (int c = 0; c < CASES.length; c++) {
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratios[r] = roundMedians[c][r] / roundMedians[0][r];
                }
                Arrays.sort(ratios);
                out.append(String.format(Locale.ROOT, "  %-24s avg %8.1f  p50 %8.1f  p99 %8.1f | avg %.3f/%.3f  p50 %.3f/%.3f"
                                + "  p99 %.3f/%.3f | round p50 ratio median %.3f (quartiles %.3f to %.3f)%n", CASES[c],
                        avg[c], p50[c], p99[c], avg[c] / avg[0], avg[c] / avg[1], p50[c] / p50[0], p50[c] / p50[1],
                        p99[c] / p99[0], p99[c] / p99[1], ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]));
            }
            out.append("  ASYNC: ").append(asyncDifference).append("; ")
                    .append(MirrorTrial.describe(asyncStats)).append('\n');
            out.append("  SYNC: ").append(syncDifference);
            return out.toString();
        }
    }

    private static Cutover runtime(Accounts sides, MirrorMode mode) {
        return Cutover.builder(sides.sourcePool, sides.targetPool).mirrorMode("accounts", mode).build();
    }

    private static AccountDao proxy(Migration migration, Accounts sides) {
        migration.moveTo(Stage.DUAL_WRITE, "benchmark", "paired latency run");
        return migration.repository(AccountDao.class, new JdbcAccountDao(sides.sourcePool),
                new JdbcAccountDao(sides.targetPool));
    }

    private static void write(AccountDao dao, long id, boolean insert) throws SQLException {
        if (insert) {
            dao.open(id, "owner");
        } else {
            dao.deposit(id, 1);
        }
    }
}
