package dev.cutover.benchmarks;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.flags.Stage;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The Cutover side of a trial of the asynchronous mirror's benchmarks: a runtime in {@code DUAL_WRITE}
 * over the accounts table, its row copier in the mode the benchmark method names
 * ({@code cutover_async} or another {@code cutover_} method for {@code SYNC}), and the end-of-trial
 * check that every measured write reached the target.
 */
final class MirrorTrial implements AutoCloseable {
    static final String MIGRATION = "accounts";

    private final Accounts accounts;
    private final Cutover cutover;
    private final Migration migration;
    private final AccountDao proxy;

    private MirrorTrial(Accounts accounts, Cutover cutover, Migration migration, AccountDao proxy) {
        this.accounts = accounts;
        this.cutover = cutover;
        this.migration = migration;
        this.proxy = proxy;
    }

    /**
     * @return the trial's runtime and proxy, or null for a method that does not measure Cutover
     */
    static MirrorTrial openFor(BenchmarkParams params, Accounts accounts, AccountDao sourceDao, AccountDao targetDao,
            String reason) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (!method.startsWith("cutover_")) {
            return null;
        }
        MirrorMode mode = method.equals("cutover_async") ? MirrorMode.ASYNC : MirrorMode.SYNC;
        Cutover cutover = Cutover.builder(accounts.sourcePool, accounts.targetPool).mirrorMode(MIGRATION, mode).build();
        Migration migration = cutover.migration(MIGRATION, Accounts.mapping());
        migration.moveTo(Stage.DUAL_WRITE, "benchmark", reason);
        return new MirrorTrial(accounts, cutover, migration, migration.repository(AccountDao.class, sourceDao, targetDao));
    }

    AccountDao proxy() {
        return proxy;
    }

    /**
     * Waits for the copier's backlog and the retry-queue, prints the trial's counters, and fails unless
     * both tables are equal row for row.
     *
     * @param label what the printed line starts with
     * @param drain how long the retry-queue may take to drain
     */
    void requireEverythingCopied(String label, Duration drain) throws SQLException, InterruptedException {
        DualWriteCounters stats = migration.counters();
        awaitBacklog(stats);
        if (!cutover.retryQueue().drain(drain)) {
            throw new IllegalStateException("The retry-queue did not drain: " + migration.queueDepth());
        }
        Accounts.Difference difference = accounts.compare();
        MirrorMode mode = migration.rowCopier().mirrorMode();
        System.out.println();
        System.out.println(label + " " + mode + ": " + difference + "; " + describe(stats));
        difference.requireNone("After the " + mode + " writes");
    }

    @Override
    public void close() {
        cutover.close();
    }

    /**
     * Ends a benchmark trial: checks that every write was copied, then closes the trial (if it was
     * opened) and the databases, also when the check fails.
     *
     * @param trial the trial, null if its set-up failed before opening it
     * @param accounts the trial's databases
     * @param label what the printed line starts with
     * @param drain how long the retry-queue may take to drain
     */
    static void finish(MirrorTrial trial, Accounts accounts, String label, Duration drain)
            throws SQLException, InterruptedException {
        try {
            if (trial != null) {
                trial.requireEverythingCopied(label, drain);
            }
        } finally {
            if (trial != null) {
                trial.close();
            }
            accounts.close();
        }
    }

    /** Waits until the asynchronous copier has copied or queued every key of the measured writes. */
    static void awaitBacklog(DualWriteCounters stats) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (stats.asyncBacklog() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The asynchronous backlog did not empty within a minute: "
                        + stats.asyncBacklog() + " keys left");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while the asynchronous backlog empties", e);
            }
        }
    }

    /** The copier's counters, for the run's log. */
    static String describe(DualWriteCounters stats) {
        long copied = stats.asyncCopied();
        return String.format(Locale.ROOT, "primary writes %d, mirrored %d (async copies included), async copied %d, coalesced %d,"
                + " overflowed to the retry-queue %d, enqueued %d, enqueue failures %d, late %d, mean async lag %.2f ms",
                stats.primaryWrites(), stats.mirrored(), copied, stats.asyncCoalesced(), stats.asyncOverflows(),
                stats.enqueued(), stats.enqueueFailures(), stats.asyncLate(),
                copied == 0 ? 0.0 : stats.asyncLagNanos() / 1e6 / copied);
    }
}
