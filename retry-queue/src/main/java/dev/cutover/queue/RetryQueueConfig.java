package dev.cutover.queue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Settings of a {@link RetryQueue}: immutable, each value checked when it is set. Start from
 * {@link #custom()} or take {@link #ofDefaults()}. Thread-safe.
 */
public final class RetryQueueConfig {
    private final int batchSize;
    private final int workerCount;
    private final int maxAttempts;
    private final Duration leaseDuration;
    private final Duration pollInterval;
    private final Duration initialBackoff;
    private final double backoffMultiplier;
    private final double backoffJitter;
    private final Duration maxBackoff;
    private final int replaysPerSecond;
    private final Duration pendingCacheTtl;
    private final long pendingCacheSize;
    private final Duration shutdownTimeout;
    private final String instanceId;
    private final Clock clock;
    private final CircuitBreaker circuitBreaker;
    private final boolean logValues;

    private RetryQueueConfig(Builder b) {
        this.batchSize = b.batchSize;
        this.workerCount = b.workerCount;
        this.maxAttempts = b.maxAttempts;
        this.leaseDuration = b.leaseDuration;
        this.pollInterval = b.pollInterval;
        this.initialBackoff = b.initialBackoff;
        this.backoffMultiplier = b.backoffMultiplier;
        this.backoffJitter = b.backoffJitter;
        this.maxBackoff = b.maxBackoff;
        this.replaysPerSecond = b.replaysPerSecond;
        this.pendingCacheTtl = b.pendingCacheTtl;
        this.pendingCacheSize = b.pendingCacheSize;
        this.shutdownTimeout = b.shutdownTimeout;
        this.instanceId = b.instanceId;
        this.clock = b.clock;
        this.circuitBreaker = b.circuitBreaker;
        this.logValues = b.logValues;
    }

    /**
     * A builder holding the defaults.
     *
     * @return a new builder
     */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * Starts a builder from another configuration's values, to change a few of them. It keeps the
     * base's instance id: give each instance its own.
     *
     * @param base the configuration to copy
     * @return a builder holding the base's values
     */
    public static Builder from(RetryQueueConfig base) {
        Objects.requireNonNull(base, "null base");
        Builder b = new Builder();
        b.batchSize = base.batchSize;
        b.workerCount = base.workerCount;
        b.maxAttempts = base.maxAttempts;
        b.leaseDuration = base.leaseDuration;
        b.pollInterval = base.pollInterval;
        b.initialBackoff = base.initialBackoff;
        b.backoffMultiplier = base.backoffMultiplier;
        b.backoffJitter = base.backoffJitter;
        b.maxBackoff = base.maxBackoff;
        b.replaysPerSecond = base.replaysPerSecond;
        b.pendingCacheTtl = base.pendingCacheTtl;
        b.pendingCacheSize = base.pendingCacheSize;
        b.shutdownTimeout = base.shutdownTimeout;
        b.instanceId = base.instanceId;
        b.clock = base.clock;
        b.circuitBreaker = base.circuitBreaker;
        b.logValues = base.logValues;
        return b;
    }

    /**
     * The defaults, with a random instance id.
     *
     * @return the config
     */
    public static RetryQueueConfig ofDefaults() {
        return custom().build();
    }

    /**
     * Returns the most entries one worker claims at a time; default 50.
     *
     * @return the most entries one worker claims at a time; default 50
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Returns the drain threads of this instance; default 2.
     *
     * @return the drain threads of this instance; default 2
     */
    public int workerCount() {
        return workerCount;
    }

    /**
     * Returns attempts before an entry is parked, the first one included; default 10.
     *
     * @return attempts before an entry is parked, the first one included; default 10
     */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * How long a claim holds its entries. Must be well above the longest replay: a worker does not
     * start an entry whose lease has less than a fifth left, and after the lease another instance
     * may claim the entry again. Default 30 s.
     *
     * @return the lease duration
     */
    public Duration leaseDuration() {
        return leaseDuration;
    }

    /**
     * Returns how long an idle worker waits before claiming again; default 500 ms.
     *
     * @return how long an idle worker waits before claiming again; default 500 ms
     */
    public Duration pollInterval() {
        return pollInterval;
    }

    /**
     * Returns the backoff after the first failed attempt, before jitter; default 1 s.
     *
     * @return the backoff after the first failed attempt, before jitter; default 1 s
     */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * Returns the factor by which the backoff grows per failed attempt; default 2.0.
     *
     * @return the factor by which the backoff grows per failed attempt; default 2.0
     */
    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    /**
     * Returns the jitter: each backoff is randomised by ± this fraction; default 0.5.
     *
     * @return the jitter: each backoff is randomised by ± this fraction; default 0.5
     */
    public double backoffJitter() {
        return backoffJitter;
    }

    /**
     * Returns the longest backoff; default 5 min.
     *
     * @return the longest backoff; default 5 min
     */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * The backoff schedule built from the settings above.
     *
     * @return exponential backoff with jitter; attempt numbers start at 1, results are milliseconds
     */
    public IntervalFunction backoff() {
        return IntervalFunction.ofExponentialRandomBackoff(initialBackoff, backoffMultiplier, backoffJitter, maxBackoff);
    }

    /**
     * Returns the most replays per second across this instance's workers, 0 for no limit; default 0.
     *
     * @return the most replays per second across this instance's workers, 0 for no limit; default 0
     */
    public int replaysPerSecond() {
        return replaysPerSecond;
    }

    /**
     * How long the queue trusts a cached answer to whether a key has entries (the check every dual
     * write makes): the bound on how late it sees an entry another instance enqueued. Entries enqueued
     * through this instance are seen at once. Default 1 s.
     *
     * @return the time to live of a cached answer
     */
    public Duration pendingCacheTtl() {
        return pendingCacheTtl;
    }

    /**
     * Returns the most keys whose pending state is cached; default 100,000.
     *
     * @return the most keys whose pending state is cached; default 100,000
     */
    public long pendingCacheSize() {
        return pendingCacheSize;
    }

    /**
     * Returns how long {@link RetryQueue#stop()} waits for workers to finish their current entry; default 10 s.
     *
     * @return how long {@link RetryQueue#stop()} waits for workers to finish their current entry; default 10 s
     */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /**
     * Returns this instance's lease owner id; default a random one, unique per config.
     *
     * @return this instance's lease owner id; default a random one, unique per config
     */
    public String instanceId() {
        return instanceId;
    }

    /**
     * Returns the clock for due times, leases and backoff; default UTC system clock.
     *
     * @return the clock for due times, leases and backoff; default UTC system clock
     */
    public Clock clock() {
        return clock;
    }

    /**
     * Returns the target's circuit breaker, if any: while it is open, workers do not replay.
     *
     * @return the target's circuit breaker, if any: while it is open, workers do not replay
     */
    public Optional<CircuitBreaker> circuitBreaker() {
        return Optional.ofNullable(circuitBreaker);
    }

    /**
     * Returns whether failure texts (the stored {@code last_error}, parking reasons and log lines)
     * keep the drivers' messages whole, with the row values they quote; default false: they keep
     * exception classes, SQL states and names, and quoted values become {@code ?}.
     *
     * @return whether failure texts may carry row values; for debugging on data that is not personal
     */
    public boolean logValues() {
        return logValues;
    }

    /** Builds a {@link RetryQueueConfig}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private int batchSize = 50;
        private int workerCount = 2;
        private int maxAttempts = 10;
        private Duration leaseDuration = Duration.ofSeconds(30);
        private Duration pollInterval = Duration.ofMillis(500);
        private Duration initialBackoff = Duration.ofSeconds(1);
        private double backoffMultiplier = 2.0;
        private double backoffJitter = 0.5;
        private Duration maxBackoff = Duration.ofMinutes(5);
        private int replaysPerSecond;
        private Duration pendingCacheTtl = Duration.ofSeconds(1);
        private long pendingCacheSize = 100_000;
        private Duration shutdownTimeout = Duration.ofSeconds(10);
        private String instanceId = "retry-queue-" + UUID.randomUUID();
        private Clock clock = Clock.systemUTC();
        private CircuitBreaker circuitBreaker;
        private boolean logValues;

        private Builder() {
        }

        /**
         * Sets batchSize; see the getter of the same name.
         *
         * @param batchSize the most entries one worker claims at a time, 1 to 10,000
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = Checks.between("batchSize", batchSize, 1, 10_000);
            return this;
        }

        /**
         * Sets workerCount; see the getter of the same name.
         *
         * @param workerCount drain threads of this instance, 1 to 256
         * @return this builder
         */
        public Builder workerCount(int workerCount) {
            this.workerCount = Checks.between("workerCount", workerCount, 1, 256);
            return this;
        }

        /**
         * Sets maxAttempts; see the getter of the same name.
         *
         * @param maxAttempts attempts before parking, 1 to 1,000
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Checks.between("maxAttempts", maxAttempts, 1, 1_000);
            return this;
        }

        /**
         * Sets leaseDuration; see the getter of the same name.
         *
         * @param leaseDuration how long a claim holds its entries, 100 ms to 1 h
         * @return this builder
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = Checks.between("leaseDuration", leaseDuration, Duration.ofMillis(100), Duration.ofHours(1));
            return this;
        }

        /**
         * Sets pollInterval; see the getter of the same name.
         *
         * @param pollInterval idle wait between claims, 1 ms to 1 min
         * @return this builder
         */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = Checks.between("pollInterval", pollInterval, Duration.ofMillis(1), Duration.ofMinutes(1));
            return this;
        }

        /**
         * Sets initialBackoff; see the getter of the same name.
         *
         * @param initialBackoff backoff after the first failure, 1 ms to 1 h
         * @return this builder
         */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = Checks.between("initialBackoff", initialBackoff, Duration.ofMillis(1), Duration.ofHours(1));
            return this;
        }

        /**
         * Sets backoffMultiplier; see the getter of the same name.
         *
         * @param backoffMultiplier growth per failure, 1.0 to 10.0
         * @return this builder
         */
        public Builder backoffMultiplier(double backoffMultiplier) {
            this.backoffMultiplier = Checks.between("backoffMultiplier", backoffMultiplier, 1.0, 10.0);
            return this;
        }

        /**
         * Sets backoffJitter; see the getter of the same name.
         *
         * @param backoffJitter randomisation fraction, at least 0.0 and below 1.0
         * @return this builder
         */
        public Builder backoffJitter(double backoffJitter) {
            this.backoffJitter = Checks.atLeastAndBelow("backoffJitter", backoffJitter, 0.0, 1.0);
            return this;
        }

        /**
         * Sets maxBackoff; see the getter of the same name.
         *
         * @param maxBackoff longest backoff, from initialBackoff to 1 day ({@link #build()} checks
         *     it against initialBackoff, which may be set after it)
         * @return this builder
         */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = Checks.between("maxBackoff", maxBackoff, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        /**
         * Sets replaysPerSecond; see the getter of the same name.
         *
         * @param replaysPerSecond rate limit for this instance, 0 (none) to 1,000,000
         * @return this builder
         */
        public Builder replaysPerSecond(int replaysPerSecond) {
            this.replaysPerSecond = Checks.between("replaysPerSecond", replaysPerSecond, 0, 1_000_000);
            return this;
        }

        /**
         * Sets pendingCacheTtl; see the getter of the same name.
         *
         * @param pendingCacheTtl cross-instance staleness bound of isPending, 1 ms to 10 min
         * @return this builder
         */
        public Builder pendingCacheTtl(Duration pendingCacheTtl) {
            this.pendingCacheTtl = Checks.between("pendingCacheTtl", pendingCacheTtl, Duration.ofMillis(1), Duration.ofMinutes(10));
            return this;
        }

        /**
         * Sets pendingCacheSize; see the getter of the same name.
         *
         * @param pendingCacheSize most keys cached by isPending, 1 to 100,000,000
         * @return this builder
         */
        public Builder pendingCacheSize(long pendingCacheSize) {
            this.pendingCacheSize = Checks.between("pendingCacheSize", pendingCacheSize, 1, 100_000_000L);
            return this;
        }

        /**
         * Sets shutdownTimeout; see the getter of the same name.
         *
         * @param shutdownTimeout how long stop waits for workers, 0 to 10 min
         * @return this builder
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = Checks.between("shutdownTimeout", shutdownTimeout, Duration.ZERO, Duration.ofMinutes(10));
            return this;
        }

        /**
         * Sets instanceId; see the getter of the same name.
         *
         * @param instanceId this instance's lease owner id, 1 to 128 characters, unique among the
         *     instances draining one table
         * @return this builder
         */
        public Builder instanceId(String instanceId) {
            this.instanceId = checkInstanceId(instanceId);
            return this;
        }

        /**
         * Sets clock; see the getter of the same name.
         *
         * @param clock the clock for due times, leases and backoff; instances draining one table
         *     need clocks that agree to well within the lease duration
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "null clock");
            return this;
        }

        /**
         * Sets circuitBreaker; see the getter of the same name.
         *
         * @param circuitBreaker the target's circuit breaker, shared with the code that writes the
         *     target; replays are recorded in it, and none run while it refuses calls
         * @return this builder
         */
        public Builder circuitBreaker(CircuitBreaker circuitBreaker) {
            this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "null circuitBreaker");
            return this;
        }

        /**
         * Sets logValues; see the getter of the same name.
         *
         * @param logValues true only for debugging on data that is not personal; default false
         * @return this builder
         */
        public Builder logValues(boolean logValues) {
            this.logValues = logValues;
            return this;
        }

        /**
         * Builds; each setter has checked its own value already.
         *
         * @return the config
         * @throws CutoverConfigurationException if maxBackoff is shorter than initialBackoff
         */
        public RetryQueueConfig build() {
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new CutoverConfigurationException("maxBackoff (" + Checks.format(maxBackoff) + ") is shorter than"
                        + " initialBackoff (" + Checks.format(initialBackoff) + "): set maxBackoff to at least"
                        + " initialBackoff, or lower initialBackoff");
            }
            return new RetryQueueConfig(this);
        }

        private static String checkInstanceId(String instanceId) {
            Objects.requireNonNull(instanceId, "null instanceId");
            if (instanceId.isBlank() || instanceId.length() > 128) {
                throw new CutoverConfigurationException("instanceId must be 1 to 128 characters and not blank, but was '"
                        + instanceId + "': give each instance draining one table its own id, such as its host name");
            }
            return instanceId;
        }
    }
}
