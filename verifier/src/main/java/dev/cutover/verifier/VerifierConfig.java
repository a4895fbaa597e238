package dev.cutover.verifier;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@link Verifier} paces and judges a run. Immutable and thread-safe; build with
 * {@link #custom()} or take {@link #ofDefaults()}. The canonical constructor checks its values with the
 * builder's own setters, so a config made either way obeys the same rules.
 *
 * @param chunkSize source rows per chunk
 * @param rowsPerSecond the most source rows compared per second; 0 for no limit
 * @param pauseBetweenChunks the pause after each chunk
 * @param recheckDelay the wait before a differing key is re-checked
 * @param recheckAttempts how many times a differing key is re-checked before it is reported
 * @param timestampPrecision the unit below which timestamps and times count as equal
 * @param progressLogInterval how often a progress line is logged
 * @param statementTimeout the query timeout of every statement, which also bounds a re-check's wait for a
 *     row lock
 * @param maxListedDifferences how many differing keys a table's report lists; more are counted, not listed
 * @param revealValues whether a difference's {@link RowDifference#reason() reason} shows the differing values
 *     (and an unconvertible row's conversion error); default false: reports, checkpoints and logs name
 *     keys and columns, never values
 */
public record VerifierConfig(int chunkSize, long rowsPerSecond, Duration pauseBetweenChunks, Duration recheckDelay,
                             int recheckAttempts, ChronoUnit timestampPrecision, Duration progressLogInterval,
                             Duration statementTimeout, int maxListedDifferences, boolean revealValues) {
    private static final Set<ChronoUnit> PRECISIONS = Set.of(ChronoUnit.SECONDS, ChronoUnit.MILLIS, ChronoUnit.MICROS,
            ChronoUnit.NANOS);
    private static final VerifierConfig DEFAULTS = custom().build();

    /**
     * Checks every value with the builder's setters.
     *
     * @throws CutoverConfigurationException if a value is out of range
     * @throws NullPointerException if a value is null
     */
    public VerifierConfig {
        Builder.holding(chunkSize, rowsPerSecond, pauseBetweenChunks, recheckDelay, recheckAttempts, timestampPrecision,
                progressLogInterval, statementTimeout, maxListedDifferences, revealValues);
    }

    /** @return the defaults described on each {@link Builder} method */
    public static VerifierConfig ofDefaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * A builder starting from another configuration.
     *
     * @param base the configuration to start from
     * @return the builder
     */
    public static Builder from(VerifierConfig base) {
        Objects.requireNonNull(base, "null base");
        return Builder.holding(base.chunkSize, base.rowsPerSecond, base.pauseBetweenChunks, base.recheckDelay,
                base.recheckAttempts, base.timestampPrecision, base.progressLogInterval, base.statementTimeout,
                base.maxListedDifferences, base.revealValues);
    }

    /** Builds a {@link VerifierConfig}; not thread-safe. */
    public static final class Builder {
        private int chunkSize = 10_000;
        private long rowsPerSecond;
        private Duration pauseBetweenChunks = Duration.ZERO;
        private Duration recheckDelay = Duration.ofMillis(500);
        private int recheckAttempts = 2;
        private ChronoUnit timestampPrecision = ChronoUnit.MICROS;
        private Duration progressLogInterval = Duration.ofSeconds(10);
        private Duration statementTimeout = Duration.ofSeconds(60);
        private int maxListedDifferences = 10_000;
        private boolean revealValues;

        private Builder() {
        }

        /**
         * Sets how many source rows one chunk holds: the unit of checksums, of row-by-row
         * comparison and of checkpoints. A chunk's rows are held in memory when it is compared row by row.
         *
         * @param rows 1 to 100,000; default 10,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder chunkSize(int rows) {
            this.chunkSize = Checks.between("chunkSize", rows, 1, 100_000);
            return this;
        }

        /**
         * Limits the pace of a run to spare a busy database; the run sleeps between chunks to keep
         * its average at or below the limit.
         *
         * @param rows the most source rows compared per second, up to 1,000,000,000, or 0 for no
         *     limit; default 0
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder rowsPerSecond(long rows) {
            this.rowsPerSecond = Checks.between("rowsPerSecond", rows, 0, 1_000_000_000);
            return this;
        }

        /**
         * Sets a pause after every chunk, on top of the {@link #rowsPerSecond} limit.
         *
         * @param pause 0 to 1 minute; default 0
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder pauseBetweenChunks(Duration pause) {
            this.pauseBetweenChunks = Checks.between("pauseBetweenChunks", pause, Duration.ZERO, Duration.ofMinutes(1));
            return this;
        }

        /**
         * Sets how long to wait before re-checking a key that differed, so that a write in flight
         * (committed on the source, its mirror copy not yet on the target) can land. Set it above the
         * mirror's usual delay; while the retry-queue lags, keys it holds may still be reported.
         *
         * @param delay 0 to 10 minutes; default 500 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder recheckDelay(Duration delay) {
            this.recheckDelay = Checks.between("recheckDelay", delay, Duration.ZERO, Duration.ofMinutes(10));
            return this;
        }

        /**
         * Sets how many times a differing key is re-checked (after {@link #recheckDelay} each time)
         * before it is reported; a key reported has differed at every look.
         *
         * @param attempts 1 to 10; default 2
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder recheckAttempts(int attempts) {
            this.recheckAttempts = Checks.between("recheckAttempts", attempts, 1, 10);
            return this;
        }

        /**
         * Sets the precision at which timestamps and times are compared: two values count as equal
         * when they are less than one unit apart, so a target column with fewer fractional digits
         * (rounded or truncated) matches. Timestamps without a time zone are read as UTC.
         *
         * @param unit {@code SECONDS}, {@code MILLIS}, {@code MICROS} or {@code NANOS}; default {@code MICROS}
         * @return this builder
         * @throws CutoverConfigurationException for another unit
         */
        public Builder timestampPrecision(ChronoUnit unit) {
            Objects.requireNonNull(unit, "null timestampPrecision");
            if (!PRECISIONS.contains(unit)) {
                throw new CutoverConfigurationException("timestampPrecision must be SECONDS, MILLIS, MICROS or NANOS, but was "
                        + unit + ": pick the finest unit both sides store");
            }
            this.timestampPrecision = unit;
            return this;
        }

        /**
         * Sets how often a run logs a progress line (rows done, rows per second, time left) at INFO.
         *
         * @param interval 1 second to 1 hour; default 10 seconds
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder progressLogInterval(Duration interval) {
            this.progressLogInterval = Checks.between("progressLogInterval", interval, Duration.ofSeconds(1),
                    Duration.ofHours(1));
            return this;
        }

        /**
         * Sets the query timeout of every statement, rounded up to whole seconds; it also bounds
         * how long a re-check waits for the source row lock.
         *
         * @param timeout 1 second to 1 hour; default 60 seconds
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder statementTimeout(Duration timeout) {
            this.statementTimeout = Checks.between("statementTimeout", timeout, Duration.ofSeconds(1), Duration.ofHours(1));
            return this;
        }

        /**
         * Limits how many differing keys each table's report (and checkpoint) lists, so that a target
         * missing millions of rows does not fill the memory; keys beyond it are counted in
         * {@link TableReport#unlistedDifferences()} and still repaired.
         *
         * @param keys 0 to 1,000,000; default 10,000
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder maxListedDifferences(int keys) {
            this.maxListedDifferences = Checks.between("maxListedDifferences", keys, 0, 1_000_000);
            return this;
        }

        /**
         * Shows the differing values in each difference's reason (source and target value per
         * differing column) and the conversion error of an unconvertible row. The report, its JSON,
         * the checkpoints and the logs then hold row values: only for debugging on data that is not
         * personal.
         *
         * @param reveal default false
         * @return this builder
         */
        public Builder revealValues(boolean reveal) {
            this.revealValues = reveal;
            return this;
        }

        /** @return the configuration */
        public VerifierConfig build() {
            return new VerifierConfig(chunkSize, rowsPerSecond, pauseBetweenChunks, recheckDelay, recheckAttempts,
                    timestampPrecision, progressLogInterval, statementTimeout, maxListedDifferences, revealValues);
        }

        // The one path from values to a builder: the canonical constructor checks through it, from() copies through it.
        private static Builder holding(int chunkSize, long rowsPerSecond, Duration pauseBetweenChunks, Duration recheckDelay,
                int recheckAttempts, ChronoUnit timestampPrecision, Duration progressLogInterval, Duration statementTimeout,
                int maxListedDifferences, boolean revealValues) {
            return new Builder().chunkSize(chunkSize).rowsPerSecond(rowsPerSecond).pauseBetweenChunks(pauseBetweenChunks)
                    .recheckDelay(recheckDelay).recheckAttempts(recheckAttempts).timestampPrecision(timestampPrecision)
                    .progressLogInterval(progressLogInterval).statementTimeout(statementTimeout)
                    .maxListedDifferences(maxListedDifferences).revealValues(revealValues);
        }
    }
}
