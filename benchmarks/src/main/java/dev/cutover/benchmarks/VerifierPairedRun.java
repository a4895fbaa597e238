package dev.cutover.benchmarks;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerificationReport;
import dev.cutover.verifier.Verifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.sql.DataSource;

/**
 * {@link VerifierBenchmark}'s comparison measured in pairs, for a machine whose load changes from
 * second to second: each round reads both tables with the baseline's plain {@code SELECT}s and then
 * runs the verifier, right after each other, and the round's ratio is the baseline's time over the
 * verifier's. A burst of load hits one round's two halves alike far more often than it hits JMH's
 * separate iterations of the two cases; the median of the rounds' ratios is the figure to read.
 *
 * <pre>
 * java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp benchmarks/target/benchmarks.jar \
 *     dev.cutover.benchmarks.VerifierPairedRun [MARIADB|POSTGRESQL] [rounds]
 * </pre>
 * Five warm-up rounds are not counted. Needs the local PostgreSQL and MariaDB of the tests.
 */
public final class VerifierPairedRun {
    private static final int ROWS = 100_000;
    private static final int WARM_UP_ROUNDS = 5;

    private VerifierPairedRun() {
    }

    /**
     * Runs the rounds and prints the ratios.
     *
     * @param args the source engine (default MARIADB) and the number of measured rounds (default 25)
     * @throws SQLException if a database fails
     */
    public static void main(String[] args) throws SQLException {
        Engine engine = Engine.valueOf(args.length > 0 ? args[0] : "MARIADB");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        try (TestDatabase sourceDb = TestDatabases.create(engine, "pairsrc");
                TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "pairtgt")) {
            ItemTables.load(sourceDb, ROWS);
            ItemTables.load(targetDb, ROWS);
            DataSource source = sourceDb.dataSource(4);
            DataSource target = targetDb.dataSource(4);
            TableMapping mapping = TableMapping.builder("items").sourceTable("item").key("id", Long.class)
                    .column("name").column("amount").column("created").column("note").column("active").build();
            Verifier verifier = Verifier.builder(source, target).mapping(mapping).build();
            List<Double> ratios = new ArrayList<>();
            long baselineNanos = 0;
            long verifierNanos = 0;
            for (int round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
                long start = System.nanoTime();
                readAll(source);
                readAll(target);
                long between = System.nanoTime();
                VerificationReport report = verifier.run();
                long end = System.nanoTime();
                if (report.differenceCount() != 0) {
                    throw new IllegalStateException("The benchmark's tables differ: " + report.toJson());
                }
                if (round >= WARM_UP_ROUNDS) {
                    ratios.add((double) (between - start) / (end - between));
                    baselineNanos += between - start;
                    verifierNanos += end - between;
                }
            }
            Collections.sort(ratios);
            System.out.printf("%s -> POSTGRESQL, %d rounds of %,d rows: verifier pace / baseline pace: median %.3f"
                            + " (quartiles %.3f to %.3f), over all rounds %.3f; baseline %,.0f rows/s, verifier %,.0f rows/s%n",
                    engine, rounds, ROWS, ratios.get(rounds / 2), ratios.get(rounds / 4), ratios.get(3 * rounds / 4),
                    (double) baselineNanos / verifierNanos, 1e9 * ROWS * rounds / baselineNanos,
                    1e9 * ROWS * rounds / verifierNanos);
        }
    }

    private static void readAll(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT id, name, amount, created, note, active FROM item ORDER BY id");
                ResultSet rs = s.executeQuery()) {
            long values = 0;
            while (rs.next()) {
                for (int i = 1; i <= 6; i++) {
                    values += rs.getObject(i) == null ? 0 : 1;
                }
            }
            if (values == 0) {
                throw new IllegalStateException("The benchmark's table is empty");
            }
        }
    }
}
