package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The mirror lag of {@link MirrorMode#ASYNC} at a fixed write rate (issue #15): writer threads
 * insert new accounts through the repository proxy in {@code DUAL_WRITE} on a fixed schedule
 * (open loop: a write late on its slot is made at once, and the rate reached is reported), and each
 * write's lag is the time from the write call's return (after the primary's commit) to the moment
 * the copy wrote the row on the target, stamped there by a {@code BEFORE INSERT OR UPDATE} trigger
 * with {@code clock_timestamp()} (the copy's commit follows in the same transaction; both clocks are
 * this machine's). The runtime's own meter ({@code cutover.dualwrite.async.lag}, whose mean runs to
 * the copy's commit) is printed beside it. Every written key counts, including those the backlog's
 * bound sent to the retry-queue; the run fails unless both tables end equal.
 *
 * <pre>
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp benchmarks/target/benchmarks.jar \
 *     dev.cutover.benchmarks.AsyncMirrorLagRun [seconds per rate, default 10] [rates, default 1000,5000] [pairs]
 * </pre>
 * Each rate first runs 2 s of warm-up writes that are not counted. The target must be PostgreSQL
 * (the trigger). Needs the local PostgreSQL and MariaDB of the tests.
 */
public final class AsyncMirrorLagRun {
    private static final String MIGRATION = "accounts";
    private static final int WRITERS = 8;
    private static final int WARM_UP_SECONDS = 2;

    private AsyncMirrorLagRun() {
    }

    /**
     * Runs every pair at every rate and prints one line each.
     *
     * @param args seconds per rate, comma-separated rates, comma-separated pairs
     * @throws Exception if a database fails or the sides end different
     */
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String[] rates = (args.length > 1 ? args[1] : "1000,5000").split(",");
        String[] pairs = (args.length > 2 ? args[2] : "postgresql-postgresql,mariadb-postgresql").split(",");
        List<String> lines = new ArrayList<>();
        for (String pair : pairs) {
            for (String rate : rates) {
                String line = run(pair, Integer.parseInt(rate), seconds);
                System.out.println(line);
                lines.add(line);
            }
        }
        System.out.println();
        lines.forEach(System.out::println);
    }

    private static String run(String pair, int rate, int seconds) throws Exception {
        try (Accounts accounts = Accounts.create(pair, "asynclag", 0, WRITERS + 6)) {
            if (accounts.target.engine() != Engine.POSTGRESQL) {
                throw new IllegalArgumentException("The lag is stamped by a PostgreSQL trigger: the target must be"
                        + " PostgreSQL, e.g. mariadb-postgresql");
            }
            accounts.target.execute("ALTER TABLE account ADD COLUMN copied_at TIMESTAMPTZ",
                    "CREATE FUNCTION stamp_copy() RETURNS trigger AS $$ BEGIN NEW.copied_at := clock_timestamp();"
                            + " RETURN NEW; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER stamp_copy BEFORE INSERT OR UPDATE ON account FOR EACH ROW EXECUTE FUNCTION stamp_copy()");
            try (Cutover cutover = Cutover.builder(accounts.sourcePool, accounts.targetPool)
                    .mirrorMode(MIGRATION, MirrorMode.ASYNC).build()) {
                Migration migration = cutover.migration(MIGRATION, Accounts.mapping());
                migration.moveTo(Stage.DUAL_WRITE, "benchmark", "async mirror lag run");
                AccountDao proxy = migration.repository(AccountDao.class, new JdbcAccountDao(accounts.sourcePool),
                        new JdbcAccountDao(accounts.targetPool));
                int warmUp = rate * WARM_UP_SECONDS;
                int total = warmUp + rate * seconds;
                long[] returnedMicros = new long[total];
                long[] callNanos = new long[total];
                AtomicLong tickets = new AtomicLong();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                double slotNanos = 1e9 / rate;
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    Thread writer = new Thread(() -> {
                        for (long t = tickets.getAndIncrement(); t < total && failure.get() == null;
                                t = tickets.getAndIncrement()) {
                            long due = start + (long) (t * slotNanos);
                            long wait = due - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait);
                            }
                            long before = System.nanoTime();
                            try {
                                proxy.open(t, "owner");
                            } catch (SQLException | RuntimeException e) {
                                failure.compareAndSet(null, e);
                                return;
                            }
                            long after = System.nanoTime();
                            returnedMicros[(int) t] = micros(Instant.now());
                            callNanos[(int) t] = after - before;
                        }
                    }, "lag-writer-" + w);
                    writers.add(writer);
                    writer.start();
                }
                DualWriteCounters stats = migration.counters();
                long measuredStart = start + (long) (warmUp * slotNanos);
                // The meter's mean over the measured writes' copies, roughly: warm-up copies still in
                // flight at this instant count in it, the last measured ones are awaited below.
                LockSupport.parkNanos(measuredStart - System.nanoTime());
                long copiedBefore = stats.asyncCopied();
                long lagNanosBefore = stats.asyncLagNanos();
                for (Thread writer : writers) {
                    writer.join();
                }
                long end = System.nanoTime();
                if (failure.get() != null) {
                    throw new IllegalStateException("A write failed", failure.get());
                }
                double achieved = (total - warmUp) / ((end - measuredStart) / 1e9);
                MirrorTrial.awaitBacklog(stats);
                if (!cutover.retryQueue().drain(Duration.ofMinutes(2))) {
                    throw new IllegalStateException("The retry-queue did not drain: " + migration.queueDepth());
                }
                Accounts.Difference difference = accounts.compare();
                difference.requireNone("After the asynchronous writes");
                long[] copiedMicros = copiedMicros(accounts, total);
                double[] lagMs = new double[total - warmUp];
                double[] callMs = new double[total - warmUp];
                for (int i = warmUp; i < total; i++) {
                    lagMs[i - warmUp] = (copiedMicros[i] - returnedMicros[i]) / 1000.0;
                    callMs[i - warmUp] = callNanos[i] / 1e6;
                }
                Arrays.sort(lagMs);
                Arrays.sort(callMs);
                long copied = stats.asyncCopied() - copiedBefore;
                return String.format(Locale.ROOT, "%s at %,d writes/s (reached %,.0f/s, %,d measured writes): lag p50 %.2f ms,"
                        + " p90 %.2f, p99 %.2f, p99.9 %.2f, max %.2f; meter mean %.2f ms over %,d copies; caller p50 %.3f ms, p99 %.3f; coalesced %d, overflowed to the retry-queue %d,"
                        + " enqueued %d; %s", pair, rate, achieved, lagMs.length, pct(lagMs, 50), pct(lagMs, 90),
                        pct(lagMs, 99), pct(lagMs, 99.9), lagMs[lagMs.length - 1],
                        copied == 0 ? 0.0 : (stats.asyncLagNanos() - lagNanosBefore) / 1e6 / copied, copied, pct(callMs, 50), pct(callMs, 99),
                        stats.asyncCoalesced(), stats.asyncOverflows(), stats.enqueued(), difference);
            }
        }
    }

    private static long[] copiedMicros(Accounts accounts, int total) throws SQLException {
        long[] copied = new long[total];
        Arrays.fill(copied, -1);
        try (Connection c = accounts.target.connect(); PreparedStatement s = c.prepareStatement(
                "SELECT id, (extract(epoch from copied_at) * 1000000)::bigint FROM account");
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                copied[(int) rs.getLong(1)] = rs.getLong(2);
            }
        }
        for (int i = 0; i < total; i++) {
            if (copied[i] < 0) {
                throw new IllegalStateException("Key " + i + " was acknowledged but has no copy on the target");
            }
        }
        return copied;
    }

    static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }

    /** The nearest-rank percentile of sorted values. */
    static double pct(double[] sorted, double percentile) {
        int rank = (int) Math.ceil(percentile / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
