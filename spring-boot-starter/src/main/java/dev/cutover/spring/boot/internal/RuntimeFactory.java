package dev.cutover.spring.boot.internal;

import dev.cutover.Cutover;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.JdbcFlagStoreConfig;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.router.ReadRouterConfig;
import dev.cutover.spring.boot.CutoverBuilderCustomizer;
import dev.cutover.spring.boot.CutoverMappings;
import dev.cutover.spring.boot.CutoverProperties;
import dev.cutover.verifier.VerifierConfig;
import java.util.List;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/** Builds the runtime from the {@code cutover.*} properties, the customizers and the mappings. */
public final class RuntimeFactory {
    private RuntimeFactory() {
    }

    /**
     * Builds the runtime, with its queue workers left to the lifecycle, and registers every migration.
     *
     * @param properties the properties
     * @param source the source DataSource
     * @param target the target DataSource
     * @param state where the runtime keeps its tables, or null for the source
     * @param customizers applied after the properties
     * @param mappings register the migrations
     * @return the runtime
     * @throws InvalidConfigurationPropertyValueException naming a property whose value is refused
     * @throws IllegalStateException if the runtime's tables are missing while create-tables is off, or
     *     the settings contradict each other
     */
    public static Cutover build(CutoverProperties properties, DataSource source, DataSource target, DataSource state,
            List<CutoverBuilderCustomizer> customizers, List<CutoverMappings> mappings) {
        Cutover.Builder builder = Cutover.builder(source, target)
                .createTables(properties.createTables())
                .logValues(properties.logValues())
                .startQueueWorkers(false);
        String prefix = properties.tablePrefix() == null ? JdbcFlagStoreConfig.DEFAULT_TABLE_PREFIX
                : properties.tablePrefix();
        try {
            builder.tablePrefix(prefix);
        } catch (CutoverConfigurationException e) {
            throw new InvalidConfigurationPropertyValueException("cutover.table-prefix", prefix, e.getMessage());
        }
        if (state != null) {
            builder.stateDataSource(state);
        }
        Options<MigrationFlags.Builder> flags = flags(properties.flags());
        Options<RetryQueueConfig.Builder> queue = queue(properties.retryQueue());
        Options<RowCopier.Builder> copier = rowCopier(properties.rowCopier(), source, target);
        builder.flags(flags::applyTo).retryQueue(queue::applyTo).rowCopier(copier::applyTo)
                .readRouterConfig(readRouter(properties.readRouter()))
                .verifierConfig(verifier(properties.verifier()))
                .backfillConfig(backfill(properties.backfill()));
        customizers.forEach(customizer -> customizer.customize(builder));
        Cutover cutover;
        try {
            cutover = builder.build();
        } catch (CutoverConfigurationException | IllegalArgumentException e) {
            throw new IllegalStateException("Invalid cutover.* settings: " + e.getMessage(), e);
        }
        try {
            CutoverMappings.Registry registry = new CutoverMappings.Registry() {
                @Override
                public CutoverMappings.Registry migration(String name, TableMapping mapping, TableMapping... more) {
                    cutover.migration(name, mapping, more);
                    return this;
                }
            };
            mappings.forEach(m -> m.register(registry));
        } catch (RuntimeException e) {
            cutover.close();
            throw e;
        }
        return cutover;
    }

    private static Options<MigrationFlags.Builder> flags(CutoverProperties.Flags p) {
        // Setters check their values; build() would start a refresher, so it is not tried.
        return new Options<MigrationFlags.Builder>("cutover.flags", () -> MigrationFlags.builder(FlagStore.inMemory()),
                b -> { })
                .set("refresh-interval", p.refreshInterval(), MigrationFlags.Builder::refreshInterval)
                .set("load-timeout", p.loadTimeout(), MigrationFlags.Builder::loadTimeout)
                .set("start-timeout", p.startTimeout(), MigrationFlags.Builder::startTimeout)
                .set("handover-pause", p.handoverPause(), MigrationFlags.Builder::handoverPause)
                .set("max-handover-wait", p.maxHandoverWait(), MigrationFlags.Builder::maxHandoverWait)
                .set("start-during-store-outage", p.startDuringStoreOutage(),
                        MigrationFlags.Builder::startDuringStoreOutage);
    }

    private static Options<RetryQueueConfig.Builder> queue(CutoverProperties.RetryQueue p) {
        return new Options<RetryQueueConfig.Builder>("cutover.retry-queue", RetryQueueConfig::custom,
                RetryQueueConfig.Builder::build)
                .set("worker-count", p.workerCount(), RetryQueueConfig.Builder::workerCount)
                .set("batch-size", p.batchSize(), RetryQueueConfig.Builder::batchSize)
                .set("max-attempts", p.maxAttempts(), RetryQueueConfig.Builder::maxAttempts)
                .set("lease-duration", p.leaseDuration(), RetryQueueConfig.Builder::leaseDuration)
                .set("poll-interval", p.pollInterval(), RetryQueueConfig.Builder::pollInterval)
                .set("initial-backoff", p.initialBackoff(), RetryQueueConfig.Builder::initialBackoff)
                .set("backoff-multiplier", p.backoffMultiplier(), RetryQueueConfig.Builder::backoffMultiplier)
                .set("backoff-jitter", p.backoffJitter(), RetryQueueConfig.Builder::backoffJitter)
                .set("max-backoff", p.maxBackoff(), RetryQueueConfig.Builder::maxBackoff)
                .set("replays-per-second", p.replaysPerSecond(), RetryQueueConfig.Builder::replaysPerSecond)
                .set("shutdown-timeout", p.shutdownTimeout(), RetryQueueConfig.Builder::shutdownTimeout)
                .set("instance-id", p.instanceId(), RetryQueueConfig.Builder::instanceId);
    }

    private static Options<RowCopier.Builder> rowCopier(CutoverProperties.RowCopier p, DataSource source,
            DataSource target) {
        return new Options<RowCopier.Builder>("cutover.row-copier", () -> RowCopier.builder(source, target), b -> { })
                .set("statement-timeout", p.statementTimeout(), RowCopier.Builder::statementTimeout)
                .set("copy-budget", p.copyBudget(), RowCopier.Builder::copyBudget);
    }

    private static ReadRouterConfig readRouter(CutoverProperties.ReadRouter p) {
        Options<ReadRouterConfig.Builder> options = new Options<ReadRouterConfig.Builder>("cutover.read-router",
                ReadRouterConfig::custom, ReadRouterConfig.Builder::build)
                .set("require-routing-key", p.requireRoutingKey(), ReadRouterConfig.Builder::requireRoutingKey)
                .set("target-timeout", p.targetTimeout(), ReadRouterConfig.Builder::targetTimeout)
                .set("target-concurrency", p.targetConcurrency(), ReadRouterConfig.Builder::targetConcurrency)
                .set("shadow-threads", p.shadowThreads(), ReadRouterConfig.Builder::shadowThreads)
                .set("shadow-queue-capacity", p.shadowQueueCapacity(), ReadRouterConfig.Builder::shadowQueueCapacity)
                .set("reveal-values", p.revealValues(), ReadRouterConfig.Builder::revealValues)
                .set("auto-rollback", p.autoRollback(), ReadRouterConfig.Builder::autoRollback)
                .set("auto-rollback-window", p.autoRollbackWindow(), ReadRouterConfig.Builder::autoRollbackWindow)
                .set("auto-rollback-max-error-percent", p.autoRollbackMaxErrorPercent(),
                        ReadRouterConfig.Builder::autoRollbackMaxErrorPercent)
                .set("auto-rollback-max-mismatch-percent", p.autoRollbackMaxMismatchPercent(),
                        ReadRouterConfig.Builder::autoRollbackMaxMismatchPercent);
        return build("cutover.read-router", options, ReadRouterConfig.custom(), ReadRouterConfig.Builder::build);
    }

    private static VerifierConfig verifier(CutoverProperties.Verifier p) {
        Options<VerifierConfig.Builder> options = new Options<VerifierConfig.Builder>("cutover.verifier",
                VerifierConfig::custom, VerifierConfig.Builder::build)
                .set("chunk-size", p.chunkSize(), VerifierConfig.Builder::chunkSize)
                .set("rows-per-second", p.rowsPerSecond(), VerifierConfig.Builder::rowsPerSecond)
                .set("pause-between-chunks", p.pauseBetweenChunks(), VerifierConfig.Builder::pauseBetweenChunks)
                .set("recheck-delay", p.recheckDelay(), VerifierConfig.Builder::recheckDelay)
                .set("recheck-attempts", p.recheckAttempts(), VerifierConfig.Builder::recheckAttempts)
                .set("statement-timeout", p.statementTimeout(), VerifierConfig.Builder::statementTimeout)
                .set("max-listed-differences", p.maxListedDifferences(), VerifierConfig.Builder::maxListedDifferences);
        return build("cutover.verifier", options, VerifierConfig.custom(), VerifierConfig.Builder::build);
    }

    private static BackfillConfig backfill(CutoverProperties.Backfill p) {
        Options<BackfillConfig.Builder> options = new Options<BackfillConfig.Builder>("cutover.backfill",
                BackfillConfig::custom, BackfillConfig.Builder::build)
                .set("rows-per-second", p.rowsPerSecond(), BackfillConfig.Builder::rowsPerSecond)
                .set("chunk-time", p.chunkTime(), BackfillConfig.Builder::chunkTime)
                .set("back-off-latency", p.backOffLatency(), BackfillConfig.Builder::backOffLatency)
                .set("back-off-latency-ratio", p.backOffLatencyRatio(), BackfillConfig.Builder::backOffLatencyRatio)
                .set("back-off-baseline-window", p.backOffBaselineWindow(), BackfillConfig.Builder::backOffBaselineWindow)
                .set("back-off-baseline-refresh", p.backOffBaselineRefresh(),
                        BackfillConfig.Builder::backOffBaselineRefresh)
                .set("back-off-min-duty-cycle", p.backOffMinDutyCycle(), BackfillConfig.Builder::backOffMinDutyCycle)
                .set("statement-timeout", p.statementTimeout(), BackfillConfig.Builder::statementTimeout)
                .set("max-chunk-attempts", p.maxChunkAttempts(), BackfillConfig.Builder::maxChunkAttempts)
                .set("progress-log-interval", p.progressLogInterval(), BackfillConfig.Builder::progressLogInterval);
        BackfillConfig.Builder builder = BackfillConfig.custom();
        Integer min = chunkSize("min-chunk-size", p.minChunkSize());
        Integer initial = chunkSize("initial-chunk-size", p.initialChunkSize());
        Integer max = chunkSize("max-chunk-size", p.maxChunkSize());
        if (min != null || initial != null || max != null) {
            // The builder takes the three sizes at once; an unset one keeps its default, and an unset
            // initial size moves inside the bounds that were set rather than contradict them.
            BackfillConfig defaults = BackfillConfig.ofDefaults();
            int lowest = min != null ? min : defaults.minChunkSize();
            int highest = max != null ? max : defaults.maxChunkSize();
            int first = initial != null ? initial : Math.max(lowest, Math.min(highest, defaults.initialChunkSize()));
            try {
                builder.chunkSize(lowest, first, highest);
            } catch (CutoverConfigurationException e) {
                throw new IllegalStateException("Invalid cutover.backfill.* settings (min-chunk-size, initial-chunk-size,"
                        + " max-chunk-size): " + e.getMessage(), e);
            }
        }
        return build("cutover.backfill", options, builder, BackfillConfig.Builder::build);
    }

    /** Checks one chunk size alone, as the only size of a fixed-size chunk, so that a refusal names its property. */
    private static Integer chunkSize(String name, Integer size) {
        if (size != null) {
            try {
                BackfillConfig.custom().chunkSize(size, size, size);
            } catch (CutoverConfigurationException e) {
                throw new InvalidConfigurationPropertyValueException("cutover.backfill." + name, size, e.getMessage());
            }
        }
        return size;
    }

    private static <B, C> C build(String prefix, Options<B> options, B builder, Function<B, C> build) {
        options.applyTo(builder);
        try {
            return build.apply(builder);
        } catch (CutoverConfigurationException e) {
            // Each value passed alone: two of them contradict each other.
            throw new IllegalStateException("Invalid " + prefix + ".* settings: " + e.getMessage(), e);
        }
    }
}
