package dev.cutover.examples.flags;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.examples.shop.TableCheck;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Scenario: flipping flags from outside the application. {@link ProfileApp} runs with its flags in
 * a shared table and keeps writing; it never flips anything. Someone else does: first an operator
 * tool through Cutover's API ({@link FlipFlags}, in a process of its own when the test runs this),
 * then an operator with plain SQL on the flag table. After each flip the scenario waits for the
 * application to follow (it reloads the table every 500 ms) and shows where its reads now go.
 *
 * <p>Run it with {@code mvn -q -pl examples -am compile exec:java
 * -Dexec.mainClass=dev.cutover.examples.flags.FlagsScenario}, optionally with
 * {@code -Dexec.args="SOURCE_JDBC_URL TARGET_JDBC_URL"}. From Maven the API flips run on a second
 * {@code MigrationFlags} instance in the same JVM (Maven's class path cannot start the tool in a
 * JVM of its own); {@code FlagsScenarioTest} runs them in a separate process.
 */
public final class FlagsScenario {
    /** How long the application may take to follow a flip before the scenario fails: 60 refresh intervals. */
    static final Duration FOLLOW_LIMIT = Duration.ofSeconds(30);

    private FlagsScenario() {
    }

    /**
     * One flip and what the application did after it.
     *
     * @param how who flipped and how
     * @param stored the flags that were stored
     * @param followedAfterMillis roughly how long after the flip was stored the application saw it
     * @param reads who answered when the application then read every profile
     */
    public record Step(String how, MigrationState stored, long followedAfterMillis, ProfileApp.ReadCount reads) {
    }

    /**
     * What the scenario saw.
     *
     * @param steps the flips, in order
     * @param writes writes the application made meanwhile
     * @param writeErrors writes that failed (must be 0)
     * @param differingRows rows that differ at the end (must be empty)
     */
    public record Outcome(List<Step> steps, long writes, long writeErrors, List<String> differingRows) {
    }

    /**
     * Runs the scenario.
     *
     * @param args optional source and target JDBC URLs; default embedded H2
     * @throws Exception if a database fails
     */
    public static void main(String[] args) throws Exception {
        String run = Long.toString(System.nanoTime(), 36);
        String sourceUrl = args.length > 0 ? args[0]
                : "jdbc:h2:mem:legacy_" + run + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
        String targetUrl = args.length > 1 ? args[1] : "jdbc:h2:mem:new_" + run + ";DB_CLOSE_DELAY=-1";
        try (HikariDataSource source = pool(sourceUrl); HikariDataSource target = pool(targetUrl)) {
            run(source, target, FlipFlags.inThisProcess(source), "a second MigrationFlags instance", System.out);
        } catch (IllegalStateException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Runs the scenario on two empty databases.
     *
     * @param source an empty legacy database; it also holds the flag table
     * @param target an empty new database
     * @param operator flips through the API from outside the application
     * @param operatorName how to name the operator in the output
     * @param out where to print what happens
     * @return what the scenario saw
     * @throws IllegalStateException if the application did not follow a flip within {@link #FOLLOW_LIMIT},
     *     a write failed, or the databases differ at the end
     * @throws Exception if a database fails
     */
    public static Outcome run(DataSource source, DataSource target, FlipFlags.Flipper operator, String operatorName,
                              PrintStream out) throws Exception {
        ProfileApp.createTables(source, target);
        List<Step> steps = new ArrayList<>();
        try (ProfileApp app = ProfileApp.start(source, target)) {
            out.printf(Locale.ROOT, "%n== the application runs and writes; it sees %s%n", app.flagsSeen().stage());

            // 1. Dual writes on, flipped through the API by someone else.
            operator.flip(ProfileApp.MIGRATION, Stage.DUAL_WRITE, 0);
            steps.add(follow(out, app, "API flip by " + operatorName + ": DUAL_WRITE",
                    seen -> seen.stage() == Stage.DUAL_WRITE));
            // Calls that read SOURCE_ONLY just before the application saw the flip finish first; then
            // the history is backfilled in chunks. The application's own writes are mirrored meanwhile.
            Thread.sleep(500);
            BackfillProgress backfill = app.backfill().build().run();
            out.printf(Locale.ROOT, "  backfilled %d profiles in %d chunk(s)%n", backfill.rowsDone(), backfill.chunks());

            // 2. Half the reads to the target, flipped through the API.
            operator.flip(ProfileApp.MIGRATION, Stage.SHIFT_READS, 50);
            steps.add(follow(out, app, "API flip by " + operatorName + ": SHIFT_READS, 50% of reads on the target",
                    seen -> seen.stage() == Stage.SHIFT_READS && seen.targetReadPercent() == 50));

            // 3. All reads to the target, with plain SQL: no audit entry and no transition check, but
            // the application validates what it loads and keeps its last good flags if a value is illegal.
            sql(source, "UPDATE " + ProfileApp.TABLE_PREFIX + "flag_state SET target_read_percent = 100 WHERE migration = ?");
            steps.add(follow(out, app, "plain SQL: target_read_percent = 100",
                    seen -> seen.targetReadPercent() == 100));

            // 4. Roll back with plain SQL: back to DUAL_WRITE, every read on the source again.
            sql(source, "UPDATE " + ProfileApp.TABLE_PREFIX + "flag_state SET stage = 'DUAL_WRITE', target_read_percent = 0"
                    + " WHERE migration = ?");
            steps.add(follow(out, app, "plain SQL rollback: stage = 'DUAL_WRITE', target_read_percent = 0",
                    seen -> seen.stage() == Stage.DUAL_WRITE));

            // Writes kept going through every flip; both sides must hold the same rows.
            if (!app.stopWritingAndDrain(Duration.ofSeconds(30))) {
                throw new IllegalStateException("the retry-queue did not drain within 30 s");
            }
            List<String> differing = TableCheck.differingRows(source, target, "profiles", "id");
            Outcome outcome = new Outcome(steps, app.writes(), app.errors(), differing);
            out.printf(Locale.ROOT, "%n  %d writes during the flips, %d failed; differing rows %d%n", outcome.writes(),
                    outcome.writeErrors(), differing.size());
            if (outcome.writeErrors() > 0 || !differing.isEmpty()) {
                throw new IllegalStateException(outcome.writeErrors() + " writes failed; differing rows: " + differing);
            }
            out.println("OK: the application followed every flip made outside it, and the target equals the source.");
            return outcome;
        }
    }

    /** Waits until the application's own flags satisfy the condition, then reads every profile through it. */
    private static Step follow(PrintStream out, ProfileApp app, String how, Predicate<MigrationState> followed)
            throws InterruptedException {
        long flipped = System.nanoTime();
        long deadline = flipped + FOLLOW_LIMIT.toNanos();
        while (!followed.test(app.flagsSeen())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the application did not follow '" + how + "' within "
                        + FOLLOW_LIMIT.toSeconds() + " s; it still sees " + app.flagsSeen());
            }
            Thread.sleep(10);
        }
        long millis = (System.nanoTime() - flipped) / 1_000_000;
        ProfileApp.ReadCount reads = app.readEveryProfile();
        out.printf(Locale.ROOT, "%n== %s%n  the application followed after about %d ms (it reloads every %d ms);"
                        + " its next %d reads: %d from the target, %d from the source%n",
                how, millis, ProfileApp.REFRESH_INTERVAL.toMillis(), ProfileApp.PROFILES, reads.target(), reads.source());
        return new Step(how, app.flagsSeen(), millis, reads);
    }

    private static void sql(DataSource flagsDatabase, String update) throws SQLException {
        try (Connection c = flagsDatabase.getConnection(); PreparedStatement s = c.prepareStatement(update)) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            s.setString(1, ProfileApp.MIGRATION);
            if (s.executeUpdate() != 1) {
                throw new IllegalStateException("no flag row for migration " + ProfileApp.MIGRATION);
            }
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(8);
        return new HikariDataSource(config);
    }
}
