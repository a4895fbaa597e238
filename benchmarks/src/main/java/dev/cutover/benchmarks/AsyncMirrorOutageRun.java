package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.TcpForwarder;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * The bound of the {@link MirrorMode#ASYNC} backlog under a target outage (issue #15): writer
 * threads deposit to random rows of 100,000 through the repository proxy in {@code DUAL_WRITE} at a
 * fixed rate while the target, reached through a {@link TcpForwarder}, is up, then down (stalled:
 * bytes stop, connections hang; or cut: connections reset and refused), then up again. A sampler
 * reads the backlog gauge ({@link DualWriteCounters#asyncBacklog()}) every millisecond; each phase
 * reports its largest sample, the writes it sent to the retry-queue inside the call because the
 * backlog was full, and the callers' latency. After the writers stop, the backlog and the
 * retry-queue (on the source database, up throughout) drain, and the run fails unless both tables
 * are equal row for row and the target's balances add up to the preloaded ones plus one per
 * acknowledged deposit: no acknowledged write was dropped.
 *
 * <pre>
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp benchmarks/target/benchmarks.jar \
 *     dev.cutover.benchmarks.AsyncMirrorOutageRun [stall|cut, default both] [asyncBacklog, default 1000]
 *     [writes/s, default 1000] [outage seconds, default 10] [pairs]
 * </pre>
 * Needs the local PostgreSQL and MariaDB of the tests.
 */
public final class AsyncMirrorOutageRun {
    private static final String MIGRATION = "accounts";
    private static final int ROWS = 100_000;
    private static final int WRITERS = 8;
    private static final int WARM_UP_SECONDS = 2;
    private static final int BEFORE_SECONDS = 3;
    private static final int AFTER_SECONDS = 5;
    private static final String[] PHASES = {"warm-up", "before", "outage", "after"};
    private static final int OUTAGE = 2;

    private AsyncMirrorOutageRun() {
    }

    /**
     * Runs every outage kind on every pair and prints one block each.
     *
     * @param args outage kind, backlog bound, write rate, outage seconds, comma-separated pairs
     * @throws Exception if a database fails or the sides end different
     */
    public static void main(String[] args) throws Exception {
        String[] kinds = (args.length > 0 ? args[0] : "stall,cut").split(",");
        int backlog = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        int outageSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        String[] pairs = (args.length > 4 ? args[4] : "postgresql-postgresql,mariadb-postgresql").split(",");
        List<String> reports = new ArrayList<>();
        for (String pair : pairs) {
            for (String kind : kinds) {
                String report = run(pair, kind, backlog, rate, outageSeconds);
                System.out.println(report);
                reports.add(report);
            }
        }
        System.out.println();
        reports.forEach(System.out::println);
    }

    private static String run(String pair, String kind, int backlog, int rate, int outageSeconds) throws Exception {
        try (Accounts accounts = Accounts.create(pair, "asyncout", ROWS, WRITERS + 6);
                TcpForwarder forwarder = TcpForwarder.in(accounts.target)) {
            DataSource target = accounts.target.dataSourceVia(forwarder, WRITERS + 6);
            try (Cutover cutover = Cutover.builder(accounts.sourcePool, target)
                    .mirrorMode(MIGRATION, MirrorMode.ASYNC)
                    .rowCopier(b -> b.asyncBacklog(backlog))
                    .build()) {
                Migration migration = cutover.migration(MIGRATION, Accounts.mapping());
                migration.moveTo(Stage.DUAL_WRITE, "benchmark", "async mirror outage run");
                AccountDao proxy = migration.repository(AccountDao.class, new JdbcAccountDao(accounts.sourcePool),
                        new JdbcAccountDao(target));
                DualWriteCounters stats = migration.counters();

                int[] phaseEnds = new int[PHASES.length];
                int[] durations = {WARM_UP_SECONDS, BEFORE_SECONDS, outageSeconds, AFTER_SECONDS};
                for (int p = 0; p < PHASES.length; p++) {
                    phaseEnds[p] = (p == 0 ? 0 : phaseEnds[p - 1]) + durations[p];
                }
                int total = rate * phaseEnds[PHASES.length - 1];
                int[] callMicros = new int[total];
                AtomicLong tickets = new AtomicLong();
                AtomicLong acknowledged = new AtomicLong();
                AtomicLong failed = new AtomicLong();
                AtomicReference<Throwable> firstFailure = new AtomicReference<>();
                AtomicLongArray maxBacklog = new AtomicLongArray(PHASES.length);
                long[] overflowsAtPhaseEnd = new long[PHASES.length];
                long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                double slotNanos = 1e9 / rate;
                int[] phase = {0};
                Thread sampler = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        long now = stats.asyncBacklog();
                        int p = phase[0];
                        if (now > maxBacklog.get(p)) {
                            maxBacklog.set(p, now);
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                }, "backlog-sampler");
                sampler.setDaemon(true);
                sampler.start();
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    Thread writer = new Thread(() -> {
                        SplittableRandom random = new SplittableRandom();
                        for (long t = tickets.getAndIncrement(); t < total; t = tickets.getAndIncrement()) {
                            long wait = start + (long) (t * slotNanos) - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait);
                            }
                            long before = System.nanoTime();
                            try {
                                proxy.deposit(random.nextInt(ROWS), 1);
                                acknowledged.incrementAndGet();
                            } catch (SQLException | RuntimeException e) {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet(null, e);
                            }
                            callMicros[(int) t] = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - before) / 1_000);
                        }
                    }, "outage-writer-" + w);
                    writers.add(writer);
                    writer.start();
                }
                for (int p = 0; p < PHASES.length; p++) {
                    LockSupport.parkNanos(start + TimeUnit.SECONDS.toNanos(phaseEnds[p]) - System.nanoTime());
                    overflowsAtPhaseEnd[p] = stats.asyncOverflows();
                    if (p + 1 == OUTAGE) {
                        if (kind.equals("stall")) {
                            forwarder.stall();
                        } else {
                            forwarder.cut();
                        }
                    } else if (p == OUTAGE) {
                        forwarder.restore();
                    }
                    if (p + 1 < PHASES.length) {
                        phase[0] = p + 1;
                    }
                }
                for (Thread writer : writers) {
                    writer.join();
                }
                long backlogAtEnd = stats.asyncBacklog();
                MirrorTrial.awaitBacklog(stats);
                sampler.interrupt();
                sampler.join();
                long drainStart = System.nanoTime();
                if (!cutover.retryQueue().drain(Duration.ofMinutes(3))) {
                    throw new IllegalStateException("The retry-queue did not drain: " + migration.queueDepth());
                }
                long drainMillis = (System.nanoTime() - drainStart) / 1_000_000;
                Accounts.Difference difference = accounts.compare();
                difference.requireNone("After the outage");
                long targetSum = sum(accounts);
                long expected = 100L * ROWS + acknowledged.get();
                StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                        "%s, target %s for %d s, asyncBacklog %d, %,d writes/s by %d threads: %,d acknowledged, %d failed%s;"
                                + " target balance sum %d, expected %d (%s); %s; retry-queue drained in %d ms after the"
                                + " writers stopped (backlog then %d); %s%n", pair, kind.equals("stall") ? "stalled" : "cut",
                        outageSeconds, backlog, rate, WRITERS, acknowledged.get(), failed.get(),
                        firstFailure.get() == null ? "" : " (first: " + firstFailure.get() + ")", targetSum, expected,
                        targetSum == expected ? "no acknowledged deposit lost" : "MISMATCH", difference, drainMillis,
                        backlogAtEnd, MirrorTrial.describe(stats)));
                int from = 0;
                for (int p = 0; p < PHASES.length; p++) {
                    int to = rate * phaseEnds[p];
                    double[] ms = new double[to - from];
                    for (int i = from; i < to; i++) {
                        ms[i - from] = callMicros[i] / 1000.0;
                    }
                    Arrays.sort(ms);
                    out.append(String.format(Locale.ROOT, "  %-7s: max backlog sampled %d (bound %d), overflowed to the"
                                    + " retry-queue %d, caller p50 %.3f ms, p99 %.3f ms, max %.1f ms%n", PHASES[p],
                            maxBacklog.get(p), backlog, overflowsAtPhaseEnd[p] - (p == 0 ? 0 : overflowsAtPhaseEnd[p - 1]),
                            AsyncMirrorLagRun.pct(ms, 50), AsyncMirrorLagRun.pct(ms, 99), ms[ms.length - 1]));
                    from = to;
                }
                if (targetSum != expected) {
                    throw new IllegalStateException("Acknowledged deposits are missing on the target: " + out);
                }
                return out.toString();
            }
        }
    }

    private static long sum(Accounts accounts) throws SQLException {
        try (Connection c = accounts.target.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT SUM(balance) FROM account")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
