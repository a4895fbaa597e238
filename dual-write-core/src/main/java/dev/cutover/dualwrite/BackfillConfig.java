package dev.cutover.dualwrite;

import dev.cutover.common.Beta;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import java.time.Duration;

/**
 * How a {@link Backfill} paces itself. Immutable; {@link #custom()} builds one, {@link #ofDefaults()}
 * is the default. The canonical constructor checks its values with the builder's own setters, so a
 * config made either way obeys the same rules.
 *
 * <p>Chunks adapt their size to take about {@link Builder#chunkTime chunkTime} each, as
 * pt-table-checksum's {@code --chunk-time} does: after each chunk the backfill takes a weighted
 * average of the rows per second it achieved and sizes the next chunk to fill the target time,
 * within {@code minChunkSize} and {@code maxChunkSize}. A chunk holds its source rows' locks for
 * that long, so the chunk time is also about the longest a write of one of those rows waits for the
 * backfill. On top, {@code rowsPerSecond} caps the average rate, and the backfill backs off while
 * the migration's own dual writes are slower than without it.
 *
 * <p><b>Back-off.</b> The signal is the time of the migration's dual writes: the repository-style
 * call on the source (the DataSource style's statements are not timed) plus its copy to the target
 * (which locks the source row and writes the target row, so it waits for rows a chunk holds and slows
 * with either database, CPU contention included), per copy; only writes through this migration's wrappers in
 * this process are seen, and only when the backfill has the migration's stats. Before its first chunk,
 * and again every {@code backOffBaselineRefresh} while the application writes, the backfill copies
 * nothing for {@code backOffBaselineWindow} and takes the copies' average time then as the baseline
 * (while no window had enough copies, the next comes as soon as the application has written enough;
 * the baseline is the lowest of the last three windows, which until there are three come every
 * sixth of {@code backOffBaselineRefresh}).
 * It copies a share of the time, its duty cycle, starting at 1: while the copies since the last
 * decision (the chunks and the waits between them) average more than {@code backOffLatencyRatio}
 * times the baseline, or more than the absolute {@code backOffLatency}, the duty cycle halves, down to
 * {@code backOffMinDutyCycle}; otherwise it grows back by a tenth at a time. Since an average hides
 * the few calls that wait for a chunk's row locks or run during its burst of CPU, which set the
 * callers' 99th percentile, the backfill also counts the write steps (source calls and copies) one
 * by one: once 400 were timed, more than 1% of them slower than {@code backOffLatencyRatio} times
 * their 99th percentile in the baseline windows (the median of the last three windows' with 200
 * steps or more) halve the duty cycle too. A chunk that took
 * {@code t} is followed by a wait of {@code t * (1 - duty) / duty}. An application that does not write
 * gets the backfill at full speed; a busy one keeps its average copy time near its level without the
 * backfill, at the cost of a longer backfill.
 *
 * @param rowsPerSecond the most source rows copied per second on average; 0 for no limit
 * @param chunkTime the time each chunk should take
 * @param initialChunkSize the rows of the first chunk
 * @param minChunkSize the fewest rows a chunk asks for
 * @param maxChunkSize the most rows a chunk asks for
 * @param backOffLatency the average copy time of the migration's dual writes above which the backfill
 *     backs off whatever the baseline; zero: never
 * @param backOffLatencyRatio how many times their baseline the dual-write copies may average, and their
 *     slowest percent take, before the backfill backs off; 0: never
 * @param backOffBaselineWindow how long the backfill copies nothing to measure the baseline copy time
 * @param backOffBaselineRefresh how old the baseline may grow, while the application writes, before it is
 *     measured again
 * @param backOffMinDutyCycle the least share of its time the backfill spends copying while it backs off
 * @param statementTimeout the longest a chunk's statement, row-lock waits included, may take
 * @param maxChunkAttempts how many times a chunk is tried before the backfill fails
 * @param progressLogInterval the least time between two INFO progress lines
 */
@Beta
public record BackfillConfig(long rowsPerSecond, Duration chunkTime, int initialChunkSize, int minChunkSize,
                             int maxChunkSize, Duration backOffLatency, double backOffLatencyRatio,
                             Duration backOffBaselineWindow, Duration backOffBaselineRefresh, double backOffMinDutyCycle,
                             Duration statementTimeout, int maxChunkAttempts, Duration progressLogInterval) {
    private static final BackfillConfig DEFAULTS = custom().build();

    /**
     * Checks every value with the builder's setters.
     *
     * @throws CutoverConfigurationException if a value is out of range
     * @throws NullPointerException if a value is null
     */
    public BackfillConfig {
        Builder.holding(rowsPerSecond, chunkTime, initialChunkSize, minChunkSize, maxChunkSize, backOffLatency,
                backOffLatencyRatio, backOffBaselineWindow, backOffBaselineRefresh, backOffMinDutyCycle, statementTimeout,
                maxChunkAttempts, progressLogInterval);
    }

    /**
     * @return the defaults: no rate limit, 0.5 s chunks of 10 to 10,000 rows starting at 1,000, back-off
     *     while copies average over 1.25 times their baseline (measured for 0.5 s every 30 s) or over
     *     100 ms, or while over 1% of the write steps take over 1.25 times their 99th percentile
     *     without the backfill, down to a duty cycle of 0.05
     */
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
        return Builder.holding(config.rowsPerSecond, config.chunkTime, config.initialChunkSize, config.minChunkSize,
                config.maxChunkSize, config.backOffLatency, config.backOffLatencyRatio, config.backOffBaselineWindow,
                config.backOffBaselineRefresh, config.backOffMinDutyCycle, config.statementTimeout,
                config.maxChunkAttempts, config.progressLogInterval);
    }

    /** Builds a {@link BackfillConfig}; not thread-safe. */
    public static final class Builder {
        private long rowsPerSecond;
        private Duration chunkTime = Duration.ofMillis(500);
        private int initialChunkSize = 1_000;
        private int minChunkSize = 10;
        private int maxChunkSize = 10_000;
        private Duration backOffLatency = Duration.ofMillis(100);
        private double backOffLatencyRatio = 1.25;
        private Duration backOffBaselineWindow = Duration.ofMillis(500);
        private Duration backOffBaselineRefresh = Duration.ofSeconds(30);
        private double backOffMinDutyCycle = 0.05;
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
         *     values, so fewer for wide tables; into a PostgreSQL target at most 1,000, one advisory lock
         *     per row, see {@link Backfill})
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
         * Backs off whatever the baseline while the migration's dual-write copies average more than this
         * since the last decision (see {@link BackfillConfig} for the back-off).
         *
         * @param latency 0 (only the relative back-off) to 1 min; default 100 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffLatency(Duration latency) {
            this.backOffLatency = Checks.between("backOffLatency", latency, Duration.ZERO, Duration.ofMinutes(1));
            return this;
        }

        /**
         * Backs off while the migration's dual-write copies average more than this many times their
         * baseline, their average without the backfill, or while more than 1% of their steps take
         * more than this many times the 99th percentile without the backfill (see
         * {@link BackfillConfig}). Lower protects the application's latency more and slows the
         * backfill more.
         *
         * @param ratio 0 (no relative back-off, and no baseline windows) or 1.05 to 10; default 1.25
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffLatencyRatio(double ratio) {
            if (ratio != 0 && !(ratio >= 1.05 && ratio <= 10)) {
                throw new CutoverConfigurationException("backOffLatencyRatio must be 0 (off) or between 1.05 and 10,"
                        + " but was " + ratio + ": set a value in that range");
            }
            this.backOffLatencyRatio = ratio;
            return this;
        }

        /**
         * How long the backfill copies nothing, before its first chunk and at each refresh, to measure
         * the baseline: the copies that finish in its last three quarters (the first lets copies slowed
         * by the last chunk finish); it needs 5 of them to set one.
         *
         * @param window 50 ms to 1 min; default 500 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffBaselineWindow(Duration window) {
            this.backOffBaselineWindow = Checks.between("backOffBaselineWindow", window, Duration.ofMillis(50),
                    Duration.ofMinutes(1));
            return this;
        }

        /**
         * How old the baseline may grow before it is measured again, so that it follows the
         * application's load; only when the application wrote since the last measurement.
         *
         * @param refresh 1 s to 1 h; default 30 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffBaselineRefresh(Duration refresh) {
            this.backOffBaselineRefresh = Checks.between("backOffBaselineRefresh", refresh, Duration.ofSeconds(1),
                    Duration.ofHours(1));
            return this;
        }

        /**
         * The least share of its time the backfill spends copying while it backs off, so that it always
         * progresses: at 0.05, a 0.5 s chunk is followed by a wait of up to 9.5 s.
         *
         * @param duty 0.01 to 1 (1: never wait); default 0.05
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder backOffMinDutyCycle(double duty) {
            this.backOffMinDutyCycle = Checks.between("backOffMinDutyCycle", duty, 0.01, 1.0);
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
            return new BackfillConfig(rowsPerSecond, chunkTime, initialChunkSize, minChunkSize, maxChunkSize, backOffLatency,
                    backOffLatencyRatio, backOffBaselineWindow, backOffBaselineRefresh, backOffMinDutyCycle,
                    statementTimeout, maxChunkAttempts, progressLogInterval);
        }

        // The one path from values to a builder: the canonical constructor checks through it, from() copies through it.
        private static Builder holding(long rowsPerSecond, Duration chunkTime, int initialChunkSize, int minChunkSize,
                int maxChunkSize, Duration backOffLatency, double backOffLatencyRatio, Duration backOffBaselineWindow,
                Duration backOffBaselineRefresh, double backOffMinDutyCycle, Duration statementTimeout,
                int maxChunkAttempts, Duration progressLogInterval) {
            return new Builder().rowsPerSecond(rowsPerSecond).chunkTime(chunkTime)
                    .chunkSize(minChunkSize, initialChunkSize, maxChunkSize).backOffLatency(backOffLatency)
                    .backOffLatencyRatio(backOffLatencyRatio).backOffBaselineWindow(backOffBaselineWindow)
                    .backOffBaselineRefresh(backOffBaselineRefresh).backOffMinDutyCycle(backOffMinDutyCycle)
                    .statementTimeout(statementTimeout).maxChunkAttempts(maxChunkAttempts)
                    .progressLogInterval(progressLogInterval);
        }
    }
}
