package dev.cutover.examples.jdbi;

import static dev.cutover.examples.ScenarioSteps.awaitShadowReads;
import static dev.cutover.examples.ScenarioSteps.count;
import static dev.cutover.examples.ScenarioSteps.finish;
import static dev.cutover.examples.ScenarioSteps.readEveryKey;
import static dev.cutover.examples.ScenarioSteps.requireDrained;
import static dev.cutover.examples.ScenarioSteps.requireVerified;
import static dev.cutover.examples.ScenarioSteps.shiftReads;
import static dev.cutover.examples.ScenarioSteps.step;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.examples.shop.TableCheck;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.verifier.VerificationReport;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/**
 * Scenario 1: wrapping a JDBI SqlObject DAO. An application that reads and writes users through
 * {@link UserDao} on a legacy database moves them to a new database, one stage at a time, with a
 * rollback rehearsal, and checks at the end that both databases hold the same rows. The README's
 * tutorial walks through this code.
 *
 * <p>Run it with {@code mvn -q -pl examples -am compile exec:java
 * -Dexec.mainClass=dev.cutover.examples.jdbi.JdbiScenario}, optionally with
 * {@code -Dexec.args="SOURCE_JDBC_URL TARGET_JDBC_URL"} (two empty databases; default: embedded H2,
 * the source in MySQL mode). It exits with status 1 if the databases differ at the end.
 */
public final class JdbiScenario {
    /** The migration's name: the key of its flags, queue entries and metrics. */
    static final String MIGRATION = "users";
    /** Who flips, for the flag audit. */
    private static final String ACTOR = "jdbi-scenario";
    /** How many users the application already has when the migration starts. */
    static final int EXISTING_USERS = 50;

    private JdbiScenario() {
    }

    /**
     * What the scenario saw.
     *
     * @param verifiedRows rows the verifier compared before reads moved to the target
     * @param users users on the source at the end
     * @param sourceReads reads the source answered
     * @param targetReads reads the target answered
     * @param mirrored rows copied to the other side right after a write
     * @param queued copies left to the retry-queue
     * @param shadowCompared reads also run on the other side and compared
     * @param mismatched comparisons that differed, also when read again
     * @param differingRows rows that differ between the databases at the end (must be empty)
     */
    public record Outcome(long verifiedRows, long users, long sourceReads, long targetReads, long mirrored, long queued,
                          long shadowCompared, long mismatched, List<String> differingRows) {
    }

    /**
     * Runs the scenario on two empty databases.
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
            run(source, target, System.out);
        } catch (IllegalStateException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Runs the scenario.
     *
     * @param source an empty legacy database
     * @param target an empty new database
     * @param out where to print what happens
     * @return what the scenario saw
     * @throws IllegalStateException if the databases differ at the end
     * @throws Exception if a database fails
     */
    public static Outcome run(DataSource source, DataSource target, PrintStream out) throws Exception {
        // The application before the migration: a JDBI DAO on the legacy database, with history.
        // The new schema exists on the target (your schema tool creates it); Cutover copies rows, not DDL.
        createUsersTable(source);
        createUsersTable(target);
        Jdbi sourceJdbi = Jdbi.create(source).installPlugin(new SqlObjectPlugin());
        Jdbi targetJdbi = Jdbi.create(target).installPlugin(new SqlObjectPlugin());
        UserDao legacy = sourceJdbi.onDemand(UserDao.class);
        for (long id = 1; id <= EXISTING_USERS; id++) {
            legacy.insert(id, "user" + id + "@example.com", "User " + id);
        }

        // One Cutover runtime per application. It keeps its flags (the stage of each migration, flipped
        // at runtime and shared by every instance) and its retry-queue (copies that could not be made
        // at once) in tables of its own, created here in the source database: it is reachable by every
        // instance and up for the whole migration.
        try (Cutover cutover = Cutover.builder(source, target)
                .retryQueue(queue -> queue.pollInterval(Duration.ofMillis(100)))
                .build()) {
            // One Migration per migration, with the tables it moves. Writes are mirrored by copying the
            // written key's current row under its lock, never by running the statement twice, so
            // increments, deletes and concurrent writers cannot leave the two databases different.
            Migration migration = cutover.migration(MIGRATION, TableMapping.builder("users")
                    .key("id", Long.class)
                    .columns("email", "name", "karma")
                    .build());
            MigrationFlags flags = cutover.flags();
            ReadRouter router = migration.router();

            // The one change to the application: where it built its DAO, it now builds a wrapped one.
            // The wrapper implements UserDao, so the code that calls the DAO does not change.
            UserDao users = migration.repository(UserDao.class, legacy, targetJdbi.onDemand(UserDao.class));

            step(out, flags, MIGRATION, "SOURCE_ONLY: nothing changes yet; the wrapper calls the legacy DAO only");
            users.addKarma(1, 5);
            out.printf(Locale.ROOT, "  user 1 on the source: %s; rows on the target: %d%n", legacy.find(1).orElseThrow(),
                    count(target, "users"));

            // Dual writes first, then copy the history: a write that lands during the copy is
            // mirrored by state, so it cannot be overtaken by an older copy of its row.
            migration.moveTo(Stage.DUAL_WRITE, ACTOR, "start mirroring writes");
            step(out, flags, MIGRATION, "DUAL_WRITE: every write goes to the source, then its row is copied to the target");
            BackfillProgress backfill = migration.backfill().build().run();
            out.printf(Locale.ROOT, "  backfilled the %d existing users in %d chunk(s); rows on the target: %d%n",
                    backfill.rowsDone(), backfill.chunks(), count(target, "users"));
            users.insert(51, "new@example.com", "Newcomer");
            users.addKarma(2, 3);
            users.addKarma(2, 4);
            users.delete(3);
            out.printf(Locale.ROOT, "  wrote 4 times; user 2 on the target: %s%n",
                    targetJdbi.onDemand(UserDao.class).find(2).orElseThrow());

            // Prove the copy before any read moves.
            VerificationReport verified = requireVerified(out, migration);

            // Reads move gradually. A key's side is sticky: raising the percentage only ever moves
            // keys to the target. Shadow reads compare the other side's answer off the request thread.
            long shadowed = shiftReads(out, flags, migration, ACTOR, 25, "first read step",
                    "SHIFT_READS at 25%: a quarter of the keys are read from the target",
                    () -> readEveryKey(out, router, EXISTING_USERS, "users", users::find));

            // The target becomes the system of record; the source keeps receiving copies, so a
            // rollback finds it complete. Move the primary only with an empty queue.
            requireDrained(cutover.retryQueue());
            migration.moveTo(Stage.TARGET_PRIMARY, ACTOR, "target verified: make it primary");
            step(out, flags, MIGRATION, "TARGET_PRIMARY: writes go to the target first, then their rows are copied back");
            users.rename(4, "Renamed on the target");
            users.addKarma(4, 10);
            out.printf(Locale.ROOT, "  user 4 on the source (kept for rollback): %s%n", legacy.find(4).orElseThrow());

            // Rollback is one flip, to any earlier stage, and takes effect on the next call.
            migration.moveTo(Stage.DUAL_WRITE, ACTOR, "rollback rehearsal");
            step(out, flags, MIGRATION, "rollback rehearsal: back to DUAL_WRITE in one flip");
            users.addKarma(4, 1);
            out.printf(Locale.ROOT, "  user 4 read after the rollback (from the source): %s%n", users.find(4).orElseThrow());
            shadowed++;
            migration.moveTo(Stage.SHIFT_READS, ACTOR, "forward again");
            migration.moveTo(Stage.TARGET_PRIMARY, ACTOR, "forward again");
            step(out, flags, MIGRATION, "forward again to TARGET_PRIMARY");
            users.insert(52, "late@example.com", "Late arrival");

            // The last check while both sides are still written: queue empty, every row equal. In
            // production this is the verifier's job, run against the whole table.
            requireDrained(cutover.retryQueue());
            awaitShadowReads(router, shadowed);
            List<String> differing = TableCheck.differingRows(source, target, "users", "id");
            Outcome outcome = new Outcome(verified.rowsCompared(), count(source, "users"), router.counts().sourceReads(),
                    router.counts().targetReads(),
                    migration.counters().mirrored(), migration.counters().enqueued(), router.counts().compared(), router.counts().mismatched(), differing);
            out.printf(Locale.ROOT, "%n  users %d, reads from source %d / target %d, rows mirrored %d, queued %d,"
                            + " shadow comparisons %d (mismatches %d), differing rows %d%n",
                    outcome.users(), outcome.sourceReads(), outcome.targetReads(), outcome.mirrored(), outcome.queued(),
                    outcome.shadowCompared(), outcome.mismatched(), differing.size());
            finish(out, flags, migration, ACTOR, differing, outcome.mismatched());
            out.println("OK: the target equals the source, and the application never noticed.");
            return outcome;
        }
    }

    private static void createUsersTable(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL,"
                    + " name VARCHAR(100) NOT NULL, karma INT NOT NULL)");
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(8);
        return new HikariDataSource(config);
    }
}
