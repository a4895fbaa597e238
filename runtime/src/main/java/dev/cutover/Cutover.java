package dev.cutover;

import dev.cutover.common.Beta;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.CutoverException;
import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Names;
import dev.cutover.common.internal.TablePrefix;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.CallerTransactions;
import dev.cutover.dualwrite.CutoverDataSource;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.JdbcFlagStore;
import dev.cutover.flags.JdbcFlagStoreConfig;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import dev.cutover.internal.JdbcBackfillCheckpoints;
import dev.cutover.internal.MeterBinding;
import dev.cutover.internal.RegisteredMigrations;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouterConfig;
import dev.cutover.verifier.VerifierConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Cutover runtime of one application: one per process, shared by all of its migrations.
 *
 * <p>It owns what every migration shares: the flag store and the {@link MigrationFlags} (stages and
 * read percentages that operators flip at runtime, shared by every instance through a table), the
 * retry store and the {@link RetryQueue} workers that replay copies which could not be made at once,
 * the meters, and the shutdown order. Each {@link Migration} it hands out owns the rest: its row
 * copier, read router, stats and verifier.
 *
 * <pre>{@code
 * try (Cutover cutover = Cutover.builder(sourceDataSource, targetDataSource).build()) {
 *     Migration users = cutover.migration("users", TableMapping.builder("users")
 *             .key("id", Long.class).columns("email", "name", "karma").build());
 *     UserDao dao = users.repository(UserDao.class, sourceDao, targetDao);
 *     users.moveTo(Stage.DUAL_WRITE, "ops", "start mirroring writes");
 * }
 * }</pre>
 *
 * <p>By default the runtime keeps its tables ({@code cutover_flag_state}, {@code cutover_flag_audit}
 * and {@code cutover_retry_entry}) in the source database, which every instance reaches and which is
 * up for the whole migration, and creates them at {@link Builder#build()} if they are missing. The
 * retry-queue workers run from the first registered migration (or from {@link #startQueueWorkers()},
 * see {@link Builder#startQueueWorkers(boolean)}) until {@link #close()}; they claim
 * only the entries of migrations registered in this runtime, so that during a rolling deploy an
 * instance that does not know a migration neither replays nor parks its entries.
 *
 * <p>The low-level builders ({@code RepositoryBuilder}, {@code CutoverDataSource.Builder},
 * {@code RowCopier}, {@code ReadRouter}, {@code Verifier}) stay available for what this class does
 * not cover; {@link #flags()}, {@link #retryQueue()} and each migration's parts are reachable for
 * them.
 *
 * <p>Thread-safe. The application owns the two data sources: closing the runtime does not close them.
 * {@link Beta}: the runtime API is new and may still change in a minor release.
 */
@Beta
public final class Cutover implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Cutover.class);

    private final DataSource source;
    private final DataSource target;
    private final ReadRouterConfig readRouterConfig;
    private final Consumer<RowCopier.Builder> rowCopierCustomizer;
    /** Mirror modes set for single migrations, over the row-copier customizer's. */
    private final Map<String, MirrorMode> mirrorModes;
    private final boolean logValues;
    /** The application's transactions, for its repositories; null if not given. */
    private final CallerTransactions callerTransactions;
    private final Object meterRegistry;
    private final MigrationFlags flags;
    private final RetryStore retryStore;
    private final RetryQueueConfig queueConfig;
    private final VerifierConfig verifierConfig;
    private final BackfillConfig backfillConfig;
    private final DataSource stateDataSource;
    private final String tablePrefix;
    private final boolean createTables;
    private JdbcBackfillCheckpoints backfillCheckpoints;
    private final RegisteredMigrations registered;
    private final Map<String, Migration> migrations = new LinkedHashMap<>();
    private RetryQueue queue;
    /** Whether the queue's workers should run: from the first registration, or from startQueueWorkers(). */
    private boolean workersWanted;
    private boolean closed;

    private Cutover(Builder builder) {
        this.source = builder.source;
        this.target = builder.target;
        this.logValues = builder.logValues;
        this.callerTransactions = builder.callerTransactions;
        this.readRouterConfig = logValues ? ReadRouterConfig.from(builder.readRouterConfig).revealValues(true).build()
                : builder.readRouterConfig;
        this.rowCopierCustomizer = builder.rowCopierCustomizer;
        this.mirrorModes = Map.copyOf(builder.mirrorModes);
        this.meterRegistry = builder.meterRegistry;
        this.verifierConfig = builder.verifierConfig;
        this.backfillConfig = builder.backfillConfig;
        this.workersWanted = builder.startQueueWorkers;
        // The row copiers' settings are applied at each migration(...); checking them here refuses a bad
        // one at build(), as every other setting is, before any table is created.
        builder.rowCopierCustomizer.accept(RowCopier.builder(source, target));
        DataSource state = builder.stateDataSource == null ? source : builder.stateDataSource;
        this.stateDataSource = state;
        this.tablePrefix = builder.tablePrefix;
        this.createTables = builder.createTables;
        JdbcFlagStore flagStore = JdbcFlagStore.create(state,
                JdbcFlagStoreConfig.custom().tablePrefix(builder.tablePrefix).build());
        JdbcRetryStore jdbcRetryStore = RetryStore.jdbc(state, builder.tablePrefix);
        // The queue's and the flags' settings are checked before the tables are created, so that a
        // refused setting leaves the database as it was, and before the flags start their refresh
        // thread, which a refused setting would otherwise leave running.
        RetryQueueConfig.Builder queueBuilder = RetryQueueConfig.custom().logValues(logValues);
        builder.queueCustomizer.accept(queueBuilder);
        this.queueConfig = queueBuilder.build();
        MigrationFlags.Builder flagsBuilder = MigrationFlags.builder(flagStore);
        builder.flagsCustomizer.accept(flagsBuilder);
        if (builder.createTables) {
            try {
                flagStore.createTables();
                jdbcRetryStore.createTables();
            } catch (CutoverException e) {
                throw new CutoverException(e.getMessage() + ". Fix: let the application's database user create tables"
                        + " there, or create them once with the scripts in the cutover-feature-flags and"
                        + " cutover-retry-queue jars (dev/cutover/flags/<dialect>.sql,"
                        + " dev/cutover/queue/internal/<dialect>.sql, ${prefix} = '" + builder.tablePrefix
                        + "') and build with createTables(false)", e);
            }
        } else {
            requireTables(state, builder.tablePrefix);
        }
        this.retryStore = jdbcRetryStore;
        this.flags = flagsBuilder.build();
        this.registered = new RegisteredMigrations(flags);
        if (meterRegistry != null) {
            MeterBinding.bindFlags(flags, meterRegistry);
        }
    }

    /**
     * With {@code createTables(false)}, a missing table would otherwise show as a flag store that
     * "cannot be read within the start timeout", which reads as an outage, or, for the checkpoint table
     * that {@code verify()} and the backfill share, as a failure of the first of them. An unreachable
     * database is left to the flags' message; a reachable one without the tables is refused here,
     * naming them. The Spring Boot starter relies on this check too.
     */
    private static void requireTables(DataSource state, String prefix) {
        List<String> missing = new ArrayList<>();
        try (Connection connection = NetworkTimeouts.connect(state, NetworkTimeouts.DEFAULT_MILLIS)) {
            for (String table : List.of(prefix + "flag_state", prefix + "flag_audit", prefix + "retry_entry",
                    prefix + "verifier_checkpoint")) {
                try (Statement statement = connection.createStatement()) {
                    statement.executeQuery("SELECT 1 FROM " + table + " WHERE 1 = 0").close();
                } catch (SQLException e) {
                    missing.add(table);
                    if (!connection.getAutoCommit()) {
                        connection.rollback();
                    }
                }
            }
        } catch (SQLException unreachable) {
            return;
        }
        if (!missing.isEmpty()) {
            throw new CutoverConfigurationException("createTables(false) was set, but the runtime's tables " + missing
                    + " cannot be read in its state database. Fix: create them once with the scripts in the"
                    + " cutover-feature-flags, cutover-retry-queue and cutover-verifier jars"
                    + " (dev/cutover/flags/<dialect>.sql, dev/cutover/queue/internal/<dialect>.sql,"
                    + " dev/cutover/verifier/<dialect>.sql, ${prefix} = '" + prefix + "'), or leave createTables"
                    + " at its default (true) to let the runtime create them (with the Spring Boot starter:"
                    + " cutover.create-tables=true)");
        }
    }

    /**
     * Starts building the runtime of an application that moves from {@code source} to {@code target}.
     *
     * @param source the old database, e.g. its HikariCP pool
     * @param target the new database
     * @return the builder
     * @throws NullPointerException if an argument is null
     * @throws CutoverConfigurationException if both are the same data source
     */
    public static Builder builder(DataSource source, DataSource target) {
        return new Builder(source, target);
    }

    /**
     * Registers a migration: a name for its flags, queue entries and meters, and the tables it moves.
     * Its name appears nowhere else; the entities are the mappings' names.
     *
     * @param name the migration's name: 1 to 64 ASCII letters, digits, {@code _}, {@code -} or {@code .}
     * @param mapping the first table it moves
     * @param more further tables it moves, written together with the first (one stage for all)
     * @return the migration
     * @throws CutoverConfigurationException if the name is illegal or already registered, or two
     *     mappings share an entity name
     * @throws IllegalStateException if the runtime is closed
     */
    public Migration migration(String name, TableMapping mapping, TableMapping... more) {
        Objects.requireNonNull(mapping, "null mapping");
        List<TableMapping> mappings = new ArrayList<>();
        mappings.add(mapping);
        for (TableMapping m : more) {
            mappings.add(Objects.requireNonNull(m, "null mapping"));
        }
        synchronized (this) {
            checkOpen();
            flags.declare(name);
            if (migrations.containsKey(name)) {
                throw new CutoverConfigurationException("Migration " + name + " is already registered in this"
                        + " runtime: register each migration once, and look it up with migration(\"" + name + "\")");
            }
            Migration migration = new Migration(name, mappings, this);
            registered.add(name, migration.rowCopier());
            migrations.put(name, migration);
            if (meterRegistry != null) {
                MeterBinding.bindMigration(migration.counters(), migration.router(), name, meterRegistry);
            }
            if (queue == null) {
                // Created at the first registration: a queue must know at least one migration to claim.
                queue = RetryQueue.create(retryStore, registered, queueConfig);
                if (meterRegistry != null) {
                    MeterBinding.bindQueue(queue, meterRegistry);
                }
                if (workersWanted) {
                    queue.start();
                }
            }
            LOG.info("Registered migration {} moving {}", name, migration.entities());
            return migration;
        }
    }

    /**
     * A migration registered earlier.
     *
     * @param name its name
     * @return the migration
     * @throws IllegalArgumentException if no migration of that name is registered
     */
    public synchronized Migration migration(String name) {
        Migration migration = migrations.get(name);
        if (migration == null) {
            throw new IllegalArgumentException("No migration " + name + " is registered in this runtime; registered: "
                    + migrations.keySet() + ". Register it with migration(name, mapping...)");
        }
        return migration;
    }

    /** @return the registered migrations, in registration order */
    public synchronized Collection<Migration> migrations() {
        return List.copyOf(migrations.values());
    }

    /**
     * Wraps the runtime's two data sources into one for plain JDBC code that writes the tables of
     * several registered migrations, each with its own stage (one migration per table or aggregate);
     * see {@link CutoverDataSource.Builder#addMigration}. Its transactions write only while the
     * migrations agree about the primary, so move their primary together with {@link #moveTogether}.
     *
     * @param first a registered migration; it counts the writes of tables no migration maps
     * @param more further registered migrations
     * @return a new data source; it holds no connections of its own
     * @throws IllegalArgumentException if a migration is not registered
     * @throws CutoverConfigurationException if two migrations map one table, or a name comes twice
     */
    public CutoverDataSource dataSource(String first, String... more) {
        return dataSourceBuilder(first, more).build();
    }

    /**
     * A data-source builder already wired to several registered migrations, for what
     * {@link #dataSource(String, String...)} does not cover: pass-through tables, the transactional
     * outbox.
     *
     * @param first a registered migration; it counts the writes of tables no migration maps
     * @param more further registered migrations
     * @return the builder
     * @throws IllegalArgumentException if a migration is not registered
     */
    public CutoverDataSource.Builder dataSourceBuilder(String first, String... more) {
        CutoverDataSource.Builder builder = migration(first).dataSourceBuilder();
        for (String name : more) {
            Migration migration = migration(name);
            builder.addMigration(name, migration.router(), migration.rowCopier(), migration.counters());
        }
        return builder;
    }

    /**
     * Moves several registered migrations to one stage together, for every instance: all their
     * states are stored in one transaction of the flag store and audited per migration, and each runs
     * its own fenced handover; see {@link MigrationFlags#moveTogether}. This is how the primary of
     * migrations sharing one data source moves ({@code SHIFT_READS <-> TARGET_PRIMARY}).
     *
     * @param names the migrations, at least one, each registered
     * @param stage the stage for all of them
     * @param actor who flips, for the audit
     * @param reason why, for the audit
     * @return the stored states, by migration
     * @throws IllegalArgumentException if a migration is not registered; nothing is moved
     * @throws dev.cutover.flags.StageTransitionException if any move is not allowed, or starts writing
     *     both sides of a migration whose mapping does not fit the databases; nothing is moved
     */
    public Map<String, MigrationState> moveTogether(Set<String> names, Stage stage, String actor, String reason) {
        for (String name : Objects.requireNonNull(names, "null names")) {
            migration(name).checkBeforeDualWrites(stage);
        }
        return flags.moveTogether(names, stage, actor, reason);
    }

    /** @return the flags of every migration, for operator tooling and the low-level builders */
    public MigrationFlags flags() {
        return flags;
    }

    /**
     * The queue of copies that could not be made at once, for operator tooling ({@code parked},
     * {@code requeue}) and the low-level builders.
     *
     * @return the queue
     * @throws IllegalStateException if no migration is registered yet (the queue starts with the first)
     */
    public synchronized RetryQueue retryQueue() {
        if (queue == null) {
            throw new IllegalStateException("The retry-queue starts with the first migration: register one with"
                    + " migration(name, mapping...) first");
        }
        return queue;
    }

    /**
     * Waits until the retry table holds no pending entry: every copy that failed earlier has been
     * made; see {@link RetryQueue#drain(Duration)}. Entries of a migration that no running instance
     * registered stay pending and keep this waiting until the timeout.
     *
     * @param timeout how long to wait at most
     * @return whether the queue drained in time; {@code true} if no migration is registered here
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        RetryQueue current;
        synchronized (this) {
            current = queue;
        }
        return current == null || current.drain(timeout);
    }

    /**
     * Starts the retry-queue's workers, for a runtime built with
     * {@link Builder#startQueueWorkers(boolean) startQueueWorkers(false)}: at once if a migration is
     * registered, else with the first one. Does nothing if they run.
     *
     * @throws IllegalStateException if the runtime is closed
     */
    public void startQueueWorkers() {
        synchronized (this) {
            checkOpen();
            workersWanted = true;
            if (queue != null) {
                queue.start();
            }
        }
    }

    /**
     * Stops the retry-queue's workers gracefully (see {@link RetryQueue#stop()}), keeping the
     * runtime open: copies that fail meanwhile are still queued, and replayed once the workers run
     * again here or on another instance. Does nothing if they do not run.
     */
    public void stopQueueWorkers() {
        RetryQueue toStop;
        synchronized (this) {
            workersWanted = false;
            toStop = queue;
        }
        // Outside the lock: stopping waits for the workers' current replays.
        if (toStop != null) {
            toStop.stop();
        }
    }

    /** @return whether this runtime's retry-queue workers run */
    public synchronized boolean queueWorkersRunning() {
        return queue != null && queue.isRunning();
    }

    DataSource source() {
        return source;
    }

    VerifierConfig verifierConfig() {
        return verifierConfig;
    }

    BackfillConfig backfillConfig() {
        return backfillConfig;
    }

    /**
     * The backfills' checkpoint store, in the verifier's checkpoint table of the state database,
     * created on first use when the runtime creates its tables.
     */
    synchronized JdbcBackfillCheckpoints backfillCheckpoints() {
        checkOpen();
        if (backfillCheckpoints == null) {
            JdbcBackfillCheckpoints checkpoints = new JdbcBackfillCheckpoints(stateDataSource, tablePrefix);
            if (createTables) {
                checkpoints.createTables();
            }
            backfillCheckpoints = checkpoints;
        }
        return backfillCheckpoints;
    }

    Object meterRegistry() {
        return meterRegistry;
    }

    DataSource target() {
        return target;
    }

    ReadRouterConfig readRouterConfig() {
        return readRouterConfig;
    }

    Consumer<RowCopier.Builder> rowCopierCustomizer() {
        return rowCopierCustomizer;
    }

    /** @return the mirror mode set for this migration with {@link Builder#mirrorMode}, or null */
    MirrorMode mirrorMode(String migration) {
        return mirrorModes.get(migration);
    }

    boolean logValues() {
        return logValues;
    }

    CallerTransactions callerTransactions() {
        return callerTransactions;
    }

    synchronized RetryQueue queue() {
        checkOpen();
        return queue;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This Cutover runtime is closed, and so are its migrations and wrappers:"
                    + " use them before cutover.close(), or build a new runtime with Cutover.builder(source, target)"
                    + " and register the migration there");
        }
    }

    /**
     * Stops the row copiers' asynchronous copiers ({@link MirrorMode#ASYNC}), the retry-queue
     * workers, the read routers' shadow readers and the flag refresher, in that order: the copiers
     * first copy or queue every key still pending, while the queue and flags they need still run,
     * and nothing replays or routes with flags that no longer refresh. Entries still queued stay in
     * the retry table for the next start or another instance. Writes through a migration's
     * repositories after this are mirrored inside the call. Idempotent.
     */
    @Override
    public void close() {
        List<Migration> toClose;
        RetryQueue toStop;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = List.copyOf(migrations.values());
            toStop = queue;
        }
        toClose.forEach(Migration::closeRowCopier);
        if (toStop != null) {
            toStop.close();
        }
        toClose.forEach(Migration::close);
        flags.close();
    }

    @Override
    public synchronized String toString() {
        return "Cutover" + migrations.keySet();
    }

    /**
     * Builds a {@link Cutover} runtime; every setter checks its value at once. Not thread-safe.
     */
    public static final class Builder {
        private final DataSource source;
        private final DataSource target;
        private DataSource stateDataSource;
        private String tablePrefix = TablePrefix.DEFAULT;
        private boolean createTables = true;
        private boolean startQueueWorkers = true;
        private Object meterRegistry;
        private VerifierConfig verifierConfig = VerifierConfig.ofDefaults();
        private BackfillConfig backfillConfig = BackfillConfig.ofDefaults();
        private ReadRouterConfig readRouterConfig = ReadRouterConfig.ofDefaults();
        private Consumer<MigrationFlags.Builder> flagsCustomizer = b -> { };
        private Consumer<RetryQueueConfig.Builder> queueCustomizer = b -> { };
        private Consumer<RowCopier.Builder> rowCopierCustomizer = b -> { };
        private final Map<String, MirrorMode> mirrorModes = new LinkedHashMap<>();
        private boolean logValues;
        private CallerTransactions callerTransactions;

        private Builder(DataSource source, DataSource target) {
            this.source = Objects.requireNonNull(source, "null source");
            this.target = Objects.requireNonNull(target, "null target");
            if (source == target) {
                throw new CutoverConfigurationException("source and target are the same DataSource: pass the old"
                        + " database as the source and the new one as the target");
            }
        }

        /**
         * Where the runtime keeps its flag and retry tables. Every instance of the application must
         * reach it, and it must stay up for the whole migration.
         *
         * @param dataSource the database; default the source
         * @return this builder
         */
        public Builder stateDataSource(DataSource dataSource) {
            this.stateDataSource = Objects.requireNonNull(dataSource, "null dataSource");
            return this;
        }

        /**
         * The prefix of the runtime's table names.
         *
         * @param prefix up to 48 ASCII letters, digits or underscores, not starting with a digit, or
         *     empty; default {@value JdbcFlagStoreConfig#DEFAULT_TABLE_PREFIX}
         * @return this builder
         * @throws CutoverConfigurationException if the prefix is illegal
         */
        public Builder tablePrefix(String prefix) {
            this.tablePrefix = Checks.identifier(prefix, "tablePrefix");
            return this;
        }

        /**
         * Whether {@link #build()} creates the runtime's tables where they are missing (with
         * {@code CREATE TABLE IF NOT EXISTS}). Turn it off where the application may not run DDL, and
         * create them with the scripts in the flags' and retry-queue's jars.
         *
         * @param create default {@code true}
         * @return this builder
         */
        public Builder createTables(boolean create) {
            this.createTables = create;
            return this;
        }

        /**
         * Whether the retry-queue's workers start with the first registered migration. A container
         * that starts components only once the application is wired (Spring's lifecycle) turns this
         * off and calls {@link Cutover#startQueueWorkers()} itself.
         *
         * @param start default {@code true}
         * @return this builder
         */
        public Builder startQueueWorkers(boolean start) {
            this.startQueueWorkers = start;
            return this;
        }

        /**
         * The settings of every migration's verifier ({@link Migration#verifier()},
         * {@link Migration#verify()}).
         *
         * @param config default {@link VerifierConfig#ofDefaults()}
         * @return this builder
         */
        public Builder verifierConfig(VerifierConfig config) {
            this.verifierConfig = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * The pacing of every migration's backfill ({@link Migration#backfill()}); a backfill's own
         * {@code config(...)} replaces it.
         *
         * @param config default {@link BackfillConfig#ofDefaults()}: no rate limit, chunks of about
         *     0.5 s, back-off when dual-write copies average over 100 ms
         * @return this builder
         */
        public Builder backfillConfig(BackfillConfig config) {
            this.backfillConfig = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * Publishes the flags', retry-queue's, dual writes' and read routers' meters (see their
         * {@code micrometer} binders) to a registry. Needs Micrometer on the class path.
         *
         * @param registry the registry; default none, and no meters
         * @return this builder
         */
        // Micrometer is optional (requires static): an application that passes a registry requires it itself.
        @SuppressWarnings("exports")
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "null registry");
            return this;
        }

        /**
         * The read-router settings of every migration.
         *
         * @param config default {@link ReadRouterConfig#ofDefaults()}
         * @return this builder
         */
        public Builder readRouterConfig(ReadRouterConfig config) {
            this.readRouterConfig = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * Adjusts the flags' settings (refresh interval, handover pause, timeouts) before they start.
         *
         * @param customizer called once with the flags' builder, during {@link #build()}
         * @return this builder
         */
        public Builder flags(Consumer<MigrationFlags.Builder> customizer) {
            this.flagsCustomizer = Objects.requireNonNull(customizer, "null customizer");
            return this;
        }

        /**
         * Adjusts the retry-queue's settings (workers, backoff, poll interval) before it starts.
         *
         * @param customizer called once with the queue's configuration builder, during {@link #build()}
         * @return this builder
         */
        public Builder retryQueue(Consumer<RetryQueueConfig.Builder> customizer) {
            this.queueCustomizer = Objects.requireNonNull(customizer, "null customizer");
            return this;
        }

        /**
         * Adjusts every migration's row copier (statement timeout, copy budget, dialects) before it
         * is built. The copy budget bounds how long a write call waits for its mirror when the other
         * side is slow or down, before the copy is queued instead. The tables come from
         * {@link Cutover#migration(String, TableMapping, TableMapping...)}, not from here.
         *
         * @param customizer called with each migration's row-copier builder, during
         *     {@link Cutover#migration(String, TableMapping, TableMapping...)}; it must not add mappings
         * @return this builder
         */
        public Builder rowCopier(Consumer<RowCopier.Builder> customizer) {
            this.rowCopierCustomizer = Objects.requireNonNull(customizer, "null customizer");
            return this;
        }

        /**
         * Sets when one migration's repositories copy a write to the other side, over what
         * {@link #rowCopier} sets for every migration: {@link MirrorMode#ASYNC} returns after the
         * primary write and copies off the caller's thread (see {@link RowCopier.Builder#mirrorMode}),
         * for a migration whose callers need the latency more than a target that is current when the
         * call returns. Applied when the migration is registered; its data sources refuse the
         * asynchronous mode. The runtime's {@link Cutover#close()} copies or queues the keys still
         * pending before it stops the retry-queue.
         *
         * @param migration the migration's name, as later passed to
         *     {@link Cutover#migration(String, TableMapping, TableMapping...)}
         * @param mode the mode; default what the row-copier customizer sets, else {@link MirrorMode#SYNC}
         * @return this builder
         * @throws CutoverConfigurationException if the name is not a legal migration name
         */
        public Builder mirrorMode(String migration, MirrorMode mode) {
            this.mirrorModes.put(Names.checkMigrationName(migration), Objects.requireNonNull(mode, "null mode"));
            return this;
        }

        /**
         * Lets the repositories of every migration copy the writes made inside the caller's open
         * transaction after it commits, instead of waiting inside the call on the row locks that
         * transaction holds; see {@link dev.cutover.dualwrite.RepositoryBuilder#callerTransactions}.
         * The Spring Boot starter sets Spring's. Data sources need none: they copy after their own
         * connection's commit.
         *
         * @param transactions the application's transaction manager, as seen from the calling thread
         * @return this builder
         */
        public Builder callerTransactions(CallerTransactions transactions) {
            this.callerTransactions = Objects.requireNonNull(transactions, "null transactions");
            return this;
        }

        /**
         * Lets Cutover's log lines, exception messages and stored error texts carry row values, for
         * debugging on data that is not personal. By default they name keys, tables, columns and
         * constraints, SQL states and exception classes, and never row values: driver messages lose
         * the values they quote, quoted SQL loses its literals, shadow-read mismatches show
         * {@code ***}, and verifier reports name differing columns only. With {@code true}, the
         * row copiers ({@link RowCopier.Builder#logValues}), the retry-queue
         * ({@link RetryQueueConfig#logValues()}), the read routers
         * ({@link ReadRouterConfig#revealValues()}) and the verifiers
         * ({@link dev.cutover.verifier.VerifierConfig#revealValues()}) show them, and the retry table
         * and verifier checkpoints store them. The exceptions of the application's own writes are the
         * driver's, and pass through unchanged either way.
         *
         * @param logValues default false; never true on production data
         * @return this builder
         */
        public Builder logValues(boolean logValues) {
            this.logValues = logValues;
            return this;
        }

        /**
         * Creates the runtime's tables (unless {@link #createTables(boolean) turned off}) and starts
         * the flags, which read the flag table once before this returns.
         *
         * @return the runtime; close it when the application stops
         * @throws dev.cutover.flags.FlagStoreException if the flag table cannot be read in time
         * @throws CutoverConfigurationException if a customizer set an illegal value, or the settings
         *     contradict each other
         */
        public Cutover build() {
            return new Cutover(this);
        }
    }
}
