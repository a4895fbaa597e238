package dev.cutover.benchmarks;

import com.launchdarkly.sdk.LDContext;
import com.launchdarkly.sdk.LDValue;
import com.launchdarkly.sdk.server.Components;
import com.launchdarkly.sdk.server.LDClient;
import com.launchdarkly.sdk.server.LDConfig;
import com.launchdarkly.sdk.server.MigrationStage;
import com.launchdarkly.sdk.server.integrations.TestData;
import com.launchdarkly.sdk.server.migrations.Migration;
import com.launchdarkly.sdk.server.migrations.MigrationBuilder;
import com.launchdarkly.sdk.server.migrations.MigrationMethodResult;
import dev.cutover.Cutover;
import dev.cutover.benchmarks.Accounts.AccountDao;
import dev.cutover.benchmarks.Accounts.JdbcAccountDao;
import dev.cutover.flags.Stage;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
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
 * One single-row write made on both databases, on real PostgreSQL and MariaDB: hand-written code
 * that calls the source DAO and then the target DAO (the baseline), against the Cutover repository
 * proxy in {@code DUAL_WRITE} (source DAO call, then the key copied to the target under the source
 * row's lock by {@code RowCopier}), against the same
 * plain JDBC DAO over a {@code CutoverDataSource} (the statement parsed, its key found, the row
 * copied the same way after the commit), and against
 * LaunchDarkly's migration write path in its {@code dualwrite} stage calling the same two DAOs, and
 * against the round-trip floor of a copy that keeps Cutover's ordering guarantee, written by hand
 * ({@link #floor_lockedCopyByHand()}).
 * Both Cutover paths are wired as an application wires them, by the {@code Cutover} runtime, with
 * its flags and retry-queue on the source database.
 * Every DAO call is one auto-committed statement; {@code insert} opens a new account per call,
 * {@code update} adds to one of the preloaded accounts in turn. One thread, so no lock waits.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar DualWrite}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DualWriteBenchmark {
    private static final String MIGRATION = "accounts";
    /** Referenced by the insert's FROM, so PostgreSQL takes both locks before it writes, for the statement's transaction. */
    private static final String FLOOR_UPSERT = "INSERT INTO account (id, owner, balance, version) SELECT ?, ?, ?, ?"
            + " FROM (SELECT pg_advisory_xact_lock_shared(1), pg_advisory_xact_lock(2, CAST(? AS INTEGER))) locks"
            + " ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, balance = EXCLUDED.balance,"
            + " version = EXCLUDED.version";

    /** Source engine, then target engine. */
    @Param({"postgresql-postgresql", "mariadb-postgresql"})
    public String pair;

    /** A new row per call, or an increment of an existing one. */
    @Param({"insert", "update"})
    public String write;

    private Accounts accounts;
    private AccountDao sourceDao;
    private AccountDao targetDao;
    private AccountDao proxy;
    private AccountDao overCutoverDataSource;
    private Cutover cutover;
    private dev.cutover.Migration migration;
    private LDClient launchDarkly;
    private Migration<Object, Object, Long, Long> launchDarklyMigration;
    private LDContext context;
    private Accounts.SingleRowWrites writes;

    @Setup(Level.Trial)
    public void setUp() {
        writes = new Accounts.SingleRowWrites(write);
        accounts = Accounts.create(pair, "dualwrite");
        sourceDao = new JdbcAccountDao(accounts.sourcePool);
        targetDao = new JdbcAccountDao(accounts.targetPool);

        cutover = Cutover.builder(accounts.sourcePool, accounts.targetPool).build();
        migration = cutover.migration(MIGRATION, Accounts.mapping());
        migration.moveTo(Stage.DUAL_WRITE, "benchmark", "dual-write benchmark");
        proxy = migration.repository(AccountDao.class, sourceDao, targetDao);
        overCutoverDataSource = new JdbcAccountDao(migration.dataSource());

        TestData testData = TestData.dataSource();
        testData.update(testData.flag(MIGRATION)
                .variations(LDValue.of("off"), LDValue.of("dualwrite"), LDValue.of("shadow"),
                        LDValue.of("live"), LDValue.of("rampdown"), LDValue.of("complete"))
                .variationForAll(1));
        launchDarkly = new LDClient("benchmark-sdk-key", new LDConfig.Builder()
                .dataSource(testData)
                .events(Components.noEvents())
                .diagnosticOptOut(true)
                .logging(Components.noLogging())
                .build());
        context = LDContext.create("benchmark");
        launchDarklyMigration = new MigrationBuilder<Object, Object, Long, Long>(launchDarkly)
                .read(id -> MigrationMethodResult.Success(null), id -> MigrationMethodResult.Success(null))
                .write(id -> writeVia(sourceDao, id), id -> writeVia(targetDao, id))
                .build()
                .orElseThrow(() -> new IllegalStateException("LaunchDarkly migration did not build"));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.println();
        System.out.println("Cutover dual-write stats: " + migration.counters());
        launchDarkly.close();
        cutover.close();
        accounts.close();
    }

    private MigrationMethodResult<Object> writeVia(AccountDao dao, long id) {
        try {
            writes.writeTo(dao, id);
            return MigrationMethodResult.Success(id);
        } catch (SQLException e) {
            return MigrationMethodResult.Failure(e);
        }
    }

    @Benchmark
    public void baseline_handWrittenTwoWrites() throws SQLException {
        long id = writes.nextId();
        writes.writeTo(sourceDao, id);
        writes.writeTo(targetDao, id);
    }

    /**
     * The fewest round trips a synchronous copy can make and keep the guarantee, in plain JDBC with
     * nothing else: the source write, then the row read under its lock on the source (so copies of
     * one key land in the source's commit order), the target written in one auto-committed statement
     * that also takes the key's and the table's advisory locks (the target is PostgreSQL in both pairs;
     * the locks keep an abandoned copy's commit from landing after a later one, issue #12), and the
     * source's lock released. Four round trips against the baseline's two (on MariaDB, also the two
     * {@code set autocommit} the driver sends). No retry-queue check, no flags, no metrics, no
     * handling of a missing row or a failure: what Cutover's synchronous mode could approach at best.
     */
    @Benchmark
    public void floor_lockedCopyByHand() throws SQLException {
        long id = writes.nextId();
        writes.writeTo(sourceDao, id);
        try (Connection source = accounts.sourcePool.getConnection()) {
            source.setAutoCommit(false);
            try (PreparedStatement lock = source.prepareStatement(
                    "SELECT id, owner, balance, version FROM account WHERE id = ? FOR UPDATE")) {
                lock.setLong(1, id);
                try (ResultSet row = lock.executeQuery()) {
                    row.next();
                    try (Connection target = accounts.targetPool.getConnection();
                         PreparedStatement upsert = target.prepareStatement(FLOOR_UPSERT)) {
                        upsert.setLong(1, id);
                        upsert.setString(2, row.getString(2));
                        upsert.setLong(3, row.getLong(3));
                        upsert.setLong(4, row.getLong(4));
                        upsert.setLong(5, id);
                        upsert.executeUpdate();
                    }
                }
            } finally {
                source.rollback();
                source.setAutoCommit(true);
            }
        }
    }

    @Benchmark
    public void cutover_repositoryProxy() throws SQLException {
        writes.writeTo(proxy, writes.nextId());
    }

    @Benchmark
    public void cutover_dataSource() throws SQLException {
        writes.writeTo(overCutoverDataSource, writes.nextId());
    }

    @Benchmark
    public Object launchDarkly_migrationWrite() {
        long id = writes.nextId();
        return launchDarklyMigration.write(MIGRATION, context, MigrationStage.OFF, id).getAuthoritative();
    }
}
