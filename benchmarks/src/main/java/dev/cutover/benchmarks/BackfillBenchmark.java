package dev.cutover.benchmarks;

import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Backfill throughput in rows per second: copying a table of {@link #rows} rows (text, decimal,
 * timestamp, nullable text, boolean) from PostgreSQL or MariaDB into an empty PostgreSQL table, each
 * invocation one whole copy. The baseline is the hand-written copy a team would write without Cutover: keyset
 * pagination in 1,000-row chunks ({@code SELECT ... WHERE id > ? ORDER BY id LIMIT 1000}, in
 * auto-commit, no locks) and one multi-row {@code INSERT} per chunk. The backfill runs at its
 * defaults (chunks adapted to 0.5 s, no rate limit, the back-off with its baseline window but no
 * application writes to back off for), with its locks, its range deletes and its
 * checkpoints (in memory); its flags stay in {@code DUAL_WRITE}.
 *
 * <p>The primary score is whole copies per second; the secondary result {@code rows} (a JMH
 * auxiliary counter, normalised to the same measured time) is rows per second. Both give the same
 * ratio to the baseline.
 *
 * <p>Run alone: {@code java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar benchmarks/target/benchmarks.jar Backfill}.
 * Needs the local PostgreSQL and MariaDB of the tests. 100,000 rows by default, so that a run stays
 * short on a machine shared with other builds; the 1,000,000-row case is
 * {@code ... benchmarks.jar -p rows=1000000 BackfillBenchmark} (each invocation then takes tens of
 * seconds, so every iteration holds exactly one).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class BackfillBenchmark {
    private static final int BASELINE_CHUNK = 1_000;
    private static final int WIDTH = 6;

    @Param({"POSTGRESQL", "MARIADB"})
    public String source;

    /** Rows of the source table, all copied by each invocation. */
    @Param({"100000"})
    public int rows;

    private ItemTables tables;
    private MigrationFlags flags;
    private Backfill backfill;

    @Setup(Level.Trial)
    public void setUp() {
        tables = ItemTables.emptyTarget(Engine.valueOf(source), "bfbench", rows);
        flags = MigrationFlags.builder(FlagStore.inMemory()).declare("items").build();
        flags.forceMoveTo("items", Stage.DUAL_WRITE, "bench", "bench");
        RowCopier resync = RowCopier.builder(tables.sourcePool(), tables.targetPool()).mapping(ItemTables.mapping()).build();
        // One backfill object: each run after a finished one starts over, as a new backfill would. With
        // the migration's stats, as the runtime wires it: the back-off's baseline window is paid, and no
        // application writes means no back-off.
        backfill = Backfill.builder(resync, flags, "items").counters(new DualWriteCounters()).build();
    }

    @Setup(Level.Invocation)
    public void emptyTarget() {
        tables.targetDb().execute("TRUNCATE item");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        flags.close();
        tables.close();
    }

    /** Rows copied, counted by JMH per second of measured time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class CopiedRows {
        /** Rows copied in this iteration. */
        public long rows;

        /** Starts each iteration's count at zero. */
        @Setup(Level.Iteration)
        public void reset() {
            rows = 0;
        }
    }

    @Benchmark
    public long baseline_keysetBatchCopy(CopiedRows counted) throws SQLException {
        long copied = 0;
        long after = Long.MIN_VALUE;
        try (Connection from = tables.sourcePool().getConnection(); Connection to = tables.targetPool().getConnection();
                PreparedStatement select = from.prepareStatement("SELECT " + ItemTables.COLUMNS + " FROM item WHERE id > ?"
                        + " ORDER BY id LIMIT " + BASELINE_CHUNK)) {
            while (true) {
                select.setLong(1, after);
                List<Object> values = new ArrayList<>(BASELINE_CHUNK * WIDTH);
                int chunkRows = 0;
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        for (int i = 1; i <= WIDTH; i++) {
                            values.add(rs.getObject(i));
                        }
                        after = rs.getLong(1);
                        chunkRows++;
                    }
                }
                if (chunkRows == 0) {
                    if (copied != rows) {
                        throw new IllegalStateException("The baseline copied " + copied + " rows of " + rows);
                    }
                    counted.rows += copied;
                    return copied;
                }
                String tuple = "(" + String.join(", ", Collections.nCopies(WIDTH, "?")) + ")";
                try (PreparedStatement insert = to.prepareStatement("INSERT INTO item (" + ItemTables.COLUMNS + ") VALUES "
                        + String.join(", ", Collections.nCopies(chunkRows, tuple)))) {
                    for (int i = 0; i < values.size(); i++) {
                        insert.setObject(i + 1, values.get(i));
                    }
                    insert.executeUpdate();
                }
                copied += chunkRows;
            }
        }
    }

    @Benchmark
    public BackfillProgress backfill_run(CopiedRows counted) {
        BackfillProgress done = backfill.run();
        if (done.rowsDone() != rows) {
            throw new IllegalStateException("The backfill copied " + done.rowsDone() + " rows of " + rows);
        }
        counted.rows += done.rowsDone();
        return done;
    }
}
