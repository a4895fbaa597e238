package dev.cutover.examples.heterogeneous;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.common.Dialect;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.KeyTranslation;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.verifier.VerificationReport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Objects;
import java.util.Random;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * A heterogeneous migration: a legacy store's {@code customer} table (integer ids, one name column,
 * one-letter status codes; MariaDB in the story) moves to a new service's {@code customers} table
 * (UUIDs, first and last name, status words; PostgreSQL in the story) while the application keeps
 * writing.
 *
 * <p>What it shows: a {@link TableMapping} across two schemas (ids through an id-map table, a
 * column split in two, codes to words), the repository proxy dual-writing through it, reads
 * shifted to the new schema with every read shadow-compared in the legacy model thanks to a read
 * transform, and the new schema as primary with its rows copied back to the legacy table. At each
 * step it compares the two tables row by row through the mapping.
 *
 * <p>Run it from the repository root:
 * {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.cutover.examples.heterogeneous.HeterogeneousMigration}.
 * Without options it uses embedded H2 (the legacy side in MySQL mode); give
 * {@code --source-url} and {@code --target-url} (JDBC URLs with credentials as parameters) to run it
 * on real servers. It drops and recreates its three tables there, and Cutover's on the legacy side. Exit status 0 means no
 * differing row and no differing shadow read.
 */
public final class HeterogeneousMigration {
    private static final String MIGRATION = "customers";
    private static final String ACTOR = "heterogeneous-example";
    private static final int LEGACY_CUSTOMERS = 100;
    private static final int WRITES_PER_STEP = 300;
    private static final String[] NAMES = {"Ada Lovelace", "Grace Brewster Hopper", "Cher", "Mary Ann Evans", null,
        "Jean-Luc Picard"};
    private static final String[] CODES = {"A", "S", "C"};

    private final Random random = new Random(42);
    private int nextId = 10_000;
    private int problems;

    private HeterogeneousMigration() {
    }

    /**
     * Runs the example and exits with its status.
     *
     * @param args {@code [--source-url JDBC_URL] [--target-url JDBC_URL]}
     * @throws Exception if a database cannot be set up
     */
    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /**
     * Runs the example without exiting the JVM, for tests.
     *
     * @param args {@code [--source-url JDBC_URL] [--target-url JDBC_URL]}
     * @return 0 if the tables matched and shadow reads agreed at every check, 1 if not, 2 for bad arguments
     * @throws Exception if a database cannot be set up
     */
    public static int run(String[] args) throws Exception {
        // A fresh pair of in-memory databases per run, so that runs in one JVM (tests) never meet.
        String run = Long.toString(System.nanoTime(), 36);
        String sourceUrl = "jdbc:h2:mem:legacy_" + run + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
        String targetUrl = "jdbc:h2:mem:service_" + run + ";DB_CLOSE_DELAY=-1";
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length || !(args[i].equals("--source-url") || args[i].equals("--target-url"))) {
                System.err.println("Usage: HeterogeneousMigration [--source-url JDBC_URL] [--target-url JDBC_URL]");
                return 2;
            }
            if (args[i].equals("--source-url")) {
                sourceUrl = args[i + 1];
            } else {
                targetUrl = args[i + 1];
            }
        }
        try (HikariDataSource source = pool("legacy", sourceUrl); HikariDataSource target = pool("service", targetUrl)) {
            return new HeterogeneousMigration().migrate(source, target);
        }
    }

    private int migrate(DataSource source, DataSource target) throws Exception {
        createTables(source, target);
        LegacyCustomers legacy = new LegacyCustomers(Jdbi.create(source));
        for (int id = 1; id <= LEGACY_CUSTOMERS; id++) {
            legacy.register(String.valueOf(id), NAMES[random.nextInt(NAMES.length)], CODES[id % 3], "c" + id + "@shop");
        }
        System.out.printf("Legacy store holds %d customers; the new schema is empty.%n", LEGACY_CUSTOMERS);

        // The id map lives on the new database: each legacy id gets a UUID the first time it is
        // copied, and the same UUID ever after, whichever instance copies it.
        KeyTranslation ids = KeyTranslation.idMap(target, "customer_id_map", "legacy_id", "id");
        TableMapping mapping = CustomerMapping.mapping(ids);

        // Cutover's flags and retry-queue live in tables of their own on the legacy database.
        try (Cutover cutover = Cutover.builder(source, target)
                .retryQueue(queue -> queue.pollInterval(Duration.ofMillis(10)))
                .build()) {
            Migration migration = cutover.migration(MIGRATION, mapping);
            // The repository builder, not repository(...): its reads need the target-read transform.
            Customers customers = CustomerMapping.translateReads(migration.repositoryBuilder(Customers.class, "customers")
                    .source(legacy)
                    .target(new NewCustomers(Jdbi.create(target), ids)), ids)
                    .build();

            // 1. Dual writes: every write lands on the legacy table and is copied, as a row, to the
            //    new one. The rows written before are backfilled in chunks while the traffic runs,
            //    each converted through the mapping (its UUID allocated in the id map).
            migration.moveTo(Stage.DUAL_WRITE, ACTOR, "dual writes on");
            CompletableFuture<BackfillProgress> backfill = migration.backfill().build().start();
            traffic(customers);
            BackfillProgress backfilled = backfill.join();
            System.out.printf("Backfilled %d legacy customers in %d chunk(s); %d rows the legacy store lacks deleted%n",
                    backfilled.rowsDone(), backfilled.chunks(), backfilled.rowsDeleted());
            check("after dual writes and the backfill", cutover, migration);

            // 2. Reads move to the new schema, every one compared with the legacy answer.
            migration.moveTo(Stage.SHIFT_READS, ACTOR, "shift reads");
            migration.setTargetReadPercent(100, ACTOR, "all reads");
            migration.setShadowReadPercent(100, ACTOR, "compare every read");
            List<String> keys = keys(source);
            for (String key : keys) {
                if (!Objects.equals(customers.find(key), legacy.find(key))) {
                    problems++;
                }
            }
            ReadRouterCounts shadows = awaitShadows(migration.router(), keys.size());
            System.out.printf("Reads served by the new schema: %d, shadow-compared: %d, differing: %d%n",
                    shadows.targetReads(), shadows.compared(), shadows.mismatched());
            problems += (int) (shadows.mismatched() + shadows.shadowErrors());

            // 3. The new schema becomes primary; the legacy table is kept complete for a rollback.
            migration.moveTo(Stage.TARGET_PRIMARY, ACTOR, "new schema primary");
            traffic(customers);
            check("with the new schema primary", cutover, migration);
            DualWriteCounters stats = migration.counters();
            System.out.printf("Writes: %d on the legacy table, %d on the new schema; rows copied to the new schema: %d,"
                    + " back to the legacy table: %d%n", stats.primaryWrites(Side.SOURCE), stats.primaryWrites(Side.TARGET),
                    stats.mirrored(Side.TARGET), stats.mirrored(Side.SOURCE));
        }
        System.out.println(problems == 0 ? "OK: both schemas hold the same customers." : "FAILED: " + problems + " problem(s).");
        return problems == 0 ? 0 : 1;
    }

    /** Renames, status changes, registrations and removals, as a shop's back office would make them. */
    private void traffic(Customers customers) {
        List<String> registered = new ArrayList<>();
        for (int i = 0; i < WRITES_PER_STEP; i++) {
            String id = String.valueOf(1 + random.nextInt(LEGACY_CUSTOMERS));
            int op = random.nextInt(10);
            if (op < 4) {
                customers.rename(id, NAMES[random.nextInt(NAMES.length)]);
            } else if (op < 7) {
                customers.changeStatus(id, CODES[random.nextInt(CODES.length)]);
            } else if (op < 9 || registered.isEmpty()) {
                String fresh = String.valueOf(++nextId);
                customers.register(fresh, NAMES[random.nextInt(NAMES.length)], "A", fresh + "@shop");
                registered.add(fresh);
            } else {
                customers.remove(registered.remove(random.nextInt(registered.size())));
            }
        }
    }

    /**
     * Waits for the queue, then has the migration's verifier compare every legacy row, converted
     * through the mapping, with the new table.
     */
    private void check(String when, Cutover cutover, Migration migration) throws InterruptedException {
        if (!cutover.drain(Duration.ofSeconds(30))) {
            System.out.println("The retry-queue did not drain within 30 s " + when);
            problems++;
        }
        VerificationReport report = migration.verify();
        System.out.printf("Compared %s: rows compared: %d, differing: %d%n", when, report.rowsCompared(),
                report.differenceCount());
        problems += (int) report.differenceCount() + (report.completed() ? 0 : 1);
    }

    private static ReadRouterCounts awaitShadows(ReadRouter router, int reads) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        ReadRouterCounts stats = router.counts();
        while (stats.shadowReadsEnded() < reads && System.nanoTime() < deadline) {
            Thread.sleep(20);
            stats = router.counts();
        }
        return stats;
    }

    private static void createTables(DataSource source, DataSource target) throws SQLException {
        Dialect legacyDialect = Dialect.detect(source);
        String identity = legacyDialect == Dialect.POSTGRESQL ? "INT GENERATED BY DEFAULT AS IDENTITY" : "INT AUTO_INCREMENT";
        // Cutover's tables go too, so that a second run on the same servers starts at SOURCE_ONLY.
        execute(source, "DROP TABLE IF EXISTS customer", "DROP TABLE IF EXISTS cutover_flag_state",
                "DROP TABLE IF EXISTS cutover_flag_audit", "DROP TABLE IF EXISTS cutover_retry_entry",
                "CREATE TABLE customer (id " + identity + " PRIMARY KEY, name VARCHAR(100), status CHAR(1) NOT NULL,"
                        + " email VARCHAR(100))");
        String text = Dialect.detect(target) == Dialect.POSTGRESQL ? "TEXT" : "VARCHAR(100)";
        execute(target, "DROP TABLE IF EXISTS customers", "DROP TABLE IF EXISTS customer_id_map",
                "CREATE TABLE customers (id UUID PRIMARY KEY, first_name " + text + ", last_name " + text + ", status "
                        + text + " NOT NULL, email " + text + ")",
                "CREATE TABLE customer_id_map (legacy_id INT PRIMARY KEY, id UUID NOT NULL UNIQUE)");
    }

    private static void execute(DataSource db, String... sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }

    private static List<String> keys(DataSource db) throws SQLException {
        return rows(db, "SELECT id FROM customer ORDER BY id").stream().map(r -> String.valueOf(r.get(0))).toList();
    }

    private static List<List<Object>> rows(DataSource db, String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int width = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>(width);
                for (int i = 1; i <= width; i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static HikariDataSource pool(String name, String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setPoolName("heterogeneous-" + name);
        config.setMaximumPoolSize(8);
        return new HikariDataSource(config);
    }
}
