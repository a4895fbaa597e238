package dev.cutover.benchmarks;

import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.KeyResync;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

/**
 * Backfill throughput in rows per second: copying a 100,000-row table (text, decimal, timestamp,
 * nullable text, boolean) from PostgreSQL or MariaDB into an empty PostgreSQL table, each invocation
 * one whole copy. The baseline is the hand-written copy a team would write without Cutover: keyset
 * pagination in 1,000-row chunks ({@code SELECT ... WHERE id > ? ORDER BY id LIMIT 1000}, in
 * auto-commit, no locks) and one multi-row {@code INSERT} per chunk. The backfill runs at its
 * defaults (chunks adapted to 0.5 s, no rate limit), with its locks, its range deletes and its
 * checkpoints (in memory); its flags stay in {@code DUAL_WRITE}.
 *
 * <p>Run alone: {@code java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar benchmarks/target/benchmarks.jar Backfill}.
 * Needs the local PostgreSQL and MariaDB of the tests. 100,000 rows, not the 1,000,000, so
 * that a run stays short on a machine shared with other builds ({@link #ROWS}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class BackfillBenchmark {
    /** Rows copied per invocation; JMH needs a constant, so the 1,000,000 means editing it. */
    static final int ROWS = 100_000;
    private static final int BASELINE_CHUNK = 1_000;
    private static final String COLUMNS = "id, name, amount, created, note, active";
    private static final int WIDTH = 6;

    @Param({"POSTGRESQL", "MARIADB"})
    public String source;

    private TestDatabase sourceDb;
    private TestDatabase targetDb;
    private DataSource sourcePool;
    private DataSource targetPool;
    private MigrationFlags flags;
    private Backfill backfill;

    @Setup(Level.Trial)
    public void setUp() {
        sourceDb = TestDatabases.create(Engine.valueOf(source), "bfbenchsrc");
        targetDb = TestDatabases.create(Engine.POSTGRESQL, "bfbenchtgt");
        VerifierBenchmark.load(sourceDb, ROWS);
        targetDb.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount NUMERIC(12,2) NOT NULL,"
                + " created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)");
        sourcePool = sourceDb.dataSource(4);
        targetPool = targetDb.dataSource(4);
        flags = MigrationFlags.builder(FlagStore.inMemory()).declare("items").build();
        flags.forceMoveTo("items", Stage.DUAL_WRITE, "bench", "bench");
        TableMapping mapping = TableMapping.builder("items").sourceTable("item").key("id", Long.class)
                .column("name").column("amount").column("created").column("note").column("active").build();
        KeyResync resync = KeyResync.builder(sourcePool, targetPool).mapping(mapping).build();
        // One backfill object: each run after a finished one starts over, as a new backfill would.
        backfill = Backfill.builder(resync, flags, "items").build();
    }

    @Setup(Level.Invocation)
    public void emptyTarget() {
        targetDb.execute("TRUNCATE item");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        flags.close();
        sourceDb.close();
        targetDb.close();
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long baseline_keysetBatchCopy() throws SQLException {
        long copied = 0;
        long after = Long.MIN_VALUE;
        try (Connection from = sourcePool.getConnection(); Connection to = targetPool.getConnection();
                PreparedStatement select = from.prepareStatement("SELECT " + COLUMNS + " FROM item WHERE id > ?"
                        + " ORDER BY id LIMIT " + BASELINE_CHUNK)) {
            while (true) {
                select.setLong(1, after);
                List<Object> values = new ArrayList<>(BASELINE_CHUNK * WIDTH);
                int rows = 0;
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        for (int i = 1; i <= WIDTH; i++) {
                            values.add(rs.getObject(i));
                        }
                        after = rs.getLong(1);
                        rows++;
                    }
                }
                if (rows == 0) {
                    return copied;
                }
                String tuple = "(" + String.join(", ", Collections.nCopies(WIDTH, "?")) + ")";
                try (PreparedStatement insert = to.prepareStatement("INSERT INTO item (" + COLUMNS + ") VALUES "
                        + String.join(", ", Collections.nCopies(rows, tuple)))) {
                    for (int i = 0; i < values.size(); i++) {
                        insert.setObject(i + 1, values.get(i));
                    }
                    insert.executeUpdate();
                }
                copied += rows;
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public BackfillProgress backfill_run() {
        BackfillProgress done = backfill.run();
        if (done.rowsDone() != ROWS) {
            throw new IllegalStateException("The backfill copied " + done.rowsDone() + " rows of " + ROWS);
        }
        return done;
    }
}
