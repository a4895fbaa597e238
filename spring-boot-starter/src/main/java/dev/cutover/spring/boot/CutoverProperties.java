package dev.cutover.spring.boot;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.autoconfigure.sql.init.SqlInitializationProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code cutover.*} properties, bound once at start-up through this constructor and immutable
 * after. Options left unset keep the runtime's defaults (README, "Configuration reference"), so the
 * defaults live in one place: their components are null when unset. The ones this starter owns
 * ({@code create-tables}, {@code data-source.*}, {@code health.*}) have their defaults here.
 *
 * @param enabled Whether to auto-configure Cutover: the runtime, the wrapped DataSource, health and endpoint.
 * @param createTables Whether the runtime creates its tables (flag state, flag audit, retry entries) in the
 *     source database at start-up where they are missing. Off by default: create them with your schema tool
 *     from the scripts in the cutover-feature-flags and cutover-retry-queue jars.
 * @param tablePrefix Prefix of the runtime's table names: up to 48 letters, digits or underscores, or empty.
 *     Default cutover_.
 * @param logValues Whether Cutover's log lines, the exceptions it creates and the texts it stores (the retry
 *     table's last_error, verifier reports, mismatch events) show row values. Off by default: they name keys,
 *     tables, columns, SQL states and error classes only. Turn it on only for debugging on data that is not
 *     personal.
 * @param source The old database.
 * @param target The new database.
 * @param dataSource The application's primary DataSource.
 * @param flags The flags: each migration's stage and read percentages, shared by every instance.
 * @param retryQueue The retry-queue of copies that could not be made at once.
 * @param rowCopier How a written key's row is copied to the other side.
 * @param readRouter The read routers of every migration.
 * @param verifier The verifier of every migration.
 * @param backfill The pacing of every migration's backfill.
 * @param health The thresholds of the cutover health indicator.
 */
@ConfigurationProperties(CutoverProperties.PREFIX)
public record CutoverProperties(
        @DefaultValue("true") boolean enabled,
        boolean createTables,
        String tablePrefix,
        boolean logValues,
        @DefaultValue Database source,
        @DefaultValue Database target,
        @DefaultValue WrappedDataSource dataSource,
        @DefaultValue Flags flags,
        @DefaultValue RetryQueue retryQueue,
        @DefaultValue RowCopier rowCopier,
        @DefaultValue ReadRouter readRouter,
        @DefaultValue Verifier verifier,
        @DefaultValue Backfill backfill,
        @DefaultValue Health health) {
    /** The prefix of every property. */
    public static final String PREFIX = "cutover";

    /**
     * One side's database: either a HikariCP pool this starter builds and closes (url, username,
     * password, driver-class-name, and hikari.* as for spring.datasource.hikari.*), or a DataSource
     * bean of the application named by bean-name.
     *
     * @param beanName Name of a DataSource bean to use instead of a pool built from these properties.
     * @param url JDBC URL of the database.
     * @param username Login user of the database.
     * @param password Login password of the database.
     * @param driverClassName JDBC driver class; detected from the URL when unset.
     * @param sqlInit Schema and data scripts run on this side's own DataSource at start-up, never through
     *     the wrapper; the options of spring.sql.init.* (mode, schema-locations, data-locations, platform,
     *     continue-on-error, separator, encoding, username, password). For the source, when none is set,
     *     the application's spring.sql.init.* runs there instead.
     */
    public record Database(
            String beanName,
            String url,
            String username,
            String password,
            String driverClassName,
            @NestedConfigurationProperty SqlInitializationProperties sqlInit) {
        /** Leaves the password out, so that logging these properties does not leak it. */
        @Override
        public String toString() {
            return "Database[beanName=" + beanName + ", url=" + url + ", username=" + username
                    + ", password=" + (password == null ? null : "******") + ", driverClassName=" + driverClassName
                    + ", sqlInit=" + sqlInit + "]";
        }
    }

    /**
     * The application's primary DataSource, which becomes a CutoverDataSource over source and target.
     *
     * @param enabled Whether the primary DataSource bean is a CutoverDataSource.
     * @param migrations The migrations whose tables the primary DataSource mirrors, each table by the migration
     *     that maps it, under that migration's stage; default every registered migration. Writes are refused
     *     while these migrations disagree about the primary, so move their primary together
     *     (MigrationFlags.moveTogether, or the cutover endpoint's POST /actuator/cutover); name fewer to leave a
     *     migration's primary free to move alone.
     * @param passThrough Tables written on the primary side only and never mirrored (sessions, caches, tables
     *     left behind).
     * @param crossDialectReads Whether it routes reads to the target (and shadows them) also when source and
     *     target speak different SQL dialects. Off by default: the application's SQL (Hibernate's included) is
     *     written for the source's dialect, so across engines its reads stay on the primary. Turn it on only
     *     when every read the application sends means the same on both engines.
     */
    public record WrappedDataSource(
            @DefaultValue("true") boolean enabled,
            @DefaultValue List<String> migrations,
            @DefaultValue List<String> passThrough,
            boolean crossDialectReads) {
        /** Copies the lists, which stay as bound whatever their source does next. */
        public WrappedDataSource {
            migrations = migrations == null ? List.of() : List.copyOf(migrations);
            passThrough = passThrough == null ? List.of() : List.copyOf(passThrough);
        }
    }

    /**
     * Options of the flags; unset ones keep MigrationFlags' defaults.
     *
     * @param refreshInterval Time between two loads of the flag table, 10 ms to 1 h. Default 500 ms.
     * @param loadTimeout Longest wait for one load of the flag table, 10 ms to 1 min. Default 1 s.
     * @param startTimeout Longest start-up waits for the first load of the flag table, 10 ms to 1 min. Default 5 s.
     * @param handoverPause How long writes pause after a primary move; longer than refresh-interval. Default
     *     refresh-interval + 1 s.
     * @param maxHandoverWait How long a write waits for a handover before it fails, 1 ms to 10 min. Default 30 s.
     * @param startDuringStoreOutage Whether start-up may proceed without a first load of the flag table: only
     *     safe when every migration is SOURCE_ONLY. Default false.
     */
    public record Flags(
            Duration refreshInterval,
            Duration loadTimeout,
            Duration startTimeout,
            Duration handoverPause,
            Duration maxHandoverWait,
            Boolean startDuringStoreOutage) {
    }

    /**
     * Options of the retry-queue; unset ones keep RetryQueueConfig's defaults.
     *
     * @param workerCount Worker threads of this instance, 1 to 256. Default 2.
     * @param batchSize Entries per claim, 1 to 10,000. Default 50.
     * @param maxAttempts Attempts before an entry is parked, 1 to 1,000. Default 10.
     * @param leaseDuration How long a claimed entry is leased, 100 ms to 1 h; well above the longest replay.
     *     Default 30 s.
     * @param pollInterval How long an idle worker waits before it claims again, 1 ms to 1 min. Default 500 ms.
     * @param initialBackoff Backoff after the first failed attempt, 1 ms to 1 h. Default 1 s.
     * @param backoffMultiplier Factor of each further backoff, 1.0 to 10.0. Default 2.0.
     * @param backoffJitter Random share of each backoff, 0.0 to below 1.0. Default 0.5.
     * @param maxBackoff Longest backoff, initial-backoff to 1 day. Default 5 min.
     * @param replaysPerSecond Most replays per second of this instance, 0 for no limit. Default 0.
     * @param shutdownTimeout How long stopping waits for the workers' replays in progress, 0 to 10 min.
     *     Default 10 s.
     * @param instanceId This instance's name in leases, 1 to 128 characters, unique per instance. Default
     *     random.
     */
    public record RetryQueue(
            Integer workerCount,
            Integer batchSize,
            Integer maxAttempts,
            Duration leaseDuration,
            Duration pollInterval,
            Duration initialBackoff,
            Double backoffMultiplier,
            Double backoffJitter,
            Duration maxBackoff,
            Integer replaysPerSecond,
            Duration shutdownTimeout,
            String instanceId) {
    }

    /**
     * Options of every migration's row copier; unset ones keep RowCopier's defaults.
     *
     * @param statementTimeout Longest statement or row-lock wait of a copy, 1 s to 10 min in whole seconds.
     *     Default 5 s.
     * @param copyBudget Longest a write call waits for its mirror before the key is queued instead, 100 ms to
     *     10 min. Default statement-timeout.
     */
    public record RowCopier(Duration statementTimeout, Duration copyBudget) {
    }

    /**
     * Options of every migration's read router; unset ones keep ReadRouterConfig's defaults.
     *
     * @param requireRoutingKey Whether a read without a routing key fails. Default false.
     * @param targetTimeout Longest a target read with a source fallback may take. Default 2 s.
     * @param targetConcurrency Most time-limited target reads in flight, 1 to 10,000; more fall back.
     *     Default 32.
     * @param shadowThreads Threads of the shadow reads, 1 to 1,000. Default 2.
     * @param shadowQueueCapacity Shadow reads waiting for a thread, 1 to 1,000,000. Default 1,000.
     * @param revealValues Whether mismatch events and DEBUG logs carry values instead of ***. Default false.
     * @param autoRollback Whether the router sets the target read percentage to 0 by itself when errors or
     *     mismatches cross their thresholds. Default false.
     * @param autoRollbackWindow Reads per automatic-rollback window, 1 to 1,000,000. Default 1,000.
     * @param autoRollbackMaxErrorPercent Target read error percentage that rolls back, 0 to 100. Default 10.
     * @param autoRollbackMaxMismatchPercent Shadow mismatch percentage that rolls back, 0 to 100. Default 1.
     */
    public record ReadRouter(
            Boolean requireRoutingKey,
            Duration targetTimeout,
            Integer targetConcurrency,
            Integer shadowThreads,
            Integer shadowQueueCapacity,
            Boolean revealValues,
            Boolean autoRollback,
            Integer autoRollbackWindow,
            Double autoRollbackMaxErrorPercent,
            Double autoRollbackMaxMismatchPercent) {
    }

    /**
     * Options of every migration's verifier; unset ones keep VerifierConfig's defaults.
     *
     * @param chunkSize Rows per compared chunk, 1 to 100,000. Default 10,000.
     * @param rowsPerSecond Most source rows compared per second, 0 for no limit. Default 0.
     * @param pauseBetweenChunks Pause between chunks, 0 to 1 min. Default 0.
     * @param recheckDelay Wait before a differing key is compared again, 0 to 10 min. Default 500 ms.
     * @param recheckAttempts Re-checks of a differing key, 1 to 10. Default 2.
     * @param statementTimeout Longest statement of a run, 1 s to 1 h. Default 60 s.
     * @param maxListedDifferences Most differing keys listed per table in a report, 0 to 1,000,000. Default
     *     10,000.
     */
    public record Verifier(
            Integer chunkSize,
            Long rowsPerSecond,
            Duration pauseBetweenChunks,
            Duration recheckDelay,
            Integer recheckAttempts,
            Duration statementTimeout,
            Integer maxListedDifferences) {
    }

    /**
     * The pacing of every migration's backfill (migration.backfill(), and the cutover endpoint's
     * backfill operation); unset options keep BackfillConfig's defaults.
     *
     * @param rowsPerSecond Most source rows copied per second on average, 0 to 10,000,000; 0 for no limit.
     *     Default 0.
     * @param chunkTime Time each chunk should take, from its locking read to its commit, 10 ms to 1 min; the
     *     chunk size adapts to it, and a write of a row in the chunk may wait about that long. Default 500 ms.
     * @param initialChunkSize Rows of the first chunk, between min-chunk-size and max-chunk-size. Default 1,000
     *     (or the nearer bound when that lies outside them).
     * @param minChunkSize Fewest rows a chunk asks for, at least 1. Default 10.
     * @param maxChunkSize Most rows a chunk asks for, at most 100,000. Default 10,000.
     * @param backOffLatency Average copy time of the migration's dual writes above which the backfill backs off
     *     whatever their baseline, 0 (never) to 1 min. Default 100 ms.
     * @param backOffLatencyRatio How many times their baseline (their time without the backfill) the
     *     migration's dual-write copies may average, and their slowest percent take, before the backfill backs
     *     off, 0 (never) or 1.05 to 10. Default 1.25.
     * @param backOffBaselineWindow How long the backfill copies nothing to measure the baseline copy time, 50 ms
     *     to 1 min. Default 500 ms.
     * @param backOffBaselineRefresh How old the baseline may grow, while the application writes, before it is
     *     measured again, 1 s to 1 h. Default 30 s.
     * @param backOffMinDutyCycle Least share of its time the backfill spends copying while it backs off, 0.01
     *     to 1. Default 0.05.
     * @param statementTimeout Longest a chunk's statement, row-lock waits included, may take, 1 s to 1 h in
     *     whole seconds. Default 30 s.
     * @param maxChunkAttempts How many times a chunk is tried before the backfill fails, 1 to 1,000. Default 10.
     * @param progressLogInterval Least time between two INFO progress lines, 1 s to 1 h. Default 10 s.
     */
    public record Backfill(
            Long rowsPerSecond,
            Duration chunkTime,
            Integer initialChunkSize,
            Integer minChunkSize,
            Integer maxChunkSize,
            Duration backOffLatency,
            Double backOffLatencyRatio,
            Duration backOffBaselineWindow,
            Duration backOffBaselineRefresh,
            Double backOffMinDutyCycle,
            Duration statementTimeout,
            Integer maxChunkAttempts,
            Duration progressLogInterval) {
    }

    /**
     * Thresholds of the health indicator. Past one (or with a breaker open) it reports the
     * degraded-status; with the flag store unreachable it reports DOWN.
     *
     * @param maxQueueDepth Pending copies of one migration above which it is degraded.
     * @param maxOldestAge Age of a migration's oldest pending copy (how far the other side lags) above which it
     *     is degraded.
     * @param maxParked Parked copies of one migration above which it is degraded; parked copies need an
     *     operator.
     * @param degradedStatus Status reported when a threshold is crossed or a breaker is open. Spring Boot leaves
     *     a status it does not order out of the aggregate, so the default DEGRADED shows in the cutover component
     *     without failing the application's health; set DOWN or OUT_OF_SERVICE to fail it, or add DEGRADED to
     *     management.endpoint.health.status.order.
     */
    public record Health(
            @DefaultValue("10000") long maxQueueDepth,
            @DefaultValue("5m") Duration maxOldestAge,
            long maxParked,
            @DefaultValue("DEGRADED") String degradedStatus) {
    }
}
