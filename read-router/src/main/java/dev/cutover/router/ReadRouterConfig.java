package dev.cutover.router;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * How a {@link ReadRouter} protects, shadows and reports reads. Immutable and thread-safe; build with
 * {@link #custom()} or take {@link #ofDefaults()}.
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>allowed</th></tr>
 *   <tr><td>{@code requireRoutingKey}</td><td>false</td><td></td></tr>
 *   <tr><td>{@code targetTimeout}</td><td>2 s</td><td>positive</td></tr>
 *   <tr><td>{@code targetConcurrency}</td><td>32</td><td>1..10,000</td></tr>
 *   <tr><td>{@code circuitBreaker}</td><td>{@link #DEFAULT_CIRCUIT_BREAKER}</td><td>a Resilience4j {@code CircuitBreakerConfig}</td></tr>
 *   <tr><td>{@code shadowThreads}</td><td>2</td><td>1..1,000</td></tr>
 *   <tr><td>{@code shadowQueueCapacity}</td><td>1,000</td><td>1..1,000,000</td></tr>
 *   <tr><td>{@code targetServedComparePercent}</td><td>unset: the flags' shadow percentage</td><td>0..100</td></tr>
 *   <tr><td>{@code revealValues}</td><td>false</td><td></td></tr>
 *   <tr><td>{@code recentMismatchCapacity}</td><td>100</td><td>1..100,000</td></tr>
 *   <tr><td>{@code mismatchRecheckDelay}</td><td>100 ms</td><td>0..1 min; 0 reports at once</td></tr>
 *   <tr><td>{@code mismatchLogInterval}</td><td>1 s</td><td>positive</td></tr>
 *   <tr><td>{@code fallbackLogInterval}</td><td>10 s</td><td>positive</td></tr>
 *   <tr><td>{@code autoRollback}</td><td>false</td><td></td></tr>
 *   <tr><td>{@code autoRollbackWindow}</td><td>1,000 reads</td><td>1..1,000,000</td></tr>
 *   <tr><td>{@code autoRollbackMaxErrorPercent}</td><td>10 %</td><td>0..100</td></tr>
 *   <tr><td>{@code autoRollbackMaxMismatchPercent}</td><td>1 %</td><td>0..100</td></tr>
 * </table>
 */
public final class ReadRouterConfig {
    /**
     * The target breaker's default: a count-based window of the latest 100 target reads, which opens
     * at 50 % failures once it has seen 20, keeps reads off the target for 30 s, then lets 5 probe
     * reads through.
     */
    public static final CircuitBreakerConfig DEFAULT_CIRCUIT_BREAKER = CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(100)
            .minimumNumberOfCalls(20)
            .failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(30))
            .permittedNumberOfCallsInHalfOpenState(5)
            .build();
    private static final ReadRouterConfig DEFAULTS = custom().build();

    private final boolean requireRoutingKey;
    private final Duration targetTimeout;
    private final int targetConcurrency;
    private final CircuitBreakerConfig circuitBreaker;
    private final int shadowThreads;
    private final int shadowQueueCapacity;
    private final Double targetServedComparePercent;
    private final boolean revealValues;
    private final int recentMismatchCapacity;
    private final Duration mismatchRecheckDelay;
    private final Duration mismatchLogInterval;
    private final Duration fallbackLogInterval;
    private final boolean autoRollback;
    private final int autoRollbackWindow;
    private final double autoRollbackMaxErrorPercent;
    private final double autoRollbackMaxMismatchPercent;

    private ReadRouterConfig(Builder b) {
        this.requireRoutingKey = b.requireRoutingKey;
        this.targetTimeout = b.targetTimeout;
        this.targetConcurrency = b.targetConcurrency;
        this.circuitBreaker = b.circuitBreaker;
        this.shadowThreads = b.shadowThreads;
        this.shadowQueueCapacity = b.shadowQueueCapacity;
        this.targetServedComparePercent = b.targetServedComparePercent;
        this.revealValues = b.revealValues;
        this.recentMismatchCapacity = b.recentMismatchCapacity;
        this.mismatchRecheckDelay = b.mismatchRecheckDelay;
        this.mismatchLogInterval = b.mismatchLogInterval;
        this.fallbackLogInterval = b.fallbackLogInterval;
        this.autoRollback = b.autoRollback;
        this.autoRollbackWindow = b.autoRollbackWindow;
        this.autoRollbackMaxErrorPercent = b.autoRollbackMaxErrorPercent;
        this.autoRollbackMaxMismatchPercent = b.autoRollbackMaxMismatchPercent;
    }

    /** @return the defaults listed in the class comment */
    public static ReadRouterConfig ofDefaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * Starts a builder from another configuration's values, to change a few of them.
     *
     * @param base the configuration to copy
     * @return a builder holding the base's values
     */
    public static Builder from(ReadRouterConfig base) {
        Objects.requireNonNull(base, "null base");
        Builder b = new Builder();
        b.requireRoutingKey = base.requireRoutingKey;
        b.targetTimeout = base.targetTimeout;
        b.targetConcurrency = base.targetConcurrency;
        b.circuitBreaker = base.circuitBreaker;
        b.shadowThreads = base.shadowThreads;
        b.shadowQueueCapacity = base.shadowQueueCapacity;
        b.targetServedComparePercent = base.targetServedComparePercent;
        b.revealValues = base.revealValues;
        b.recentMismatchCapacity = base.recentMismatchCapacity;
        b.mismatchRecheckDelay = base.mismatchRecheckDelay;
        b.mismatchLogInterval = base.mismatchLogInterval;
        b.fallbackLogInterval = base.fallbackLogInterval;
        b.autoRollback = base.autoRollback;
        b.autoRollbackWindow = base.autoRollbackWindow;
        b.autoRollbackMaxErrorPercent = base.autoRollbackMaxErrorPercent;
        b.autoRollbackMaxMismatchPercent = base.autoRollbackMaxMismatchPercent;
        return b;
    }

    /** @return whether a read without routing key fails with {@link MissingRoutingKeyException} */
    public boolean requireRoutingKey() {
        return requireRoutingKey;
    }

    /** @return the longest a target read with a source fallback may take before the source answers */
    public Duration targetTimeout() {
        return targetTimeout;
    }

    /** @return the most time-limited target reads in flight at once; beyond that reads fall back */
    public int targetConcurrency() {
        return targetConcurrency;
    }

    /** @return the settings of the breaker that keeps reads off a failing target (errors and timeouts count as failures) */
    public CircuitBreakerConfig circuitBreaker() {
        return circuitBreaker;
    }

    /** @return threads of the router's own shadow executor */
    public int shadowThreads() {
        return shadowThreads;
    }

    /**
     * @return shadow reads that may wait for a shadow thread; together with {@link #shadowThreads()}
     *     the most shadow reads taken on and unfinished at once, beyond half of which back-pressure
     *     shadows fewer reads
     */
    public int shadowQueueCapacity() {
        return shadowQueueCapacity;
    }

    /**
     * @return the percentage of reads answered by the target that are also read from the source and
     *     compared, or empty to use the flags' shadow read percentage as for every other read
     */
    public OptionalDouble targetServedComparePercent() {
        return targetServedComparePercent == null ? OptionalDouble.empty() : OptionalDouble.of(targetServedComparePercent);
    }

    /** @return whether mismatch events, the recent sample and DEBUG logs carry real values instead of masks */
    public boolean revealValues() {
        return revealValues;
    }

    /** @return how many recent mismatches {@link ReadRouter#recentMismatches()} keeps */
    public int recentMismatchCapacity() {
        return recentMismatchCapacity;
    }

    /**
     * @return how long after a shadow comparison differs both sides are read again; only a difference
     *     that is still there is a mismatch. Zero reports the first difference.
     */
    public Duration mismatchRecheckDelay() {
        return mismatchRecheckDelay;
    }

    /** @return the least time between two mismatch log lines; mismatches in between are counted in the next */
    public Duration mismatchLogInterval() {
        return mismatchLogInterval;
    }

    /** @return the least time between two fallback log lines; fallbacks in between are counted in the next */
    public Duration fallbackLogInterval() {
        return fallbackLogInterval;
    }

    /** @return whether the router sets the target read percentage to 0 when a threshold is breached */
    public boolean autoRollback() {
        return autoRollback;
    }

    /** @return how many of the latest target reads, and of the latest comparisons, the rollback rates cover */
    public int autoRollbackWindow() {
        return autoRollbackWindow;
    }

    /** @return the target read error percentage above which the router rolls back */
    public double autoRollbackMaxErrorPercent() {
        return autoRollbackMaxErrorPercent;
    }

    /** @return the mismatch percentage of comparisons above which the router rolls back */
    public double autoRollbackMaxMismatchPercent() {
        return autoRollbackMaxMismatchPercent;
    }

    @Override
    public String toString() {
        return "ReadRouterConfig{requireRoutingKey=" + requireRoutingKey + ", targetTimeout=" + targetTimeout
                + ", targetConcurrency=" + targetConcurrency + ", circuitBreaker=" + circuitBreaker
                + ", shadowThreads=" + shadowThreads + ", shadowQueueCapacity=" + shadowQueueCapacity
                + ", targetServedComparePercent=" + targetServedComparePercent + ", revealValues=" + revealValues
                + ", recentMismatchCapacity=" + recentMismatchCapacity + ", mismatchRecheckDelay=" + mismatchRecheckDelay + ", mismatchLogInterval=" + mismatchLogInterval
                + ", fallbackLogInterval=" + fallbackLogInterval + ", autoRollback=" + autoRollback
                + ", autoRollbackWindow=" + autoRollbackWindow + ", autoRollbackMaxErrorPercent=" + autoRollbackMaxErrorPercent
                + ", autoRollbackMaxMismatchPercent=" + autoRollbackMaxMismatchPercent + "}";
    }

    /** Builds a {@link ReadRouterConfig}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private boolean requireRoutingKey;
        private Duration targetTimeout = Duration.ofSeconds(2);
        private int targetConcurrency = 32;
        private CircuitBreakerConfig circuitBreaker = DEFAULT_CIRCUIT_BREAKER;
        private int shadowThreads = 2;
        private int shadowQueueCapacity = 1_000;
        private Double targetServedComparePercent;
        private boolean revealValues;
        private int recentMismatchCapacity = 100;
        private Duration mismatchRecheckDelay = Duration.ofMillis(100);
        private Duration mismatchLogInterval = Duration.ofSeconds(1);
        private Duration fallbackLogInterval = Duration.ofSeconds(10);
        private boolean autoRollback;
        private int autoRollbackWindow = 1_000;
        private double autoRollbackMaxErrorPercent = 10;
        private double autoRollbackMaxMismatchPercent = 1;

        private Builder() {
        }

        /**
         * Whether every {@link ReadRouter#read} must carry a routing key. Keyless reads are otherwise
         * split at random, so one entity may be read from both sides in turn.
         *
         * @param require default false
         * @return this builder
         */
        public Builder requireRoutingKey(boolean require) {
            this.requireRoutingKey = require;
            return this;
        }

        /**
         * The longest a target read that has a source fallback may take; after it the source answers.
         * Reads answered by a primary target have no time limit beyond the application's own.
         *
         * @param timeout positive; default 2 s
         * @return this builder
         * @throws CutoverConfigurationException if not positive
         */
        public Builder targetTimeout(Duration timeout) {
            this.targetTimeout = Checks.atLeast("targetTimeout", timeout, Duration.ofNanos(1));
            return this;
        }

        /**
         * The most time-limited target reads in flight at once. Each runs on a thread of the
         * router's target executor (no queue, so no read waits for a thread); a read beyond the limit
         * is answered by the source.
         *
         * @param threads 1 to 10,000; default 32
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder targetConcurrency(int threads) {
            this.targetConcurrency = Checks.between("targetConcurrency", threads, 1, 10_000);
            return this;
        }

        /**
         * The settings of the breaker that keeps reads off a failing target. Errors and target
         * timeouts count as failures; while it is open, target-routed reads are answered by the source.
         * Every option of Resilience4j's config applies (a time-based window, slow calls, ...).
         *
         * @param config default {@link #DEFAULT_CIRCUIT_BREAKER}
         * @return this builder
         */
        public Builder circuitBreaker(CircuitBreakerConfig config) {
            this.circuitBreaker = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * Threads of the shadow executor the router creates (unless one is given to
         * {@link ReadRouter.Builder#shadowExecutor}).
         *
         * @param threads 1 to 1,000; default 2
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder shadowThreads(int threads) {
            this.shadowThreads = Checks.between("shadowThreads", threads, 1, 1_000);
            return this;
        }

        /**
         * Shadow reads that may wait for a shadow thread. The router takes on at most
         * {@code shadowThreads + shadowQueueCapacity} shadow reads at once and compares every one of
         * them; once more than half of that is taken on, it shadows a falling share of the reads the
         * flags draw ({@linkplain ReadRouterStats#shadowThrottled() throttled}, with the back-pressure
         * state reported) instead of dropping work it took on. It bounds the memory held by shadow work:
         * each waiting read holds the served answer.
         *
         * @param capacity 1 to 1,000,000; default 1,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder shadowQueueCapacity(int capacity) {
            this.shadowQueueCapacity = Checks.between("shadowQueueCapacity", capacity, 1, 1_000_000);
            return this;
        }

        /**
         * The percentage of reads answered by the target (target read percentage, target canaries, or
         * {@code TARGET_PRIMARY}) that are also read from the source and compared. Unset, the flags'
         * shadow read percentage applies to them as to every read.
         *
         * @param percent 0 to 100
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder targetServedComparePercent(double percent) {
            this.targetServedComparePercent = Checks.between("targetServedComparePercent", percent, 0, 100);
            return this;
        }

        /**
         * Whether mismatch events, the recent-mismatch sample and DEBUG log lines carry the differing
         * values. Off, each non-null value is replaced by {@value Difference#MASK}, because results may
         * hold personal data. Values never appear at INFO or above.
         *
         * @param reveal default false
         * @return this builder
         */
        public Builder revealValues(boolean reveal) {
            this.revealValues = reveal;
            return this;
        }

        /**
         * How many recent mismatches {@link ReadRouter#recentMismatches()} keeps.
         *
         * @param capacity 1 to 100,000; default 100
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder recentMismatchCapacity(int capacity) {
            this.recentMismatchCapacity = Checks.between("recentMismatchCapacity", capacity, 1, 100_000);
            return this;
        }

        /**
         * How long after a shadow comparison finds a difference both sides are read again. A read
         * racing a write sees the source after the write and the target before its mirror copy;
         * read again once the copy has landed, the two agree, and the comparison counts as
         * {@linkplain ReadRouterStats#settled() settled} instead of a mismatch, so that neither the
         * mismatch rate nor the automatic rollback fires on writes in flight. A row whose source
         * answer changed between the two reads is still being written and settles too: shadow reads
         * confirm divergence only on rows at rest, and the verifier covers rows that never rest. The wait runs on a
         * shadow thread, which is why a persistently diverged target also slows shadowing down
         * (back-pressure then shadows fewer reads). A comparison whose recheck would run after the
         * stage stopped writing both sides is {@linkplain ReadRouterStats#abandoned() abandoned}.
         *
         * @param delay 0 to 1 minute; default 100 ms; zero reports every first difference
         * @return this builder
         * @throws CutoverConfigurationException if negative or longer than a minute
         */
        public Builder mismatchRecheckDelay(Duration delay) {
            this.mismatchRecheckDelay = Checks.between("mismatchRecheckDelay", delay, Duration.ZERO, Duration.ofMinutes(1));
            return this;
        }

        /**
         * The least time between two mismatch log lines; each line says how many were left out.
         *
         * @param interval positive; default 1 s
         * @return this builder
         * @throws CutoverConfigurationException if not positive
         */
        public Builder mismatchLogInterval(Duration interval) {
            this.mismatchLogInterval = Checks.atLeast("mismatchLogInterval", interval, Duration.ofNanos(1));
            return this;
        }

        /**
         * The least time between two fallback log lines, so that a burst of fallbacks is logged once
         * with its count.
         *
         * @param interval positive; default 10 s
         * @return this builder
         * @throws CutoverConfigurationException if not positive
         */
        public Builder fallbackLogInterval(Duration interval) {
            this.fallbackLogInterval = Checks.atLeast("fallbackLogInterval", interval, Duration.ofNanos(1));
            return this;
        }

        /**
         * Whether the router sets the target read percentage to 0 (through the flag store, with an
         * audited reason) when the target's read error rate or the mismatch rate exceeds its
         * threshold. Applies in {@code SHIFT_READS} with a target read percentage above 0.
         *
         * @param enabled default false
         * @return this builder
         */
        public Builder autoRollback(boolean enabled) {
            this.autoRollback = enabled;
            return this;
        }

        /**
         * How many of the latest target reads (for the error rate) and of the latest comparisons (for
         * the mismatch rate) the rollback thresholds are measured over. A rate counts once its window
         * is full; after a rollback the windows start empty again.
         *
         * @param reads 1 to 1,000,000; default 1,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder autoRollbackWindow(int reads) {
            this.autoRollbackWindow = Checks.between("autoRollbackWindow", reads, 1, 1_000_000);
            return this;
        }

        /**
         * The target read error percentage (errors and timeouts) above which the router rolls back.
         *
         * @param percent 0 to 100; default 10
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder autoRollbackMaxErrorPercent(double percent) {
            this.autoRollbackMaxErrorPercent = Checks.between("autoRollbackMaxErrorPercent", percent, 0, 100);
            return this;
        }

        /**
         * The mismatch percentage of compared reads above which the router rolls back.
         *
         * @param percent 0 to 100; default 1
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder autoRollbackMaxMismatchPercent(double percent) {
            this.autoRollbackMaxMismatchPercent = Checks.between("autoRollbackMaxMismatchPercent", percent, 0, 100);
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public ReadRouterConfig build() {
            return new ReadRouterConfig(this);
        }
    }
}
