package dev.cutover.examples;

import dev.cutover.Migration;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.verifier.VerificationReport;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * The steps the scenario programs share: proving the copy, shifting reads, waiting for the queue and
 * the shadow reads, ending the migration, and a few looks at a table.
 */
public final class ScenarioSteps {
    private ScenarioSteps() {
    }

    /**
     * Prints the heading of a stage and the flags the application now runs with.
     *
     * @param out where to print
     * @param flags the flags
     * @param migration the migration
     * @param what the stage's description
     */
    public static void step(PrintStream out, MigrationFlags flags, String migration, String what) {
        out.printf(Locale.ROOT, "%n== %s%n  flags: %s%n", what, flags.state(migration));
    }

    /**
     * Shadow comparisons finish off the request thread; waits (10 s at most) until the given number did.
     *
     * @param router the router that shadowed the reads
     * @param reads how many shadow reads to wait for the end of (see {@link ReadRouterCounts#shadowReadsEnded()})
     * @throws InterruptedException if interrupted while waiting
     */
    public static void awaitShadowReads(ReadRouter router, long reads) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            ReadRouterCounts stats = router.counts();
            if (stats.shadowReadsEnded() >= reads) {
                return;
            }
            Thread.sleep(20);
        }
    }

    /**
     * Proves the copy before any read moves: the verifier compares every row (checksums per chunk,
     * row by row where they differ).
     *
     * @param out where to print the counts
     * @param migration the migration
     * @return the verifier's report, clean
     * @throws IllegalStateException if the verifier found differences
     */
    public static VerificationReport requireVerified(PrintStream out, Migration migration) {
        VerificationReport verified = migration.verify();
        out.printf(Locale.ROOT, "  verifier: %d rows compared, %d differing keys%n", verified.rowsCompared(),
                verified.differenceCount());
        if (!verified.isClean()) {
            throw new IllegalStateException("the verifier found differences before reads moved: " + verified);
        }
        return verified;
    }

    /**
     * Moves reads to the target in two steps, every read shadowed while the table is small: first a
     * share of the keys, then all of them; after each step the application reads every row once.
     *
     * @param out where to print the steps
     * @param flags the flags
     * @param migration the migration, in {@code DUAL_WRITE}
     * @param actor who flips, for the flag audit
     * @param firstPercent the share of keys the first step reads from the target
     * @param firstReason the first step's reason, for the flag audit
     * @param firstStep the first step's description
     * @param readEveryRow reads every row once through the application; returns how many reads it made
     * @return how many reads were made, each also shadowed on the other side
     * @throws SQLException if a read fails
     */
    public static long shiftReads(PrintStream out, MigrationFlags flags, Migration migration, String actor,
            int firstPercent, String firstReason, String firstStep, Reads readEveryRow) throws SQLException {
        migration.moveTo(Stage.SHIFT_READS, actor, "start shifting reads");
        migration.setShadowReadPercent(100, actor, "compare every read while the table is small");
        migration.setTargetReadPercent(firstPercent, actor, firstReason);
        step(out, flags, migration.name(), firstStep);
        long shadowed = readEveryRow.readAll();
        migration.setTargetReadPercent(100, actor, "all reads on the target");
        step(out, flags, migration.name(), "SHIFT_READS at 100%: every read from the target, writes still on the source first");
        return shadowed + readEveryRow.readAll();
    }

    /**
     * Reads every key from 1 to {@code keys} once and prints which side answered.
     *
     * @param out where to print the counts
     * @param router the router the reads go through
     * @param keys how many keys
     * @param rows what the rows are, for the printout
     * @param read reads one key through the application
     * @return how many reads it made
     * @throws SQLException if a read fails
     */
    public static long readEveryKey(PrintStream out, ReadRouter router, int keys, String rows, KeyRead read)
            throws SQLException {
        ReadRouterCounts before = router.counts();
        for (long id = 1; id <= keys; id++) {
            read.read(id);
        }
        ReadRouterCounts after = router.counts();
        out.printf(Locale.ROOT, "  read %d %s: %d answered by the target, %d by the source%n", keys, rows,
                after.targetReads() - before.targetReads(), after.sourceReads() - before.sourceReads());
        return keys;
    }

    /**
     * Ends the migration once the last check passed: the target alone is written from now on.
     *
     * @param out where to print the step
     * @param flags the flags
     * @param migration the migration, in {@code TARGET_PRIMARY}
     * @param actor who flips, for the flag audit
     * @param differing the rows that differ between the databases
     * @param mismatched shadow comparisons that differed, also when read again
     * @throws IllegalStateException if rows differ or a shadow read found the target answering differently
     */
    public static void finish(PrintStream out, MigrationFlags flags, Migration migration, String actor,
            List<String> differing, long mismatched) {
        if (!differing.isEmpty()) {
            throw new IllegalStateException("the target differs from the source: " + differing);
        }
        if (mismatched > 0) {
            throw new IllegalStateException("shadow reads found the target answering differently: "
                    + migration.router().recentMismatches());
        }

        migration.moveTo(Stage.TARGET_ONLY, actor, "migration done");
        step(out, flags, migration.name(), "TARGET_ONLY: the legacy database is no longer written; keep it as a backup for a while");
    }

    /**
     * Waits for the retry-queue to replay everything due.
     *
     * @param queue the queue
     * @throws IllegalStateException if it did not drain within 30 s
     * @throws InterruptedException if interrupted while waiting
     */
    public static void requireDrained(RetryQueue queue) throws InterruptedException {
        if (!queue.drain(Duration.ofSeconds(30))) {
            throw new IllegalStateException("the retry-queue did not drain within 30 s");
        }
    }

    /**
     * @param dataSource the database
     * @param table the table
     * @return its number of rows
     * @throws SQLException if the query fails
     */
    public static long count(DataSource dataSource, String table) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Reads every row once through the application. */
    @FunctionalInterface
    public interface Reads {
        /**
         * @return how many reads it made
         * @throws SQLException if a read fails
         */
        long readAll() throws SQLException;
    }

    /** Reads one key through the application. */
    @FunctionalInterface
    public interface KeyRead {
        /**
         * @param id the key
         * @throws SQLException if the read fails
         */
        void read(long id) throws SQLException;
    }
}
