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
 * {@link #custom()} or take {@link #ofDefaults()}. Thread-safe. The canonical constructor checks its
 * values with the builder's own setters, so a config made either way obeys the same rules.
 *
 * @param batchSize the most entries one worker claims at a time; default 50
 * @param workerCount the drain threads of this instance; default 2
 * @param maxAttempts attempts before an entry is parked, the first one included; default 10
 * @param leaseDuration how long a claim holds its entries. Must be well above the longest replay: a
 *     worker does not start an entry whose lease has less than a fifth left, and after the lease
 *     another instance may claim the entry again. Default 30 s.
 * @param pollInterval how long an idle worker waits before claiming again; default 500 ms
 * @param initialBackoff the backoff after the first failed attempt, before jitter; default 1 s
 * @param backoffMultiplier the factor by which the backoff grows per failed attempt; default 2.0
 * @param backoffJitter the jitter: each backoff is randomised by ± this fraction; default 0.5
 * @param maxBackoff the longest backoff; default 5 min
 * @param replaysPerSecond the most replays per second across this instance's workers, 0 for no limit;
 *     default 0
 * @param pendingCacheTtl how long the queue trusts a cached answer to whether a key has entries (the check every
 *     dual write makes): the bound on how late it sees an entry another instance enqueued. Entries enqueued through this instance are seen
 *     at once. Default 1 s.
 * @param pendingCacheSize the most keys whose pending state is cached; default 100,000
 * @param shutdownTimeout how long {@link RetryQueue#stop()} waits for workers to finish their current
 *     entry; default 10 s
 * @param instanceId this instance's lease owner id; default a random one, unique per config
 * @param clock the clock for due times, leases and backoff; default UTC system clock
 * @param circuitBreaker the target's circuit breaker, if any: while it is open, workers do not replay
 * @param logValues whether failure texts (the stored {@code last_error}, parking reasons and log lines)
 *     keep the drivers' messages whole, with the row values they quote; default false: they keep
 *     exception classes, SQL states and names, and quoted values become {@code ?}. True only for
 *     debugging on data that is not personal.
 */
public record RetryQueueConfig(int batchSize, int workerCount, int maxAttempts, Duration leaseDuration,
                               Duration pollInterval, Duration initialBackoff, double backoffMultiplier,
                               double backoffJitter, Duration maxBackoff, int replaysPerSecond,
                               Duration pendingCacheTtl, long pendingCacheSize, Duration shutdownTimeout,
                               String instanceId, Clock clock, Optional<CircuitBreaker> circuitBreaker,
                               boolean logValues) {
    /**
     * Checks every value with the builder's setters, and the backoff bounds against each other.
     *
     * @throws CutoverConfigurationException if a value is out of range, or maxBackoff is shorter than
     *     initialBackoff
     * @throws NullPointerException if a value is null
     */
    public RetryQueueConfig {
        Builder.holding(batchSize, workerCount, maxAttempts, leaseDuration, pollInterval, initialBackoff,
                backoffMultiplier, backoffJitter, maxBackoff, replaysPerSecond, pendingCacheTtl, pendingCacheSize,
                shutdownTimeout, instanceId, clock, circuitBreaker, logValues);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new CutoverConfigurationException("maxBackoff (" + Checks.format(maxBackoff) + ") is shorter than"
                    + " initialBackoff (" + Checks.format(initialBackoff) + "): set maxBackoff to at least"
                    + " initialBackoff, or lower initialBackoff");
        }
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
        return Builder.holding(base.batchSize, base.workerCount, base.maxAttempts, base.leaseDuration, base.pollInterval,
                base.initialBackoff, base.backoffMultiplier, base.backoffJitter, base.maxBackoff, base.replaysPerSecond,
                base.pendingCacheTtl, base.pendingCacheSize, base.shutdownTimeout, base.instanceId, base.clock,
                base.circuitBreaker, base.logValues);
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
     * The backoff schedule built from the settings above.
     *
     * @return exponential backoff with jitter; attempt numbers start at 1, results are milliseconds
     */
    public IntervalFunction backoff() {
        return IntervalFunction.ofExponentialRandomBackoff(initialBackoff, backoffMultiplier, backoffJitter, maxBackoff);
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

        // The one path from values to a builder: the canonical constructor checks through it, from() copies through it.
        private static Builder holding(int batchSize, int workerCount, int maxAttempts, Duration leaseDuration,
                Duration pollInterval, Duration initialBackoff, double backoffMultiplier, double backoffJitter,
                Duration maxBackoff, int replaysPerSecond, Duration pendingCacheTtl, long pendingCacheSize,
                Duration shutdownTimeout, String instanceId, Clock clock, Optional<CircuitBreaker> circuitBreaker,
                boolean logValues) {
            Builder b = new Builder().batchSize(batchSize).workerCount(workerCount).maxAttempts(maxAttempts)
                    .leaseDuration(leaseDuration).pollInterval(pollInterval).initialBackoff(initialBackoff)
                    .backoffMultiplier(backoffMultiplier).backoffJitter(backoffJitter).maxBackoff(maxBackoff)
                    .replaysPerSecond(replaysPerSecond).pendingCacheTtl(pendingCacheTtl).pendingCacheSize(pendingCacheSize)
                    .shutdownTimeout(shutdownTimeout).instanceId(instanceId).clock(clock).logValues(logValues);
            Objects.requireNonNull(circuitBreaker, "null circuitBreaker").ifPresent(b::circuitBreaker);
            return b;
        }

        /**
         * The most entries one worker claims at a time.
         *
         * @param batchSize 1 to 10,000; default 50
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = Checks.between("batchSize", batchSize, 1, 10_000);
            return this;
        }

        /**
         * The drain threads of this instance.
         *
         * @param workerCount 1 to 256; default 2
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder workerCount(int workerCount) {
            this.workerCount = Checks.between("workerCount", workerCount, 1, 256);
            return this;
        }

        /**
         * How many times an entry is tried, the first attempt included, before it is parked.
         *
         * @param maxAttempts 1 to 1,000; default 10
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Checks.between("maxAttempts", maxAttempts, 1, 1_000);
            return this;
        }

        /**
         * How long a claim holds its entries. Set it well above the longest replay: a worker does not
         * start an entry whose lease has less than a fifth left, and after the lease another instance may
         * claim the entry again.
         *
         * @param leaseDuration 100 ms to 1 h; default 30 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = Checks.between("leaseDuration", leaseDuration, Duration.ofMillis(100), Duration.ofHours(1));
            return this;
        }

        /**
         * How long a worker that found nothing to claim waits before it claims again.
         *
         * @param pollInterval 1 ms to 1 min; default 500 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = Checks.between("pollInterval", pollInterval, Duration.ofMillis(1), Duration.ofMinutes(1));
            return this;
        }

        /**
         * The wait after the first failed attempt, before jitter; each further failure multiplies it by
         * {@link #backoffMultiplier}.
         *
         * @param initialBackoff 1 ms to 1 h; default 1 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = Checks.between("initialBackoff", initialBackoff, Duration.ofMillis(1), Duration.ofHours(1));
            return this;
        }

        /**
         * The factor by which the wait grows with each failed attempt.
         *
         * @param backoffMultiplier 1.0 to 10.0; default 2.0
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backoffMultiplier(double backoffMultiplier) {
            this.backoffMultiplier = Checks.between("backoffMultiplier", backoffMultiplier, 1.0, 10.0);
            return this;
        }

        /**
         * Randomises each wait by plus or minus this fraction, so that entries that failed together are
         * not all retried at the same moment.
         *
         * @param backoffJitter at least 0.0 and below 1.0; default 0.5
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backoffJitter(double backoffJitter) {
            this.backoffJitter = Checks.atLeastAndBelow("backoffJitter", backoffJitter, 0.0, 1.0);
            return this;
        }

        /**
         * The longest wait between two attempts, however many failed.
         *
         * @param maxBackoff 1 ms to 1 day, and at least initialBackoff ({@link #build()} checks that, since
         *     initialBackoff may be set after it); default 5 min
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = Checks.between("maxBackoff", maxBackoff, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        /**
         * Caps the replays per second across this instance's workers.
         *
         * @param replaysPerSecond 0 (no limit, the default) to 1,000,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder replaysPerSecond(int replaysPerSecond) {
            this.replaysPerSecond = Checks.between("replaysPerSecond", replaysPerSecond, 0, 1_000_000);
            return this;
        }

        /**
         * How long the queue trusts a cached answer to whether a key has entries (the check every
         * dual write makes): the bound on how late it sees an entry another instance enqueued. Entries enqueued through this instance are seen at once.
         *
         * @param pendingCacheTtl 1 ms to 10 min; default 1 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder pendingCacheTtl(Duration pendingCacheTtl) {
            this.pendingCacheTtl = Checks.between("pendingCacheTtl", pendingCacheTtl, Duration.ofMillis(1), Duration.ofMinutes(10));
            return this;
        }

        /**
         * The most keys whose pending state the queue keeps cached.
         *
         * @param pendingCacheSize 1 to 100,000,000; default 100,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder pendingCacheSize(long pendingCacheSize) {
            this.pendingCacheSize = Checks.between("pendingCacheSize", pendingCacheSize, 1, 100_000_000L);
            return this;
        }

        /**
         * How long {@link RetryQueue#stop()} waits for the workers to finish the entry each is replaying.
         *
         * @param shutdownTimeout 0 to 10 min; default 10 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = Checks.between("shutdownTimeout", shutdownTimeout, Duration.ZERO, Duration.ofMinutes(10));
            return this;
        }

        /**
         * This instance's lease owner id, unique among the instances draining one table, such as its host
         * name.
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
         * The clock for due times, leases and backoff.
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
         * The target's circuit breaker: while it is open, workers do not replay.
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
         * Whether failure texts (the stored {@code last_error}, parking reasons and log lines) keep the
         * drivers' messages whole, with the row values they quote. Off, they keep exception classes, SQL
         * states and names, and quoted values become {@code ?}.
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
            return new RetryQueueConfig(batchSize, workerCount, maxAttempts, leaseDuration, pollInterval, initialBackoff,
                    backoffMultiplier, backoffJitter, maxBackoff, replaysPerSecond, pendingCacheTtl, pendingCacheSize,
                    shutdownTimeout, instanceId, clock, Optional.ofNullable(circuitBreaker), logValues);
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
