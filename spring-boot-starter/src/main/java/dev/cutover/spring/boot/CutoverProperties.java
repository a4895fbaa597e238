package dev.cutover.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.sql.init.SqlInitializationProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * The {@code cutover.*} properties. Options left unset keep the runtime's defaults (README,
 * "Configuration reference"), so the defaults live in one place; the ones this starter owns
 * ({@code create-tables}, {@code data-source.*}, {@code health.*}) have their defaults here.
 */
@ConfigurationProperties(CutoverProperties.PREFIX)
public class CutoverProperties {
    /** The prefix of every property. */
    public static final String PREFIX = "cutover";

    /** Whether to auto-configure Cutover: the runtime, the wrapped DataSource, health and endpoint. */
    private boolean enabled = true;

    /**
     * Whether the runtime creates its tables (flag state, flag audit, retry entries) in the source
     * database at start-up where they are missing. Off by default: create them with your schema tool
     * from the scripts in the cutover-feature-flags and cutover-retry-queue jars.
     */
    private boolean createTables = false;

    /** Prefix of the runtime's table names: up to 48 letters, digits or underscores, or empty. Default cutover_. */
    private String tablePrefix;

    /**
     * Whether Cutover's log lines, the exceptions it creates and the texts it stores (the retry
     * table's last_error, verifier reports, mismatch events) show row values. Off by default: they
     * name keys, tables, columns, SQL states and error classes only. Turn it on only for debugging
     * on data that is not personal.
     */
    private boolean logValues = false;

    /** The old database. */
    private final Database source = new Database();

    /** The new database. */
    private final Database target = new Database();

    /** The application's primary DataSource. */
    private final WrappedDataSource dataSource = new WrappedDataSource();

    /** The flags: each migration's stage and read percentages, shared by every instance. */
    private final Flags flags = new Flags();

    /** The retry-queue of copies that could not be made at once. */
    private final RetryQueue retryQueue = new RetryQueue();

    /** How a written key's row is copied to the other side. */
    private final RowCopier rowCopier = new RowCopier();

    /** The read routers of every migration. */
    private final ReadRouter readRouter = new ReadRouter();

    /** The verifier of every migration. */
    private final Verifier verifier = new Verifier();

    /** The pacing of every migration's backfill. */
    private final Backfill backfill = new Backfill();

    /** The thresholds of the cutover health indicator. */
    private final Health health = new Health();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isCreateTables() {
        return createTables;
    }

    public void setCreateTables(boolean createTables) {
        this.createTables = createTables;
    }

    public String getTablePrefix() {
        return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    public boolean isLogValues() {
        return logValues;
    }

    public void setLogValues(boolean logValues) {
        this.logValues = logValues;
    }


    public Database getSource() {
        return source;
    }

    public Database getTarget() {
        return target;
    }

    public WrappedDataSource getDataSource() {
        return dataSource;
    }

    public Flags getFlags() {
        return flags;
    }

    public RetryQueue getRetryQueue() {
        return retryQueue;
    }

    public RowCopier getRowCopier() {
        return rowCopier;
    }

    public ReadRouter getReadRouter() {
        return readRouter;
    }

    public Verifier getVerifier() {
        return verifier;
    }

    public Backfill getBackfill() {
        return backfill;
    }

    public Health getHealth() {
        return health;
    }

    /**
     * One side's database: either a HikariCP pool this starter builds and closes (url, username,
     * password, driver-class-name, and hikari.* as for spring.datasource.hikari.*), or a DataSource
     * bean of the application named by bean-name.
     */
    public static class Database {
        /** Name of a DataSource bean to use instead of a pool built from these properties. */
        private String beanName;

        /** JDBC URL of the database. */
        private String url;

        /** Login user of the database. */
        private String username;

        /** Login password of the database. */
        private String password;

        /** JDBC driver class; detected from the URL when unset. */
        private String driverClassName;

        /**
         * Schema and data scripts run on this side's own DataSource at start-up, never through the
         * wrapper; the options of spring.sql.init.* (mode, schema-locations, data-locations, platform,
         * continue-on-error, separator, encoding, username, password). For the source, when none is
         * set, the application's spring.sql.init.* runs there instead.
         */
        @NestedConfigurationProperty
        private final SqlInitializationProperties sqlInit = new SqlInitializationProperties();

        public String getBeanName() {
            return beanName;
        }

        public void setBeanName(String beanName) {
            this.beanName = beanName;
        }

        public String getUrl() {
            return url;
        }

        public void setUrl(String url) {
            this.url = url;
        }

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        public String getDriverClassName() {
            return driverClassName;
        }

        public void setDriverClassName(String driverClassName) {
            this.driverClassName = driverClassName;
        }

        public SqlInitializationProperties getSqlInit() {
            return sqlInit;
        }
    }

    /** The application's primary DataSource, which becomes a CutoverDataSource over source and target. */
    public static class WrappedDataSource {
        /** Whether the primary DataSource bean is a CutoverDataSource. */
        private boolean enabled = true;

        /**
         * The migrations whose tables the primary DataSource mirrors, each table by the migration that
         * maps it, under that migration's stage; default every registered migration. Writes are
         * refused while these migrations disagree about the primary, so move their primary together
         * (MigrationFlags.moveTogether, or the cutover endpoint's POST /actuator/cutover); name fewer
         * to leave a migration's primary free to move alone.
         */
        private List<String> migrations = new ArrayList<>();

        /** Tables written on the primary side only and never mirrored (sessions, caches, tables left behind). */
        private List<String> passThrough = new ArrayList<>();

        /**
         * Whether it routes reads to the target (and shadows them) also when source and target speak
         * different SQL dialects. Off by default: the application's SQL (Hibernate's included) is
         * written for the source's dialect, so across engines its reads stay on the primary. Turn it on
         * only when every read the application sends means the same on both engines.
         */
        private boolean crossDialectReads = false;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public List<String> getMigrations() {
            return migrations;
        }

        public void setMigrations(List<String> migrations) {
            this.migrations = migrations;
        }

        public List<String> getPassThrough() {
            return passThrough;
        }

        public void setPassThrough(List<String> passThrough) {
            this.passThrough = passThrough;
        }

        public boolean isCrossDialectReads() {
            return crossDialectReads;
        }

        public void setCrossDialectReads(boolean crossDialectReads) {
            this.crossDialectReads = crossDialectReads;
        }
    }

    /** Options of the flags; unset ones keep MigrationFlags' defaults. */
    public static class Flags {
        /** Time between two loads of the flag table, 10 ms to 1 h. Default 500 ms. */
        private Duration refreshInterval;

        /** Longest wait for one load of the flag table, 10 ms to 1 min. Default 1 s. */
        private Duration loadTimeout;

        /** Longest start-up waits for the first load of the flag table, 10 ms to 1 min. Default 5 s. */
        private Duration startTimeout;

        /** How long writes pause after a primary move; longer than refresh-interval. Default refresh-interval + 1 s. */
        private Duration handoverPause;

        /** How long a write waits for a handover before it fails, 1 ms to 10 min. Default 30 s. */
        private Duration maxHandoverWait;

        /** Whether start-up may proceed without a first load of the flag table: only safe when every migration is SOURCE_ONLY. Default false. */
        private Boolean startDuringStoreOutage;

        public Duration getRefreshInterval() {
            return refreshInterval;
        }

        public void setRefreshInterval(Duration refreshInterval) {
            this.refreshInterval = refreshInterval;
        }

        public Duration getLoadTimeout() {
            return loadTimeout;
        }

        public void setLoadTimeout(Duration loadTimeout) {
            this.loadTimeout = loadTimeout;
        }

        public Duration getStartTimeout() {
            return startTimeout;
        }

        public void setStartTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
        }

        public Duration getHandoverPause() {
            return handoverPause;
        }

        public void setHandoverPause(Duration handoverPause) {
            this.handoverPause = handoverPause;
        }

        public Duration getMaxHandoverWait() {
            return maxHandoverWait;
        }

        public void setMaxHandoverWait(Duration maxHandoverWait) {
            this.maxHandoverWait = maxHandoverWait;
        }

        public Boolean getStartDuringStoreOutage() {
            return startDuringStoreOutage;
        }

        public void setStartDuringStoreOutage(Boolean startDuringStoreOutage) {
            this.startDuringStoreOutage = startDuringStoreOutage;
        }
    }

    /** Options of the retry-queue; unset ones keep RetryQueueConfig's defaults. */
    public static class RetryQueue {
        /** Worker threads of this instance, 1 to 256. Default 2. */
        private Integer workerCount;

        /** Entries per claim, 1 to 10,000. Default 50. */
        private Integer batchSize;

        /** Attempts before an entry is parked, 1 to 1,000. Default 10. */
        private Integer maxAttempts;

        /** How long a claimed entry is leased, 100 ms to 1 h; well above the longest replay. Default 30 s. */
        private Duration leaseDuration;

        /** How long an idle worker waits before it claims again, 1 ms to 1 min. Default 500 ms. */
        private Duration pollInterval;

        /** Backoff after the first failed attempt, 1 ms to 1 h. Default 1 s. */
        private Duration initialBackoff;

        /** Factor of each further backoff, 1.0 to 10.0. Default 2.0. */
        private Double backoffMultiplier;

        /** Random share of each backoff, 0.0 to below 1.0. Default 0.5. */
        private Double backoffJitter;

        /** Longest backoff, initial-backoff to 1 day. Default 5 min. */
        private Duration maxBackoff;

        /** Most replays per second of this instance, 0 for no limit. Default 0. */
        private Integer replaysPerSecond;

        /** How long stopping waits for the workers' replays in progress, 0 to 10 min. Default 10 s. */
        private Duration shutdownTimeout;

        /** This instance's name in leases, 1 to 128 characters, unique per instance. Default random. */
        private String instanceId;

        public Integer getWorkerCount() {
            return workerCount;
        }

        public void setWorkerCount(Integer workerCount) {
            this.workerCount = workerCount;
        }

        public Integer getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(Integer batchSize) {
            this.batchSize = batchSize;
        }

        public Integer getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getLeaseDuration() {
            return leaseDuration;
        }

        public void setLeaseDuration(Duration leaseDuration) {
            this.leaseDuration = leaseDuration;
        }

        public Duration getPollInterval() {
            return pollInterval;
        }

        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
        }

        public Duration getInitialBackoff() {
            return initialBackoff;
        }

        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        public Double getBackoffMultiplier() {
            return backoffMultiplier;
        }

        public void setBackoffMultiplier(Double backoffMultiplier) {
            this.backoffMultiplier = backoffMultiplier;
        }

        public Double getBackoffJitter() {
            return backoffJitter;
        }

        public void setBackoffJitter(Double backoffJitter) {
            this.backoffJitter = backoffJitter;
        }

        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }

        public Integer getReplaysPerSecond() {
            return replaysPerSecond;
        }

        public void setReplaysPerSecond(Integer replaysPerSecond) {
            this.replaysPerSecond = replaysPerSecond;
        }

        public Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }

        public String getInstanceId() {
            return instanceId;
        }

        public void setInstanceId(String instanceId) {
            this.instanceId = instanceId;
        }
    }

    /** Options of every migration's row copier; unset ones keep KeyResync's defaults. */
    public static class RowCopier {
        /** Longest statement or row-lock wait of a copy, 1 s to 10 min in whole seconds. Default 5 s. */
        private Duration statementTimeout;

        /** Longest a write call waits for its mirror before the key is queued instead, 100 ms to 10 min. Default statement-timeout. */
        private Duration copyBudget;

        public Duration getStatementTimeout() {
            return statementTimeout;
        }

        public void setStatementTimeout(Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
        }

        public Duration getCopyBudget() {
            return copyBudget;
        }

        public void setCopyBudget(Duration copyBudget) {
            this.copyBudget = copyBudget;
        }
    }

    /** Options of every migration's read router; unset ones keep ReadRouterConfig's defaults. */
    public static class ReadRouter {
        /** Whether a read without a routing key fails. Default false. */
        private Boolean requireRoutingKey;

        /** Longest a target read with a source fallback may take. Default 2 s. */
        private Duration targetTimeout;

        /** Most time-limited target reads in flight, 1 to 10,000; more fall back. Default 32. */
        private Integer targetConcurrency;

        /** Threads of the shadow reads, 1 to 1,000. Default 2. */
        private Integer shadowThreads;

        /** Shadow reads waiting for a thread, 1 to 1,000,000. Default 1,000. */
        private Integer shadowQueueCapacity;

        /** Whether mismatch events and DEBUG logs carry values instead of ***. Default false. */
        private Boolean revealValues;

        /** Whether the router sets the target read percentage to 0 by itself when errors or mismatches cross their thresholds. Default false. */
        private Boolean autoRollback;

        /** Reads per automatic-rollback window, 1 to 1,000,000. Default 1,000. */
        private Integer autoRollbackWindow;

        /** Target read error percentage that rolls back, 0 to 100. Default 10. */
        private Double autoRollbackMaxErrorPercent;

        /** Shadow mismatch percentage that rolls back, 0 to 100. Default 1. */
        private Double autoRollbackMaxMismatchPercent;

        public Boolean getRequireRoutingKey() {
            return requireRoutingKey;
        }

        public void setRequireRoutingKey(Boolean requireRoutingKey) {
            this.requireRoutingKey = requireRoutingKey;
        }

        public Duration getTargetTimeout() {
            return targetTimeout;
        }

        public void setTargetTimeout(Duration targetTimeout) {
            this.targetTimeout = targetTimeout;
        }

        public Integer getTargetConcurrency() {
            return targetConcurrency;
        }

        public void setTargetConcurrency(Integer targetConcurrency) {
            this.targetConcurrency = targetConcurrency;
        }

        public Integer getShadowThreads() {
            return shadowThreads;
        }

        public void setShadowThreads(Integer shadowThreads) {
            this.shadowThreads = shadowThreads;
        }

        public Integer getShadowQueueCapacity() {
            return shadowQueueCapacity;
        }

        public void setShadowQueueCapacity(Integer shadowQueueCapacity) {
            this.shadowQueueCapacity = shadowQueueCapacity;
        }

        public Boolean getRevealValues() {
            return revealValues;
        }

        public void setRevealValues(Boolean revealValues) {
            this.revealValues = revealValues;
        }

        public Boolean getAutoRollback() {
            return autoRollback;
        }

        public void setAutoRollback(Boolean autoRollback) {
            this.autoRollback = autoRollback;
        }

        public Integer getAutoRollbackWindow() {
            return autoRollbackWindow;
        }

        public void setAutoRollbackWindow(Integer autoRollbackWindow) {
            this.autoRollbackWindow = autoRollbackWindow;
        }

        public Double getAutoRollbackMaxErrorPercent() {
            return autoRollbackMaxErrorPercent;
        }

        public void setAutoRollbackMaxErrorPercent(Double autoRollbackMaxErrorPercent) {
            this.autoRollbackMaxErrorPercent = autoRollbackMaxErrorPercent;
        }

        public Double getAutoRollbackMaxMismatchPercent() {
            return autoRollbackMaxMismatchPercent;
        }

        public void setAutoRollbackMaxMismatchPercent(Double autoRollbackMaxMismatchPercent) {
            this.autoRollbackMaxMismatchPercent = autoRollbackMaxMismatchPercent;
        }
    }

    /** Options of every migration's verifier; unset ones keep VerifierConfig's defaults. */
    public static class Verifier {
        /** Rows per compared chunk, 1 to 100,000. Default 10,000. */
        private Integer chunkSize;

        /** Most source rows compared per second, 0 for no limit. Default 0. */
        private Long rowsPerSecond;

        /** Pause between chunks, 0 to 1 min. Default 0. */
        private Duration pauseBetweenChunks;

        /** Wait before a differing key is compared again, 0 to 10 min. Default 500 ms. */
        private Duration recheckDelay;

        /** Re-checks of a differing key, 1 to 10. Default 2. */
        private Integer recheckAttempts;

        /** Longest statement of a run, 1 s to 1 h. Default 60 s. */
        private Duration statementTimeout;

        /** Most differing keys listed per table in a report, 0 to 1,000,000. Default 10,000. */
        private Integer maxListedDifferences;

        public Integer getChunkSize() {
            return chunkSize;
        }

        public void setChunkSize(Integer chunkSize) {
            this.chunkSize = chunkSize;
        }

        public Long getRowsPerSecond() {
            return rowsPerSecond;
        }

        public void setRowsPerSecond(Long rowsPerSecond) {
            this.rowsPerSecond = rowsPerSecond;
        }

        public Duration getPauseBetweenChunks() {
            return pauseBetweenChunks;
        }

        public void setPauseBetweenChunks(Duration pauseBetweenChunks) {
            this.pauseBetweenChunks = pauseBetweenChunks;
        }

        public Duration getRecheckDelay() {
            return recheckDelay;
        }

        public void setRecheckDelay(Duration recheckDelay) {
            this.recheckDelay = recheckDelay;
        }

        public Integer getRecheckAttempts() {
            return recheckAttempts;
        }

        public void setRecheckAttempts(Integer recheckAttempts) {
            this.recheckAttempts = recheckAttempts;
        }

        public Duration getStatementTimeout() {
            return statementTimeout;
        }

        public void setStatementTimeout(Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
        }

        public Integer getMaxListedDifferences() {
            return maxListedDifferences;
        }

        public void setMaxListedDifferences(Integer maxListedDifferences) {
            this.maxListedDifferences = maxListedDifferences;
        }
    }

    /**
     * The pacing of every migration's backfill (migration.backfill(), and the cutover endpoint's
     * backfill operation); unset options keep BackfillConfig's defaults.
     */
    public static class Backfill {
        /** Most source rows copied per second on average, 0 to 10,000,000; 0 for no limit. Default 0. */
        private Long rowsPerSecond;

        /**
         * Time each chunk should take, from its locking read to its commit, 10 ms to 1 min; the chunk size
         * adapts to it, and a write of a row in the chunk may wait about that long. Default 500 ms.
         */
        private Duration chunkTime;

        /** Rows of the first chunk, between min-chunk-size and max-chunk-size. Default 1,000 (or the nearer bound when that lies outside them). */
        private Integer initialChunkSize;

        /** Fewest rows a chunk asks for, at least 1. Default 10. */
        private Integer minChunkSize;

        /** Most rows a chunk asks for, at most 100,000. Default 10,000. */
        private Integer maxChunkSize;

        /** Average copy time of the migration's dual writes above which the backfill backs off whatever their baseline, 0 (never) to 1 min. Default 100 ms. */
        private Duration backOffLatency;

        /**
         * How many times their baseline (their time without the backfill) the migration's dual-write copies may
         * average, and their slowest percent take, before the backfill backs off, 0 (never) or 1.05 to 10. Default 1.25.
         */
        private Double backOffLatencyRatio;

        /** How long the backfill copies nothing to measure the baseline copy time, 50 ms to 1 min. Default 500 ms. */
        private Duration backOffBaselineWindow;

        /** How old the baseline may grow, while the application writes, before it is measured again, 1 s to 1 h. Default 30 s. */
        private Duration backOffBaselineRefresh;

        /** Least share of its time the backfill spends copying while it backs off, 0.01 to 1. Default 0.05. */
        private Double backOffMinDutyCycle;

        /** Longest a chunk's statement, row-lock waits included, may take, 1 s to 1 h in whole seconds. Default 30 s. */
        private Duration statementTimeout;

        /** How many times a chunk is tried before the backfill fails, 1 to 1,000. Default 10. */
        private Integer maxChunkAttempts;

        /** Least time between two INFO progress lines, 1 s to 1 h. Default 10 s. */
        private Duration progressLogInterval;

        public Long getRowsPerSecond() {
            return rowsPerSecond;
        }

        public void setRowsPerSecond(Long rowsPerSecond) {
            this.rowsPerSecond = rowsPerSecond;
        }

        public Duration getChunkTime() {
            return chunkTime;
        }

        public void setChunkTime(Duration chunkTime) {
            this.chunkTime = chunkTime;
        }

        public Integer getInitialChunkSize() {
            return initialChunkSize;
        }

        public void setInitialChunkSize(Integer initialChunkSize) {
            this.initialChunkSize = initialChunkSize;
        }

        public Integer getMinChunkSize() {
            return minChunkSize;
        }

        public void setMinChunkSize(Integer minChunkSize) {
            this.minChunkSize = minChunkSize;
        }

        public Integer getMaxChunkSize() {
            return maxChunkSize;
        }

        public void setMaxChunkSize(Integer maxChunkSize) {
            this.maxChunkSize = maxChunkSize;
        }

        public Duration getBackOffLatency() {
            return backOffLatency;
        }

        public void setBackOffLatency(Duration backOffLatency) {
            this.backOffLatency = backOffLatency;
        }

        public Double getBackOffLatencyRatio() {
            return backOffLatencyRatio;
        }

        public void setBackOffLatencyRatio(Double backOffLatencyRatio) {
            this.backOffLatencyRatio = backOffLatencyRatio;
        }

        public Duration getBackOffBaselineWindow() {
            return backOffBaselineWindow;
        }

        public void setBackOffBaselineWindow(Duration backOffBaselineWindow) {
            this.backOffBaselineWindow = backOffBaselineWindow;
        }

        public Duration getBackOffBaselineRefresh() {
            return backOffBaselineRefresh;
        }

        public void setBackOffBaselineRefresh(Duration backOffBaselineRefresh) {
            this.backOffBaselineRefresh = backOffBaselineRefresh;
        }

        public Double getBackOffMinDutyCycle() {
            return backOffMinDutyCycle;
        }

        public void setBackOffMinDutyCycle(Double backOffMinDutyCycle) {
            this.backOffMinDutyCycle = backOffMinDutyCycle;
        }

        public Duration getStatementTimeout() {
            return statementTimeout;
        }

        public void setStatementTimeout(Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
        }

        public Integer getMaxChunkAttempts() {
            return maxChunkAttempts;
        }

        public void setMaxChunkAttempts(Integer maxChunkAttempts) {
            this.maxChunkAttempts = maxChunkAttempts;
        }

        public Duration getProgressLogInterval() {
            return progressLogInterval;
        }

        public void setProgressLogInterval(Duration progressLogInterval) {
            this.progressLogInterval = progressLogInterval;
        }
    }

    /**
     * Thresholds of the health indicator. Past one (or with a breaker open) it reports the
     * degraded-status; with the flag store unreachable it reports DOWN.
     */
    public static class Health {
        /** Pending copies of one migration above which it is degraded. */
        private long maxQueueDepth = 10_000;

        /** Age of a migration's oldest pending copy (how far the other side lags) above which it is degraded. */
        private Duration maxOldestAge = Duration.ofMinutes(5);

        /** Parked copies of one migration above which it is degraded; parked copies need an operator. */
        private long maxParked = 0;

        /**
         * Status reported when a threshold is crossed or a breaker is open. Spring Boot leaves a status
         * it does not order out of the aggregate, so the default DEGRADED shows in the cutover
         * component without failing the application's health; set DOWN or OUT_OF_SERVICE to fail it,
         * or add DEGRADED to management.endpoint.health.status.order.
         */
        private String degradedStatus = "DEGRADED";

        public long getMaxQueueDepth() {
            return maxQueueDepth;
        }

        public void setMaxQueueDepth(long maxQueueDepth) {
            this.maxQueueDepth = maxQueueDepth;
        }

        public Duration getMaxOldestAge() {
            return maxOldestAge;
        }

        public void setMaxOldestAge(Duration maxOldestAge) {
            this.maxOldestAge = maxOldestAge;
        }

        public long getMaxParked() {
            return maxParked;
        }

        public void setMaxParked(long maxParked) {
            this.maxParked = maxParked;
        }

        public String getDegradedStatus() {
            return degradedStatus;
        }

        public void setDegradedStatus(String degradedStatus) {
            this.degradedStatus = degradedStatus;
        }
    }
}
