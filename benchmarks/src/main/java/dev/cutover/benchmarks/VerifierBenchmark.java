package dev.cutover.benchmarks;

import dev.cutover.testsupport.Engine;
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

    @Param({"POSTGRESQL", "MARIADB"})
    public String source;

    private ItemTables tables;
    private Verifier verifier;

    @Setup(Level.Trial)
    public void setUp() {
        tables = ItemTables.equal(Engine.valueOf(source), "bench", ROWS);
        // The low-level builder, not migration.verifier(): this measures the comparison alone, with no
        // flags to read and no repairs to queue.
        verifier = Verifier.builder(tables.sourcePool(), tables.targetPool()).mapping(ItemTables.mapping()).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tables.close();
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void baseline_selectBothSides(Blackhole blackhole) throws SQLException {
        read(tables.sourcePool(), blackhole);
        read(tables.targetPool(), blackhole);
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
                PreparedStatement s = c.prepareStatement("SELECT " + ItemTables.COLUMNS + " FROM item ORDER BY id");
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                for (int i = 1; i <= 6; i++) {
                    blackhole.consume(rs.getObject(i));
                }
            }
        }
    }
}
