package dev.cutover.dualwrite;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * A ledger migration wired end to end: source and target databases (target behind {@link Faults}),
 * flags, an in-memory retry-queue draining through {@link CopyReplayHandler}, and the application's
 * {@link Ledger} in one of the two wrapping styles: the repository proxy over two {@link JdbcLedger}s
 * (whose target schema renames the table and columns), or one {@link JdbcLedger} over a
 * {@link CutoverDataSource} (whose SQL runs on either side as written, so the target has the same schema).
 */
final class LedgerFixture implements AutoCloseable {
    /** How the application's ledger is wrapped. */
    enum Style { REPOSITORY, DATASOURCE }

    static final String MIGRATION = "ledger";
    static final String SOURCE_COLUMNS = "id, owner, balance, version, note";
    static final String TARGET_COLUMNS = "account_id, owner_name, balance_cents, version, note";

    final TestDatabase source;
    final TestDatabase target;
    final Faults faults = new Faults();
    /** The flag store every instance's flags read; {@link #flags} is the first instance's. */
    final FlagStore flagStore = FlagStore.inMemory();
    /** How much longer than its refresh interval each instance's handover pause is. */
    static final Duration HANDOVER_MARGIN = Duration.ofMillis(40);
    /** The refresh interval of {@link #flags}. */
    static final Duration REFRESH = Duration.ofMillis(10);
    final MigrationFlags flags;
    final DualWriteCounters stats = new DualWriteCounters();
    final RowCopier resync;
    final RetryQueue queue;
    final ReadRouter router;
    final Ledger ledger;
    private final DataSource sourcePool;
    private final DataSource faultyTarget;
    private final RetryStore store = RetryStore.inMemory();
    private final boolean crashSafe;
    /** Whether the proxies copy asynchronously ({@link MirrorMode#ASYNC}); repository style only. */
    private final boolean async;
    /** Every instance's row copier, closed first by {@link #close()}: their asynchronous copiers need the queue and flags. */
    private final List<RowCopier> resyncs = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Per-account locks the application's writes take, or null: see the constructor. */
    private final Map<Long, ReentrantLock> accountLocks;
    final Style style;

    LedgerFixture(TestDatabase source, TestDatabase target, DataSource sourcePool, DataSource targetPool) {
        this(source, target, sourcePool, targetPool, false, Style.REPOSITORY);
    }

    /**
     * @param crashSafe whether the proxies record write-ahead intents ({@link RepositoryBuilder#crashSafe});
     *     repository style only
     * @param style the wrapping style; its tables must exist ({@link #createTables})
     */
    LedgerFixture(TestDatabase source, TestDatabase target, DataSource sourcePool, DataSource targetPool,
            boolean crashSafe, Style style) {
        this(source, target, sourcePool, targetPool, crashSafe, style, false);
    }

    /**
     * @param serializeAccountsOnH2 on H2, serialize the application's writes of one account (see
     *     {@link JdbcLedger#serializedPerAccount}); for workloads whose injected faults roll the
     *     application's transactions back, not for tests that need two writes of one account in flight
     */
    LedgerFixture(TestDatabase source, TestDatabase target, DataSource sourcePool, DataSource targetPool,
            boolean crashSafe, Style style, boolean serializeAccountsOnH2) {
        this(source, target, sourcePool, targetPool, crashSafe, style, serializeAccountsOnH2, false);
    }

    /** @param async whether the repositories copy in {@link MirrorMode#ASYNC}; repository style only */
    LedgerFixture(TestDatabase source, TestDatabase target, DataSource sourcePool, DataSource targetPool,
            boolean crashSafe, Style style, boolean serializeAccountsOnH2, boolean async) {
        this(source, target, sourcePool, targetPool, crashSafe, style, serializeAccountsOnH2, async, REFRESH);
    }

    /**
     * @param refresh the refresh interval of {@link #flags}; a long one keeps the copy window open
     *     while a test holds asynchronous copies back on a loaded machine
     */
    LedgerFixture(TestDatabase source, TestDatabase target, DataSource sourcePool, DataSource targetPool,
            boolean crashSafe, Style style, boolean serializeAccountsOnH2, boolean async, Duration refresh) {
        this.flags = newFlags(refresh);
        if (async && style != Style.REPOSITORY) {
            throw new IllegalArgumentException("the asynchronous mirror belongs to the repository style");
        }
        this.async = async;
        if (crashSafe && style != Style.REPOSITORY) {
            throw new IllegalArgumentException("crash-safe intents belong to the repository style; the data source"
                    + " style's crash safety is its transactional outbox");
        }
        this.style = style;
        this.crashSafe = crashSafe;
        this.accountLocks = serializeAccountsOnH2 && (source.engine() == Engine.H2 || target.engine() == Engine.H2)
                ? new ConcurrentHashMap<>() : null;
        this.source = source;
        this.target = target;
        this.sourcePool = sourcePool;
        this.faultyTarget = faults.wrap(targetPool);
        this.resync = newResync();
        this.queue = RetryQueue.create(store, CopyReplayHandler.of(MIGRATION, resync, flags),
                RetryQueueConfig.custom().workerCount(2).pollInterval(Duration.ofMillis(5))
                        .initialBackoff(Duration.ofMillis(2)).maxBackoff(Duration.ofMillis(50))
                        .maxAttempts(1_000).pendingCacheTtl(Duration.ofMillis(20)).build());
        queue.start();
        this.router = ReadRouter.builder(flags, MIGRATION).build();
        this.ledger = newInstance(resync);
    }

    /**
     * Another application instance's proxy over the same databases, flags and queue: it has its own
     * RowCopier, so only the databases' row locks order its copies against the other instances'.
     */
    Ledger newInstance() {
        return newInstance(newResync());
    }

    /**
     * New flags over {@link #flagStore}: every flag instance of the fixture and its workloads is built
     * here, so that one place sets how they behave around a move of the primary.
     *
     * @param refreshInterval how often the instance reloads the store
     * @return the running flags; the caller closes them
     */
    MigrationFlags newFlags(Duration refreshInterval) {
        // A handover pause just above the refresh interval: the walks move the primary many times per run.
        return MigrationFlags.builder(flagStore).refreshInterval(refreshInterval)
                .handoverPause(refreshInterval.plus(HANDOVER_MARGIN)).build();
    }

    /**
     * Another application instance with flags of its own over the same flag store: its snapshot
     * follows a flip only at its next refresh, so instances see a flip at different moments.
     *
     * @param instanceFlags the instance's flags, built over {@link #flagStore}
     * @param instanceRouter the instance's router over those flags
     * @return the instance's ledger
     */
    Ledger newInstance(MigrationFlags instanceFlags, ReadRouter instanceRouter) {
        return newInstance(newResync(), instanceFlags, instanceRouter);
    }

    private RowCopier newResync() {
        RowCopier instanceResync = RowCopier.builder(sourcePool, faultyTarget)
                .mapping(style == Style.REPOSITORY ? JdbcLedger.mapping() : JdbcLedger.sameSchemaMapping())
                .statementTimeout(Duration.ofSeconds(2))
                .mirrorMode(async ? MirrorMode.ASYNC : MirrorMode.SYNC).build();
        resyncs.add(instanceResync);
        return instanceResync;
    }

    /** Serializes the application's writes of one account, where asked: see {@link JdbcLedger#serializedPerAccount}. */
    private JdbcLedger h2(JdbcLedger ledger) {
        return accountLocks == null ? ledger : ledger.serializedPerAccount(accountLocks);
    }

    private Ledger newInstance(RowCopier instanceResync) {
        return newInstance(instanceResync, flags, router);
    }

    private Ledger newInstance(RowCopier instanceResync, MigrationFlags instanceFlags, ReadRouter instanceRouter) {
        if (style == Style.DATASOURCE) {
            return h2(JdbcLedger.source(DualWrite.dataSource(sourcePool, faultyTarget)
                    .migration(MIGRATION)
                    .flags(instanceFlags)
                    .router(instanceRouter)
                    .retryQueue(queue)
                    .rowCopier(instanceResync)
                    .counters(stats)
                    .build()));
        }
        RepositoryBuilder<Ledger> builder = DualWrite.repository(Ledger.class)
                .source(h2(JdbcLedger.source(sourcePool)))
                .target(h2(JdbcLedger.target(faultyTarget)))
                .migration(MIGRATION)
                .flags(instanceFlags)
                .router(instanceRouter)
                .retryQueue(queue)
                .rowCopier(instanceResync, "accounts")
                .routingKey("transfer", args -> List.of(args[0], args[1]))
                .counters(stats);
        return crashSafe ? builder.crashSafe(store, Duration.ofMillis(100)).build() : builder.build();
    }

    static LedgerFixture create(TestDatabase source, TestDatabase target, int poolSize) {
        return create(source, target, poolSize, false);
    }

    static LedgerFixture create(TestDatabase source, TestDatabase target, int poolSize, boolean crashSafe) {
        return create(source, target, poolSize, crashSafe, Style.REPOSITORY);
    }

    static LedgerFixture create(TestDatabase source, TestDatabase target, int poolSize, Style style) {
        return create(source, target, poolSize, false, style);
    }

    static LedgerFixture create(TestDatabase source, TestDatabase target, int poolSize, boolean crashSafe, Style style) {
        createTables(source, target, style);
        return new LedgerFixture(source, target, source.dataSource(poolSize), target.dataSource(poolSize), crashSafe,
                style);
    }

    static void createTables(TestDatabase source, TestDatabase target, Style style) {
        if (style == Style.REPOSITORY) {
            JdbcLedger.createTables(source, target);
        } else {
            JdbcLedger.createSameTables(source, target);
        }
    }

    /**
     * Waits until no asynchronous copy is pending in any instance, so that what they owe is copied or
     * in the retry-queue.
     *
     * @return whether it got there within the timeout
     */
    boolean awaitAsyncCopies(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (stats.asyncBacklog() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    void moveTo(Stage stage) {
        flags.forceMoveTo(MIGRATION, stage, "test", "test");
    }

    void clear() {
        source.execute("DELETE FROM account");
        target.execute("DELETE FROM " + (style == Style.REPOSITORY ? "accounts" : "account"));
    }

    /** Writes a row straight into the target, bypassing Cutover. */
    void insertIntoTarget(long id, String owner, long balance) {
        target.execute("INSERT INTO " + (style == Style.REPOSITORY ? "accounts" : "account") + " VALUES (" + id + ", '"
                + owner + "', " + balance + ", 0, NULL)");
    }

    List<List<Object>> sourceRows() throws SQLException {
        return RowCopierTest.rows(source, "SELECT " + SOURCE_COLUMNS + " FROM account ORDER BY id");
    }

    List<List<Object>> targetRows() throws SQLException {
        return style == Style.REPOSITORY
                ? RowCopierTest.rows(target, "SELECT " + TARGET_COLUMNS + " FROM accounts ORDER BY account_id")
                : RowCopierTest.rows(target, "SELECT " + SOURCE_COLUMNS + " FROM account ORDER BY id");
    }

    @Override
    public void close() {
        resyncs.forEach(RowCopier::close);
        queue.close();
        router.close();
        flags.close();
    }
}
