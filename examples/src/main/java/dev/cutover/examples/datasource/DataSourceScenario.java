package dev.cutover.examples.datasource;

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
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.examples.shop.TableCheck;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.verifier.VerificationReport;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * Scenario: wrapping a {@code DataSource} (two HikariCP pools) under plain JDBC code.
 * {@link AccountStore} is JDBC code that takes a {@code DataSource} ({@code PreparedStatement}s,
 * transactions, a batch); it is handed a {@link dev.cutover.dualwrite.CutoverDataSource} over the
 * legacy and the new pool and keeps working unchanged while the accounts move, stage by stage, with
 * a rollback rehearsal; at the end both databases must hold the same rows.
 *
 * <p>Run it with {@code mvn -q -pl examples -am compile exec:java
 * -Dexec.mainClass=dev.cutover.examples.datasource.DataSourceScenario}, optionally with
 * {@code -Dexec.args="SOURCE_JDBC_URL TARGET_JDBC_URL"} (two empty databases; default: embedded H2,
 * the source in MySQL mode). It exits with status 1 if the databases differ at the end.
 */
public final class DataSourceScenario {
    /** The migration's name: the key of its flags, queue entries and metrics. */
    static final String MIGRATION = "accounts";
    /** Who flips, for the flag audit. */
    private static final String ACTOR = "datasource-scenario";
    /** Accounts the application already has when the migration starts. */
    static final int EXISTING_ACCOUNTS = 40;

    private DataSourceScenario() {
    }

    /**
     * What the scenario saw.
     *
     * @param verifiedRows rows the verifier compared before reads moved to the target
     * @param accounts accounts on the source at the end
     * @param sourceReads reads the source answered
     * @param targetReads reads the target answered
     * @param mirrored keys copied to the other side right after a commit
     * @param queued copies left to the retry-queue
     * @param shadowCompared reads also run on the other side and compared
     * @param mismatched comparisons that differed, also when read again
     * @param rolledBackTransfers transfers the application rolled back (nothing of them may be mirrored)
     * @param differingRows rows that differ between the databases at the end (must be empty)
     */
    public record Outcome(long verifiedRows, long accounts, long sourceReads, long targetReads, long mirrored,
                          long queued, long shadowCompared, long mismatched, int rolledBackTransfers,
                          List<String> differingRows) {
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
        try (HikariDataSource source = pool("legacy", sourceUrl); HikariDataSource target = pool("new", targetUrl)) {
            run(source, target, System.out);
        } catch (IllegalStateException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Runs the scenario.
     *
     * @param source an empty legacy database, pooled (the copies after a commit borrow a connection
     *     from each pool while the application's connection is still open)
     * @param target an empty new database, pooled
     * @param out where to print what happens
     * @return what the scenario saw
     * @throws IllegalStateException if the databases differ at the end
     * @throws Exception if a database fails
     */
    public static Outcome run(DataSource source, DataSource target, PrintStream out) throws Exception {
        // The application before the migration: plain JDBC on the legacy pool, with history. The new
        // schema exists on the target (your schema tool creates it); Cutover copies rows, not DDL.
        createAccountsTable(source);
        createAccountsTable(target);
        AccountStore legacy = new AccountStore(source);
        for (long id = 1; id <= EXISTING_ACCOUNTS; id++) {
            legacy.open(id, "owner " + id, BigDecimal.valueOf(100));
        }

        // One Cutover runtime per application; its flags and retry-queue live in tables of their own,
        // created here in the source database.
        try (Cutover cutover = Cutover.builder(source, target)
                .retryQueue(queue -> queue.pollInterval(Duration.ofMillis(100)))
                .build()) {
            // The mapping names the mirrored table and its key. The data source runs the application's SQL
            // as written on whichever side is primary, so both sides keep the same table and column names.
            Migration migration = cutover.migration(MIGRATION, TableMapping.builder("accounts")
                    .key("id", Long.class)
                    .columns("owner", "balance")
                    .build());
            MigrationFlags flags = cutover.flags();
            ReadRouter router = migration.router();
            DualWriteCounters stats = migration.counters();

            // The one change to the application, where its pool is created: it gets the migration's data
            // source instead. Each statement runs on the stage's primary only; Cutover parses it to find the
            // keys it wrote and, after the commit, copies those rows' current state to the other side.
            // AccountStore's SQL is plain enough for every engine, so its reads may go to a target of
            // another engine too (off by default: an ORM writes its SQL for one dialect).
            DataSource dataSource = migration.dataSourceBuilder().crossDialectReads(true).build();
            AccountStore accounts = new AccountStore(dataSource);
            int rolledBack = 0;

            step(out, flags, MIGRATION, "SOURCE_ONLY: nothing changes yet; every statement runs on the legacy pool, untouched");
            accounts.deposit(1, BigDecimal.valueOf(5));
            out.printf(Locale.ROOT, "  account 1 on the source: %s; rows on the target: %d%n",
                    legacy.balance(1).orElseThrow(), count(target, "accounts"));

            // Dual writes first, then the backfill of the history: a write that lands during it is
            // mirrored by state under the row's lock, and each chunk holds its rows' locks while it
            // writes them, so an older copy of a row cannot overtake a newer one.
            migration.moveTo(Stage.DUAL_WRITE, ACTOR, "start mirroring writes");
            step(out, flags, MIGRATION, "DUAL_WRITE: statements run on the source, then the rows they wrote are copied");
            BackfillProgress backfill = migration.backfill().build().run();
            out.printf(Locale.ROOT, "  backfilled the %d existing accounts in %d chunk(s); rows on the target: %d%n",
                    backfill.rowsDone(), backfill.chunks(), count(target, "accounts"));
            // Ids here come from the application. Generated ones work too: a move of the primary moves the
            // new primary's sequences and identity columns past the old primary's (see README, Guarantees).
            accounts.open(41, "newcomer", BigDecimal.TEN);
            accounts.openAll(42, List.of("batch a", "batch b", "batch c"), BigDecimal.valueOf(50));
            accounts.deposit(2, BigDecimal.valueOf(5));
            out.printf(Locale.ROOT, "  transfer 1 -> 2 of 30 committed: %s%n", accounts.transfer(1, 2, BigDecimal.valueOf(30)));
            boolean overdrawn = accounts.transfer(3, 4, BigDecimal.valueOf(1_000));
            rolledBack += overdrawn ? 0 : 1;
            out.printf(Locale.ROOT, "  transfer 3 -> 4 of 1000 committed: %s (rolled back: nothing of it is mirrored)%n",
                    overdrawn);
            accounts.close(5);
            out.printf(Locale.ROOT, "  opened 4 (3 in one batch), deposited, transferred, closed 1;"
                    + " rows on the target: %d%n", count(target, "accounts"));

            // Prove the copy before any read moves.
            VerificationReport verified = requireVerified(out, migration);

            // Reads move gradually, by key. A query with `id = ?` in its WHERE is routed by that key;
            // every read is also run on the other side off the request thread and compared.
            long shadowed = shiftReads(out, flags, migration, ACTOR, 50, "half the keys on the target",
                    "SHIFT_READS at 50%: reads of half the accounts answered by the target",
                    () -> readEveryKey(out, router, EXISTING_ACCOUNTS, "balances", accounts::balance));

            // The target becomes the system of record; the source keeps receiving copies, so a
            // rollback finds it complete. Move the primary only with an empty queue.
            requireDrained(cutover.retryQueue());
            migration.moveTo(Stage.TARGET_PRIMARY, ACTOR, "target verified: make it primary");
            step(out, flags, MIGRATION, "TARGET_PRIMARY: statements run on the target, their rows copied back to the source");
            accounts.deposit(6, BigDecimal.valueOf(7));
            out.printf(Locale.ROOT, "  transfer 7 -> 8 of 20 committed: %s%n", accounts.transfer(7, 8, BigDecimal.valueOf(20)));
            out.printf(Locale.ROOT, "  account 6 on the source (kept for rollback): %s%n", legacy.balance(6).orElseThrow());

            // Rollback is one flip, to any earlier stage; it takes effect on the next transaction.
            migration.moveTo(Stage.DUAL_WRITE, ACTOR, "rollback rehearsal");
            step(out, flags, MIGRATION, "rollback rehearsal: back to DUAL_WRITE in one flip; the source has every write");
            accounts.deposit(6, BigDecimal.ONE);
            out.printf(Locale.ROOT, "  account 6 read after the rollback (from the source): %s%n",
                    accounts.balance(6).orElseThrow());
            shadowed++;
            migration.moveTo(Stage.SHIFT_READS, ACTOR, "forward again");
            migration.moveTo(Stage.TARGET_PRIMARY, ACTOR, "forward again");
            step(out, flags, MIGRATION, "forward again to TARGET_PRIMARY");
            accounts.open(45, "late", BigDecimal.ONE);

            // The last check while both sides are still written: queue empty, every row equal, no
            // shadow read answered differently.
            requireDrained(cutover.retryQueue());
            awaitShadowReads(router, shadowed);
            List<String> differing = TableCheck.differingRows(source, target, "accounts", "id");
            ReadRouterCounts reads = router.counts();
            Outcome outcome = new Outcome(verified.rowsCompared(), count(source, "accounts"), reads.sourceReads(),
                    reads.targetReads(),
                    stats.mirrored(), stats.enqueued(), reads.compared(), reads.mismatched(), rolledBack, differing);
            out.printf(Locale.ROOT, "%n  accounts %d, reads from source %d / target %d, keys mirrored %d, queued %d,"
                            + " shadow comparisons %d (mismatches %d), differing rows %d%n",
                    outcome.accounts(), outcome.sourceReads(), outcome.targetReads(), outcome.mirrored(),
                    outcome.queued(), outcome.shadowCompared(), outcome.mismatched(), differing.size());
            finish(out, flags, migration, ACTOR, differing, outcome.mismatched());
            out.println("OK: the target equals the source, and the JDBC code did not change.");
            return outcome;
        }
    }

    private static void createAccountsTable(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner VARCHAR(100) NOT NULL,"
                    + " balance DECIMAL(12,2) NOT NULL)");
        }
    }

    private static HikariDataSource pool(String name, String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setPoolName(name);
        config.setMaximumPoolSize(8);
        return new HikariDataSource(config);
    }
}
