package dev.cutover;

import dev.cutover.common.Beta;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.CutoverException;
import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillListener;
import dev.cutover.dualwrite.CutoverDataSource;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.RepositoryBuilder;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import dev.cutover.flags.StageTransitionException;
import dev.cutover.internal.MeterBinding;
import dev.cutover.queue.QueueDepth;
import dev.cutover.router.ReadRouter;
import dev.cutover.verifier.VerificationReport;
import dev.cutover.verifier.VerificationSetupException;
import dev.cutover.verifier.Verifier;
import dev.cutover.verifier.VerifierConfig;
import dev.cutover.verifier.VerifierException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * One migration of a {@link Cutover} runtime: a name and the tables it moves, with everything that
 * writes, reads and checks them. Get one from {@link Cutover#migration(String, TableMapping, TableMapping...)}.
 *
 * <p>It owns the migration's row copier (which copies a written key's current row to the other
 * side after every write, and replays failed copies from the retry-queue), its read router, its
 * dual-write stats and its verifier. Wrap the application's DAOs with {@link #repository} or its
 * JDBC code with {@link #dataSource()}; flip its stage with {@link #moveTo} and its read percentages
 * with {@link #setTargetReadPercent}; prove both sides equal with {@link #verify()}.
 *
 * <p>Thread-safe. It lives as long as its runtime.
 */
@Beta
public final class Migration {
    private final String name;
    private final Cutover runtime;
    private final RowCopier rowCopier;
    private final ReadRouter router;
    private final DualWriteCounters stats = new DualWriteCounters();
    /** The backfill meters' listener, bound at the first backfill when the runtime has a registry. */
    private BackfillListener backfillMetrics;

    Migration(String name, List<TableMapping> mappings, Cutover runtime) {
        this.name = name;
        this.runtime = runtime;
        RowCopier.Builder copier = RowCopier.builder(runtime.source(), runtime.target()).logValues(runtime.logValues());
        mappings.forEach(copier::mapping);
        runtime.rowCopierCustomizer().accept(copier);
        if (runtime.mirrorMode(name) != null) {
            copier.mirrorMode(runtime.mirrorMode(name));
        }
        this.rowCopier = copier.build();
        if (rowCopier.entities().size() != mappings.size()) {
            throw new CutoverConfigurationException("The rowCopier customizer added mappings to migration " + name
                    + ": pass every table to migration(name, mapping...) instead");
        }
        this.router = ReadRouter.builder(runtime.flags(), name).config(runtime.readRouterConfig()).build();
    }

    /** @return the migration's name: the key of its flags, queue entries and meters */
    public String name() {
        return name;
    }

    /** @return the entities (mapping names) it moves */
    public Set<String> entities() {
        return rowCopier.entities();
    }

    /**
     * Wraps a repository interface whose writes all touch this migration's only entity.
     * {@code @SqlQuery} methods (or {@code @Read}) are reads, routed by the read router;
     * {@code @SqlUpdate}, {@code @SqlBatch} and {@code @SqlCall} methods (or {@code @Write}) are
     * writes, run on the primary with the written rows copied to the other side. Each method names
     * its row with {@code @RoutingKey}.
     *
     * @param type the interface
     * @param source the implementation on the source database, e.g. {@code sourceJdbi.onDemand(type)}
     * @param target the implementation on the target database
     * @param <T> the interface type
     * @return a {@code T} that dual-writes and routes reads; thread-safe
     * @throws CutoverConfigurationException if the migration moves more than one entity: name it with
     *     {@link #repository(Class, String, Object, Object)} or {@code @Write(entity = ...)}
     * @throws dev.cutover.dualwrite.RepositoryDefinitionException if a method cannot be classified
     *     or has no routing key
     */
    public <T> T repository(Class<T> type, T source, T target) {
        Set<String> entities = entities();
        if (entities.size() != 1) {
            throw new CutoverConfigurationException("Migration " + name + " moves " + entities + ": say which entity "
                    + type.getSimpleName() + " writes with repository(type, entity, source, target)");
        }
        return repository(type, entities.iterator().next(), source, target);
    }

    /**
     * Wraps a repository interface whose writes touch {@code entity} unless a method's
     * {@code @Write(entity = ...)} says otherwise; see {@link #repository(Class, Object, Object)}.
     *
     * @param type the interface
     * @param entity the entity its writes touch by default
     * @param source the implementation on the source database
     * @param target the implementation on the target database
     * @param <T> the interface type
     * @return the wrapped repository
     * @throws dev.cutover.dualwrite.RepositoryDefinitionException if a method cannot be classified,
     *     has no routing key, or writes an entity this migration does not move
     */
    public <T> T repository(Class<T> type, String entity, T source, T target) {
        return repositoryBuilder(type, entity).source(source).target(target).build();
    }

    /**
     * A repository builder already wired to this migration (flags, router, retry-queue, row copier,
     * stats, and the runtime's caller transactions if it has them), for what {@link #repository}
     * does not cover: routing-key functions, read transforms, crash-safe copies.
     *
     * @param type the interface
     * @param entity the entity its writes touch by default
     * @param <T> the interface type
     * @return the builder; set its source and target DAOs, then build
     */
    public <T> RepositoryBuilder<T> repositoryBuilder(Class<T> type, String entity) {
        RepositoryBuilder<T> builder = dev.cutover.dualwrite.DualWrite.repository(type)
                .migration(name)
                .flags(runtime.flags())
                .router(router)
                .retryQueue(runtime.queue())
                .rowCopier(rowCopier, entity)
                .counters(stats);
        if (runtime.callerTransactions() != null) {
            builder.callerTransactions(runtime.callerTransactions());
        }
        return builder;
    }

    /**
     * Wraps the runtime's two data sources into one for plain JDBC code (and the libraries on top of
     * it): statements on this migration's tables are dual-written and routed, statements it cannot
     * prove it mirrors are refused before they run.
     *
     * @return a new data source; it holds no connections of its own
     */
    public DataSource dataSource() {
        return dataSourceBuilder().build();
    }

    /**
     * A data-source builder already wired to this migration, for what {@link #dataSource()} does not
     * cover: pass-through tables, the transactional outbox.
     *
     * @return the builder
     */
    public CutoverDataSource.Builder dataSourceBuilder() {
        return dev.cutover.dualwrite.DualWrite.dataSource(runtime.source(), runtime.target())
                .migration(name)
                .flags(runtime.flags())
                .router(router)
                .retryQueue(runtime.queue())
                .rowCopier(rowCopier)
                .counters(stats);
    }

    /** @return the current state (stage, read percentages) from this instance's flags; no I/O */
    public MigrationState state() {
        return runtime.flags().state(name);
    }

    /** @return the current stage; no I/O */
    public Stage stage() {
        return state().stage();
    }

    /**
     * Moves the migration to another stage, for every instance; see
     * {@link MigrationFlags#moveTo(String, Stage, String, String)}. A move of the primary
     * ({@code SHIFT_READS <-> TARGET_PRIMARY}) is fenced: every instance pauses its writes briefly
     * while the copies of the old direction drain.
     *
     * @param stage the new stage
     * @param actor who flips, for the audit
     * @param reason why, for the audit
     * @return the stored state
     * @throws dev.cutover.flags.StageTransitionException if the move is not allowed, or if it starts
     *     writing both sides (from {@code SOURCE_ONLY}, say) while a mapped table, column or key is
     *     missing on either side (see {@link #checkBeforeDualWrites}); nothing is moved then
     */
    public MigrationState moveTo(Stage stage, String actor, String reason) {
        Objects.requireNonNull(stage, "null stage");
        checkBeforeDualWrites(stage);
        return runtime.flags().moveTo(name, stage, actor, reason);
    }

    /**
     * Refuses a move that starts writing both sides while the mapping does not fit the databases: a
     * mistyped column or a target table not created yet would otherwise be found by every copy, each
     * acknowledged write queued in the retry-queue with a driver's error, until the mapping is fixed.
     * The verifier's set-up check does it, reading no row.
     */
    void checkBeforeDualWrites(Stage next) {
        if (!next.dualWrites() || stage().dualWrites()) {
            return;
        }
        try {
            verifier().build().checkSetup();
        } catch (VerificationSetupException e) {
            throw new StageTransitionException("Migration " + name + " was not moved to " + next + ", where both sides"
                    + " are written, since its mapping does not fit the databases: " + String.join("; ", e.problems())
                    + ". Nothing was moved");
        } catch (VerifierException e) {
            throw new StageTransitionException("Migration " + name + " was not moved to " + next + ", where both sides"
                    + " are written: " + e.getMessage() + ". Nothing was moved; move it again once both databases answer");
        } catch (CutoverException e) {
            // An unreachable database fails the set-up check before any table is looked at; the
            // move must still say that nothing moved and what to do.
            throw new StageTransitionException("Migration " + name + " was not moved to " + next + ", where both sides"
                    + " are written: " + e.getMessage() + ". Nothing was moved; move it again once both databases answer");
        }
    }

    /**
     * Sets the percentage of keys whose reads the target answers in {@code SHIFT_READS}.
     *
     * @param percent 0 to 100
     * @param actor who flips, for the audit
     * @param reason why, for the audit
     * @return the stored state
     */
    public MigrationState setTargetReadPercent(double percent, String actor, String reason) {
        return runtime.flags().setTargetReadPercent(name, percent, actor, reason);
    }

    /**
     * Sets the percentage of reads also run on the other side and compared, off the caller's thread.
     *
     * @param percent 0 to 100
     * @param actor who flips, for the audit
     * @param reason why, for the audit
     * @return the stored state
     */
    public MigrationState setShadowReadPercent(double percent, String actor, String reason) {
        return runtime.flags().setShadowReadPercent(name, percent, actor, reason);
    }

    /**
     * A verifier builder for this migration's tables, repairing through the retry-queue from the
     * current primary; with the runtime's {@link Cutover.Builder#logValues logValues(true)} its
     * config reveals values (a config set on the builder replaces that).
     *
     * @return the builder; adjust it (config, checkpoints, progress) and build
     */
    public Verifier.Builder verifier() {
        Verifier.Builder builder = Verifier.builder(runtime.source(), runtime.target())
                .config(runtime.verifierConfig())
                .repairWith(runtime.queue(), name)
                .primary(stage().primary());
        if (runtime.logValues()) {
            builder.config(VerifierConfig.custom().revealValues(true).build());
        }
        entities().forEach(entity -> builder.mapping(rowCopier.mapping(entity)));
        return builder;
    }

    /**
     * Compares every row of this migration's tables on both sides and queues a repair of each key
     * that differs; see {@link Verifier#run()}.
     *
     * @return the report
     */
    public VerificationReport verify() {
        return verifier().build().run();
    }

    /**
     * Counts this migration's entries in the retry table: pending copies, parked ones, and when the
     * oldest pending one was queued, which is how far the other side lags behind the primary. One
     * query on the runtime's state database, for progress lines and health checks; the meters
     * ({@link Cutover.Builder#meterRegistry}) publish the same figures.
     *
     * @return the counts; all zero if the table holds no entry of this migration
     */
    public QueueDepth queueDepth() {
        return runtime.queue().depthByMigration().getOrDefault(name, new QueueDepth(0, 0, Optional.empty()));
    }

    /**
     * A backfill of this migration's tables, wired to the runtime: its flags (it runs only in
     * {@code DUAL_WRITE} and {@code SHIFT_READS}, each chunk inside the copy window), its dual-write
     * stats (its back-off signal), durable checkpoints in the runtime's state database (the
     * verifier's checkpoint table, {@code <prefix>verifier_checkpoint}, created on first use unless
     * the runtime was built with {@code createTables(false)}), the runtime's
     * {@link Cutover.Builder#backfillConfig backfillConfig} and, with a meter registry, its
     * {@code cutover.backfill.*} meters.
     *
     * <pre>{@code
     * migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
     * BackfillProgress done = migration.backfill().build().run();   // resumes after a crash
     * }</pre>
     *
     * @return the builder; adjust it (entities, config, listeners) and build
     * @see Backfill
     */
    public Backfill.Builder backfill() {
        Backfill.Builder builder = Backfill.builder(rowCopier, runtime.flags(), name)
                .config(runtime.backfillConfig())
                .checkpoints(runtime.backfillCheckpoints())
                .counters(stats);
        Object registry = runtime.meterRegistry();
        if (registry != null) {
            synchronized (this) {
                if (backfillMetrics == null) {
                    backfillMetrics = MeterBinding.bindBackfill(name, registry);
                }
                builder.listener(backfillMetrics);
            }
        }
        return builder;
    }

    /** @return the row copier, for copying existing rows by key ({@code rowCopier().copy(entity, key)}) */
    public RowCopier rowCopier() {
        return rowCopier;
    }

    /** @return the read router, whose stats count reads per side and shadow comparisons */
    public ReadRouter router() {
        return router;
    }

    /** @return the dual-write counters of every repository and data source of this migration */
    public DualWriteCounters counters() {
        return stats;
    }

    /** Copies or queues the asynchronous copies still pending and stops the copier; before the retry-queue stops. */
    void closeRowCopier() {
        rowCopier.close();
    }

    void close() {
        router.close();
    }

    @Override
    public String toString() {
        return "Migration{" + name + ": " + entities() + "}";
    }
}
