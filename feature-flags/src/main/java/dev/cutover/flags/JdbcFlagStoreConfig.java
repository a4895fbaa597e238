package dev.cutover.flags;

import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.TablePrefix;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link JdbcFlagStore}. Build with {@link #custom()}, or take
 * {@link #ofDefaults()}. Immutable and thread-safe. The canonical constructor checks its values with the
 * builder's own setters, so a config made either way obeys the same rules.
 *
 * @param tablePrefix the prefix of both table names, e.g. {@code cutover_} for {@code cutover_flag_state}
 * @param clock the clock that stamps audit entries
 * @param networkTimeout how long the store waits for the database to answer before the call fails
 */
public record JdbcFlagStoreConfig(String tablePrefix, Clock clock, Duration networkTimeout) {
    /** The default table prefix. */
    public static final String DEFAULT_TABLE_PREFIX = TablePrefix.DEFAULT;
    private static final JdbcFlagStoreConfig DEFAULTS = custom().build();

    /**
     * Checks every value with the builder's setters.
     *
     * @throws dev.cutover.common.CutoverConfigurationException if a value is out of range
     * @throws NullPointerException if a value is null
     */
    public JdbcFlagStoreConfig {
        Builder.holding(tablePrefix, clock, networkTimeout);
    }

    /**
     * @return the defaults: table prefix {@value #DEFAULT_TABLE_PREFIX}, the UTC system clock, a
     *     network timeout of 5 s
     */
    public static JdbcFlagStoreConfig ofDefaults() {
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
    public static Builder from(JdbcFlagStoreConfig base) {
        Objects.requireNonNull(base, "null base");
        return Builder.holding(base.tablePrefix, base.clock, base.networkTimeout);
    }

    /** Builds a {@link JdbcFlagStoreConfig}; not thread-safe. */
    public static final class Builder {
        private String tablePrefix = DEFAULT_TABLE_PREFIX;
        private Clock clock = Clock.systemUTC();
        private Duration networkTimeout = Duration.ofSeconds(5);

        private Builder() {
        }

        /**
         * Sets the prefix of both table names, so one database can hold several sets of flags.
         *
         * @param tablePrefix up to 48 ASCII letters, digits or underscores, not starting with a digit;
         *     may be empty; default {@value JdbcFlagStoreConfig#DEFAULT_TABLE_PREFIX}
         * @return this builder
         * @throws dev.cutover.common.CutoverConfigurationException if the prefix is not a legal identifier part
         */
        public Builder tablePrefix(String tablePrefix) {
            this.tablePrefix = Checks.identifier(tablePrefix, "tablePrefix");
            return this;
        }

        /**
         * Sets the clock that stamps audit entries.
         *
         * @param clock the clock; default the UTC system clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "null clock");
            return this;
        }

        /**
         * Sets how long the store waits for the database to answer, through
         * {@link java.sql.Connection#setNetworkTimeout} on each connection it borrows (restored before
         * the connection goes back). Without it a network stall that drops packets silently would hang
         * the flags' refresh thread until the operating system gives up on the socket, and flips made
         * meanwhile would not reach this instance even after the network healed.
         *
         * @param timeout between 1 ms and 10 minutes; default 5 s
         * @return this builder
         * @throws dev.cutover.common.CutoverConfigurationException if out of range
         */
        public Builder networkTimeout(Duration timeout) {
            this.networkTimeout = Checks.between("networkTimeout", timeout, Duration.ofMillis(1), Duration.ofMinutes(10));
            return this;
        }

        /** @return the immutable config */
        public JdbcFlagStoreConfig build() {
            return new JdbcFlagStoreConfig(tablePrefix, clock, networkTimeout);
        }

        // The one path from values to a builder: the canonical constructor checks through it, from() copies through it.
        private static Builder holding(String tablePrefix, Clock clock, Duration networkTimeout) {
            return new Builder().tablePrefix(tablePrefix).clock(clock).networkTimeout(networkTimeout);
        }
    }
}
