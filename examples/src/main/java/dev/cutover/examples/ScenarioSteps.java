package dev.cutover.examples;

import dev.cutover.Migration;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.queue.RetryQueue;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterStats;
import dev.cutover.verifier.VerificationReport;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * The small steps the scenario programs share: waiting for the queue and the shadow reads, proving
 * the copy, and a few looks at a table.
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
     * @param reads how many shadow reads to wait for the end of (see {@link ReadRouterStats#shadowReadsEnded()})
     * @throws InterruptedException if interrupted while waiting
     */
    public static void awaitShadowReads(ReadRouter router, long reads) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            ReadRouterStats stats = router.stats();
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
}
