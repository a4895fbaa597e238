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
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Verifier throughput in rows per second over a consistent pair of 100,000-row tables (text,
 * decimal, timestamp, nullable text, boolean), from PostgreSQL (same engine: checksums inside the
 * databases) and from MariaDB (cross engine: both sides streamed and compared as values) to
 * PostgreSQL. The baseline reads every row of both tables in key order with plain {@code SELECT}s
 * and does nothing with them: the least a comparison that moves the rows can cost.
 *
 * <p>Run alone, with the verifier's run summaries kept out of JMH's output:
 * {@code java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar benchmarks/target/benchmarks.jar Verifier}.
 * Needs the local PostgreSQL and MariaDB of the tests (server URLs as in test-support).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VerifierBenchmark {
    private static final int ROWS = 100_000;
    private static final String COLUMNS = "id, name, amount, created, note, active";

    @Param({"POSTGRESQL", "MARIADB"})
    public String source;

    private TestDatabase sourceDb;
    private TestDatabase targetDb;
    private DataSource sourcePool;
    private DataSource targetPool;
    private Verifier verifier;

    @Setup(Level.Trial)
    public void setUp() {
        sourceDb = TestDatabases.create(Engine.valueOf(source), "benchsrc");
        targetDb = TestDatabases.create(Engine.POSTGRESQL, "benchtgt");
        load(sourceDb);
        load(targetDb);
        sourcePool = sourceDb.dataSource(4);
        targetPool = targetDb.dataSource(4);
        TableMapping mapping = TableMapping.builder("items").sourceTable("item").key("id", Long.class)
                .column("name").column("amount").column("created").column("note").column("active").build();
        // The low-level builder, not migration.verifier(): this measures the comparison alone, with no
        // flags to read and no repairs to queue.
        verifier = Verifier.builder(sourcePool, targetPool).mapping(mapping).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sourceDb.close();
        targetDb.close();
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void baseline_selectBothSides(Blackhole blackhole) throws SQLException {
        read(sourcePool, blackhole);
        read(targetPool, blackhole);
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public VerificationReport verifier_run() {
        VerificationReport report = verifier.run();
        if (report.differenceCount() != 0) {
            throw new IllegalStateException("The benchmark's tables differ: " + report.toJson());
        }
        return report;
    }

    private static void read(DataSource pool, Blackhole blackhole) throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM item ORDER BY id");
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                for (int i = 1; i <= 6; i++) {
                    blackhole.consume(rs.getObject(i));
                }
            }
        }
    }

    private static void load(TestDatabase db) {
        load(db, ROWS);
    }

    /** Creates and fills the benchmark table {@code item} with {@code rows} rows. */
    static void load(TestDatabase db, int rows) {
        if (db.engine() == Engine.MARIADB) {
            db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount DECIMAL(12,2) NOT NULL,"
                    + " created DATETIME(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL) DEFAULT CHARSET=utf8mb4",
                    "INSERT INTO item SELECT seq, CONCAT('näme-', seq), (seq % 10000) / 100, TIMESTAMP '2024-01-01 00:00:00'"
                            + " + INTERVAL seq SECOND + INTERVAL (seq % 997) MICROSECOND,"
                            + " IF(seq % 7 = 0, NULL, CONCAT('n', seq % 13)), seq % 2 = 0 FROM seq_1_to_" + rows);
        } else {
            db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount NUMERIC(12,2) NOT NULL,"
                    + " created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)",
                    "INSERT INTO item SELECT g, 'näme-' || g, (g % 10000) / 100.0, TIMESTAMP '2024-01-01 00:00:00'"
                            + " + g * INTERVAL '1 second' + (g % 997) * INTERVAL '1 microsecond',"
                            + " CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || (g % 13) END, g % 2 = 0"
                            + " FROM generate_series(1, " + rows + ") g",
                    "VACUUM ANALYZE item");
        }
    }
}
