package dev.cutover.dualwrite;

import dev.cutover.common.Beta;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import java.time.Duration;

/**
 * How a {@link Backfill} paces itself. Immutable; {@link #custom()} builds one, {@link #ofDefaults()}
 * is the default.
 *
 * <p>Chunks adapt their size to take about {@link Builder#chunkTime chunkTime} each, as
 * pt-table-checksum's {@code --chunk-time} does: after each chunk the backfill takes a weighted
 * average of the rows per second it achieved and sizes the next chunk to fill the target time,
 * within {@code minChunkSize} and {@code maxChunkSize}. A chunk holds its source rows' locks for
 * that long, so the chunk time is also about the longest a write of one of those rows waits for the
 * backfill. On top, {@code rowsPerSecond} caps the average rate, and the backfill backs off while
 * the migration's own dual writes slow down ({@code backOffLatency}).
 */
@Beta
public final class BackfillConfig {
    private static final BackfillConfig DEFAULTS = custom().build();

    private final long rowsPerSecond;
    private final Duration chunkTime;
    private final int initialChunkSize;
    private final int minChunkSize;
    private final int maxChunkSize;
    private final Duration backOffLatency;
    private final Duration backOffPause;
    private final Duration statementTimeout;
    private final int maxChunkAttempts;
    private final Duration progressLogInterval;

    private BackfillConfig(Builder b) {
        this.rowsPerSecond = b.rowsPerSecond;
        this.chunkTime = b.chunkTime;
        this.initialChunkSize = b.initialChunkSize;
        this.minChunkSize = b.minChunkSize;
        this.maxChunkSize = b.maxChunkSize;
        this.backOffLatency = b.backOffLatency;
        this.backOffPause = b.backOffPause;
        this.statementTimeout = b.statementTimeout;
        this.maxChunkAttempts = b.maxChunkAttempts;
        this.progressLogInterval = b.progressLogInterval;
    }

    /** @return the defaults: no rate limit, 0.5 s chunks of 10 to 10,000 rows starting at 1,000, back-off above 100 ms */
    public static BackfillConfig ofDefaults() {
        return DEFAULTS;
    }

    /** @return a builder at the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * @param config a config
     * @return a builder starting from its values
     */
    public static Builder from(BackfillConfig config) {
        Builder b = new Builder();
        b.rowsPerSecond = config.rowsPerSecond;
        b.chunkTime = config.chunkTime;
        b.initialChunkSize = config.initialChunkSize;
        b.minChunkSize = config.minChunkSize;
        b.maxChunkSize = config.maxChunkSize;
        b.backOffLatency = config.backOffLatency;
        b.backOffPause = config.backOffPause;
        b.statementTimeout = config.statementTimeout;
        b.maxChunkAttempts = config.maxChunkAttempts;
        b.progressLogInterval = config.progressLogInterval;
        return b;
    }

    /** @return the most source rows copied per second on average; 0 for no limit */
    public long rowsPerSecond() {
        return rowsPerSecond;
    }

    /** @return the time each chunk should take */
    public Duration chunkTime() {
        return chunkTime;
    }

    /** @return the rows of the first chunk */
    public int initialChunkSize() {
        return initialChunkSize;
    }

    /** @return the fewest rows a chunk asks for */
    public int minChunkSize() {
        return minChunkSize;
    }

    /** @return the most rows a chunk asks for */
    public int maxChunkSize() {
        return maxChunkSize;
    }

    /** @return the average copy time of the migration's dual writes above which the backfill backs off; zero: never */
    public Duration backOffLatency() {
        return backOffLatency;
    }

    /** @return how long a back-off pauses */
    public Duration backOffPause() {
        return backOffPause;
    }

    /** @return the longest a chunk's statement, row-lock waits included, may take */
    public Duration statementTimeout() {
        return statementTimeout;
    }

    /** @return how many times a chunk is tried before the backfill fails */
    public int maxChunkAttempts() {
        return maxChunkAttempts;
    }

    /** @return the least time between two INFO progress lines */
    public Duration progressLogInterval() {
        return progressLogInterval;
    }

    @Override
    public String toString() {
        return "BackfillConfig{rowsPerSecond=" + rowsPerSecond + ", chunkTime=" + chunkTime + ", chunkSize="
                + minChunkSize + ".." + initialChunkSize + ".." + maxChunkSize + ", backOffLatency=" + backOffLatency
                + ", backOffPause=" + backOffPause + ", statementTimeout=" + statementTimeout + ", maxChunkAttempts="
                + maxChunkAttempts + ", progressLogInterval=" + progressLogInterval + "}";
    }

    /** Builds a {@link BackfillConfig}; not thread-safe. */
    public static final class Builder {
        private long rowsPerSecond;
        private Duration chunkTime = Duration.ofMillis(500);
        private int initialChunkSize = 1_000;
        private int minChunkSize = 10;
        private int maxChunkSize = 10_000;
        private Duration backOffLatency = Duration.ofMillis(100);
        private Duration backOffPause = Duration.ofSeconds(1);
        private Duration statementTimeout = Duration.ofSeconds(30);
        private int maxChunkAttempts = 10;
        private Duration progressLogInterval = Duration.ofSeconds(10);

        private Builder() {
        }

        /**
         * Caps the average rate: after each chunk the backfill waits until its rows fit the rate.
         *
         * @param rowsPerSecond 0 (no limit, the default) to 10,000,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder rowsPerSecond(long rowsPerSecond) {
            this.rowsPerSecond = Checks.between("rowsPerSecond", rowsPerSecond, 0, 10_000_000);
            return this;
        }

        /**
         * The time each chunk should take, from its locking read to its commit; the chunk size adapts to it.
         *
         * @param chunkTime 10 ms to 1 min; default 500 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder chunkTime(Duration chunkTime) {
            this.chunkTime = Checks.between("chunkTime", chunkTime, Duration.ofMillis(10), Duration.ofMinutes(1));
            return this;
        }

        /**
         * The rows of the first chunk, and the range the size adapts within. Equal values fix the size.
         *
         * @param min the fewest rows, at least 1
         * @param initial the first chunk's rows, between min and max
         * @param max the most rows, at most 100,000 (and at most what one statement can bind: 30,000
         *     values, so fewer for wide tables)
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder chunkSize(int min, int initial, int max) {
            Checks.between("chunkSize max", max, 1, 100_000);
            this.minChunkSize = Checks.between("chunkSize min", min, 1, max);
            this.initialChunkSize = Checks.between("chunkSize initial", initial, min, max);
            this.maxChunkSize = max;
            return this;
        }

        /**
         * Backs off while the migration's dual writes slow down: when the average time of their copies to
         * the target (each locks its source row and writes the target row, so it waits for rows a chunk
         * holds and slows with either database) over the last chunk exceeds this, the backfill halves
         * its chunk size and pauses for {@link #backOffPause}. Only writes through this migration's
         * wrappers in this process are seen.
         *
         * @param latency 0 (never back off) to 1 min; default 100 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffLatency(Duration latency) {
            this.backOffLatency = Checks.between("backOffLatency", latency, Duration.ZERO, Duration.ofMinutes(1));
            return this;
        }

        /**
         * @param pause how long a back-off pauses, 1 ms to 10 min; default 1 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffPause(Duration pause) {
            this.backOffPause = Checks.between("backOffPause", pause, Duration.ofMillis(1), Duration.ofMinutes(10));
            return this;
        }

        /**
         * @param timeout the longest a chunk's statement, row-lock waits included, may take; 1 s to
         *     1 h, whole seconds; default 30 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder statementTimeout(Duration timeout) {
            this.statementTimeout = Checks.between("statementTimeout", timeout, Duration.ofSeconds(1), Duration.ofHours(1));
            return this;
        }

        /**
         * @param attempts how many times a chunk is tried (with a shorter chunk and a growing pause
         *     each time) before the backfill fails; 1 to 1,000, default 10
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder maxChunkAttempts(int attempts) {
            this.maxChunkAttempts = Checks.between("maxChunkAttempts", attempts, 1, 1_000);
            return this;
        }

        /**
         * @param interval the least time between two INFO progress lines, 1 s to 1 h; default 10 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder progressLogInterval(Duration interval) {
            this.progressLogInterval = Checks.between("progressLogInterval", interval, Duration.ofSeconds(1), Duration.ofHours(1));
            return this;
        }

        /** @return the config */
        public BackfillConfig build() {
            return new BackfillConfig(this);
        }
    }
}
