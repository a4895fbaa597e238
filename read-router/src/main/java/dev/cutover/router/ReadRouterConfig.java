package dev.cutover.router;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * How a {@link ReadRouter} protects, shadows and reports reads. Immutable and thread-safe; build with
 * {@link #custom()} or take {@link #ofDefaults()}. The options come in groups: the routing options here,
 * {@link TargetReads how target reads are protected}, {@link ShadowReads how reads are shadowed and compared}
 * and {@link Rollback when the router rolls reads back}. The canonical constructors check every value
 * as the builder's setters do.
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
 *
 * @param requireRoutingKey whether a read without routing key fails with {@link MissingRoutingKeyException}
 * @param target how target reads are limited and fall back to the source
 * @param shadow how reads are shadowed, compared and reported
 * @param revealValues whether mismatch events, the recent sample and DEBUG logs carry real values instead of masks
 * @param rollback when the router sets the target read percentage back to 0
 */
public record ReadRouterConfig(boolean requireRoutingKey, TargetReads target, ShadowReads shadow, boolean revealValues,
                               Rollback rollback) {
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
    private static final ReadRouterConfig DEFAULTS = new ReadRouterConfig(false,
            new TargetReads(Duration.ofSeconds(2), 32, DEFAULT_CIRCUIT_BREAKER, Duration.ofSeconds(10)),
            new ShadowReads(2, 1_000, OptionalDouble.empty(), 100, Duration.ofMillis(100), Duration.ofSeconds(1)),
            false,
            new Rollback(false, 1_000, 10, 1));

    /**
     * Refuses a missing group; each group checks its own values.
     *
     * @throws NullPointerException if a group is null
     */
    public ReadRouterConfig {
        Objects.requireNonNull(target, "null target");
        Objects.requireNonNull(shadow, "null shadow");
        Objects.requireNonNull(rollback, "null rollback");
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
        b.target = base.target;
        b.shadow = base.shadow;
        b.revealValues = base.revealValues;
        b.rollback = base.rollback;
        return b;
    }

    /**
     * How target reads that have a source fallback are limited: past the time limit, the concurrency
     * limit or an open breaker, the source answers. See the {@link Builder}'s setters of the same names.
     *
     * @param targetTimeout the longest a target read with a source fallback may take before the source answers
     * @param targetConcurrency the most time-limited target reads in flight at once; beyond that reads fall back
     * @param circuitBreaker the settings of the breaker that keeps reads off a failing target (errors and
     *     timeouts count as failures)
     * @param fallbackLogInterval the least time between two fallback log lines; fallbacks in between are
     *     counted in the next
     */
    public record TargetReads(Duration targetTimeout, int targetConcurrency, CircuitBreakerConfig circuitBreaker,
                              Duration fallbackLogInterval) {
        /**
         * Checks every value, as the builder's setters do.
         *
         * @throws CutoverConfigurationException if a value is out of range
         * @throws NullPointerException if a value is null
         */
        public TargetReads {
            Checks.atLeast("targetTimeout", targetTimeout, Duration.ofNanos(1));
            Checks.between("targetConcurrency", targetConcurrency, 1, 10_000);
            Objects.requireNonNull(circuitBreaker, "null config");
            Checks.atLeast("fallbackLogInterval", fallbackLogInterval, Duration.ofNanos(1));
        }
    }

    /**
     * How reads are shadowed and compared, and how mismatches are reported. See the {@link Builder}'s
     * setters of the same names.
     *
     * @param shadowThreads threads of the router's own shadow executor
     * @param shadowQueueCapacity shadow reads that may wait for a shadow thread; together with
     *     {@code shadowThreads} the most shadow reads taken on and unfinished at once, beyond half of
     *     which back-pressure shadows fewer reads
     * @param targetServedComparePercent the percentage of reads answered by the target that are also read
     *     from the source and compared, or empty to use the flags' shadow read percentage as for every
     *     other read
     * @param recentMismatchCapacity how many recent mismatches {@link ReadRouter#recentMismatches()} keeps
     * @param mismatchRecheckDelay how long after a shadow comparison differs both sides are read again;
     *     only a difference that is still there is a mismatch. Zero reports the first difference.
     * @param mismatchLogInterval the least time between two mismatch log lines; mismatches in between are
     *     counted in the next
     */
    public record ShadowReads(int shadowThreads, int shadowQueueCapacity, OptionalDouble targetServedComparePercent,
                              int recentMismatchCapacity, Duration mismatchRecheckDelay, Duration mismatchLogInterval) {
        /**
         * Checks every value, as the builder's setters do.
         *
         * @throws CutoverConfigurationException if a value is out of range
         * @throws NullPointerException if a value is null
         */
        public ShadowReads {
            Checks.between("shadowThreads", shadowThreads, 1, 1_000);
            Checks.between("shadowQueueCapacity", shadowQueueCapacity, 1, 1_000_000);
            Objects.requireNonNull(targetServedComparePercent, "null targetServedComparePercent");
            if (targetServedComparePercent.isPresent()) {
                Checks.between("targetServedComparePercent", targetServedComparePercent.getAsDouble(), 0, 100);
            }
            Checks.between("recentMismatchCapacity", recentMismatchCapacity, 1, 100_000);
            Checks.between("mismatchRecheckDelay", mismatchRecheckDelay, Duration.ZERO, Duration.ofMinutes(1));
            Checks.atLeast("mismatchLogInterval", mismatchLogInterval, Duration.ofNanos(1));
        }
    }

    /**
     * When the router sets the target read percentage back to 0 on its own. See the {@link Builder}'s
     * setters of the same names.
     *
     * @param autoRollback whether the router sets the target read percentage to 0 when a threshold is breached
     * @param autoRollbackWindow how many of the latest target reads, and of the latest comparisons, the
     *     rollback rates cover
     * @param autoRollbackMaxErrorPercent the target read error percentage above which the router rolls back
     * @param autoRollbackMaxMismatchPercent the mismatch percentage of comparisons above which the router
     *     rolls back
     */
    public record Rollback(boolean autoRollback, int autoRollbackWindow, double autoRollbackMaxErrorPercent,
                           double autoRollbackMaxMismatchPercent) {
        /**
         * Checks every value, as the builder's setters do.
         *
         * @throws CutoverConfigurationException if a value is out of range
         */
        public Rollback {
            Checks.between("autoRollbackWindow", autoRollbackWindow, 1, 1_000_000);
            Checks.between("autoRollbackMaxErrorPercent", autoRollbackMaxErrorPercent, 0, 100);
            Checks.between("autoRollbackMaxMismatchPercent", autoRollbackMaxMismatchPercent, 0, 100);
        }
    }

    /** Builds a {@link ReadRouterConfig}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private boolean requireRoutingKey;
        private TargetReads target = DEFAULTS.target;
        private ShadowReads shadow = DEFAULTS.shadow;
        private boolean revealValues;
        private Rollback rollback = DEFAULTS.rollback;

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
            this.target = new TargetReads(timeout, target.targetConcurrency, target.circuitBreaker, target.fallbackLogInterval);
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
            this.target = new TargetReads(target.targetTimeout, threads, target.circuitBreaker, target.fallbackLogInterval);
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
            this.target = new TargetReads(target.targetTimeout, target.targetConcurrency, config, target.fallbackLogInterval);
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
            this.shadow = new ShadowReads(threads, shadow.shadowQueueCapacity, shadow.targetServedComparePercent,
                    shadow.recentMismatchCapacity, shadow.mismatchRecheckDelay, shadow.mismatchLogInterval);
            return this;
        }

        /**
         * Shadow reads that may wait for a shadow thread. The router takes on at most
         * {@code shadowThreads + shadowQueueCapacity} shadow reads at once and compares every one of
         * them; once more than half of that is taken on, it shadows a falling share of the reads the
         * flags draw ({@linkplain ReadRouterCounts#shadowThrottled() throttled}, with the back-pressure
         * state reported) instead of dropping work it took on. It bounds the memory held by shadow work:
         * each waiting read holds the served answer.
         *
         * @param capacity 1 to 1,000,000; default 1,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder shadowQueueCapacity(int capacity) {
            this.shadow = new ShadowReads(shadow.shadowThreads, capacity, shadow.targetServedComparePercent,
                    shadow.recentMismatchCapacity, shadow.mismatchRecheckDelay, shadow.mismatchLogInterval);
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
            this.shadow = new ShadowReads(shadow.shadowThreads, shadow.shadowQueueCapacity, OptionalDouble.of(percent),
                    shadow.recentMismatchCapacity, shadow.mismatchRecheckDelay, shadow.mismatchLogInterval);
            return this;
        }

        /**
         * Whether mismatch events, the recent-mismatch sample and DEBUG log lines carry the differing
         * values. Off, each non-null value is replaced by {@value ValueDifference#MASK}, because results may
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
            this.shadow = new ShadowReads(shadow.shadowThreads, shadow.shadowQueueCapacity, shadow.targetServedComparePercent,
                    capacity, shadow.mismatchRecheckDelay, shadow.mismatchLogInterval);
            return this;
        }

        /**
         * How long after a shadow comparison finds a difference both sides are read again. A read
         * racing a write sees the source after the write and the target before its mirror copy;
         * read again once the copy has landed, the two agree, and the comparison counts as
         * {@linkplain ReadRouterCounts#settled() settled} instead of a mismatch, so that neither the
         * mismatch rate nor the automatic rollback fires on writes in flight. A row whose source
         * answer changed between the two reads is still being written and settles too: shadow reads
         * confirm divergence only on rows at rest, and the verifier covers rows that never rest. The wait runs on a
         * shadow thread, which is why a persistently diverged target also slows shadowing down
         * (back-pressure then shadows fewer reads). A comparison whose recheck would run after the
         * stage stopped writing both sides is {@linkplain ReadRouterCounts#abandoned() abandoned}.
         *
         * @param delay 0 to 1 minute; default 100 ms; zero reports every first difference
         * @return this builder
         * @throws CutoverConfigurationException if negative or longer than a minute
         */
        public Builder mismatchRecheckDelay(Duration delay) {
            this.shadow = new ShadowReads(shadow.shadowThreads, shadow.shadowQueueCapacity, shadow.targetServedComparePercent,
                    shadow.recentMismatchCapacity, delay, shadow.mismatchLogInterval);
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
            this.shadow = new ShadowReads(shadow.shadowThreads, shadow.shadowQueueCapacity, shadow.targetServedComparePercent,
                    shadow.recentMismatchCapacity, shadow.mismatchRecheckDelay, interval);
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
            this.target = new TargetReads(target.targetTimeout, target.targetConcurrency, target.circuitBreaker, interval);
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
            this.rollback = new Rollback(enabled, rollback.autoRollbackWindow, rollback.autoRollbackMaxErrorPercent,
                    rollback.autoRollbackMaxMismatchPercent);
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
            this.rollback = new Rollback(rollback.autoRollback, reads, rollback.autoRollbackMaxErrorPercent,
                    rollback.autoRollbackMaxMismatchPercent);
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
            this.rollback = new Rollback(rollback.autoRollback, rollback.autoRollbackWindow, percent,
                    rollback.autoRollbackMaxMismatchPercent);
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
            this.rollback = new Rollback(rollback.autoRollback, rollback.autoRollbackWindow, rollback.autoRollbackMaxErrorPercent,
                    percent);
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public ReadRouterConfig build() {
            return new ReadRouterConfig(requireRoutingKey, target, shadow, revealValues, rollback);
        }
    }
}
