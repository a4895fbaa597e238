package dev.cutover.flags;

import dev.cutover.common.Dialect;
import java.time.Clock;
import java.util.Objects;

/**
 * Immutable settings of a {@link JdbcFlagStore}. Build with {@link #custom()}, or take
 * {@link #ofDefaults()}. Immutable and thread-safe.
 */
public final class JdbcFlagStoreConfig {
    /** The default table prefix. */
    public static final String DEFAULT_TABLE_PREFIX = "cutover_";
    private static final JdbcFlagStoreConfig DEFAULTS = custom().build();

    private final String tablePrefix;
    private final Clock clock;

    private JdbcFlagStoreConfig(Builder builder) {
        this.tablePrefix = builder.tablePrefix;
        this.clock = builder.clock;
    }

    /** @return the defaults: table prefix {@value #DEFAULT_TABLE_PREFIX}, the UTC system clock */
    public static JdbcFlagStoreConfig ofDefaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /** @return the prefix of both table names, e.g. {@code cutover_} for {@code cutover_flag_state} */
    public String tablePrefix() {
        return tablePrefix;
    }

    /** @return the clock that stamps audit entries */
    public Clock clock() {
        return clock;
    }

    /** Builds a {@link JdbcFlagStoreConfig}; not thread-safe. */
    public static final class Builder {
        private String tablePrefix = DEFAULT_TABLE_PREFIX;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * Sets the prefix of both table names, so one database can hold several sets of flags.
         *
         * @param tablePrefix up to 48 ASCII letters, digits or underscores, not starting with a digit;
         *     may be empty; default {@value JdbcFlagStoreConfig#DEFAULT_TABLE_PREFIX}
         * @return this builder
         * @throws IllegalArgumentException if the prefix is not a legal identifier part
         */
        public Builder tablePrefix(String tablePrefix) {
            this.tablePrefix = Dialect.requireIdentifier(tablePrefix, "tablePrefix");
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

        /** @return the immutable config */
        public JdbcFlagStoreConfig build() {
            return new JdbcFlagStoreConfig(this);
        }
    }
}
