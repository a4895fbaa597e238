package dev.cutover.flags;

import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.TablePrefix;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link JdbcFlagStore}. Build with {@link #custom()}, or take
 * {@link #ofDefaults()}. Immutable and thread-safe.
 */
public final class JdbcFlagStoreConfig {
    /** The default table prefix. */
    public static final String DEFAULT_TABLE_PREFIX = TablePrefix.DEFAULT;
    private static final JdbcFlagStoreConfig DEFAULTS = custom().build();

    private final String tablePrefix;
    private final Clock clock;
    private final Duration networkTimeout;

    private JdbcFlagStoreConfig(Builder builder) {
        this.tablePrefix = builder.tablePrefix;
        this.clock = builder.clock;
        this.networkTimeout = builder.networkTimeout;
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
        Builder b = new Builder();
        b.tablePrefix = base.tablePrefix;
        b.clock = base.clock;
        b.networkTimeout = base.networkTimeout;
        return b;
    }

    /** @return the prefix of both table names, e.g. {@code cutover_} for {@code cutover_flag_state} */
    public String tablePrefix() {
        return tablePrefix;
    }

    /** @return the clock that stamps audit entries */
    public Clock clock() {
        return clock;
    }

    /** @return how long the store waits for the database to answer before the call fails */
    public Duration networkTimeout() {
        return networkTimeout;
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
            return new JdbcFlagStoreConfig(this);
        }
    }
}
