package dev.cutover.router;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import dev.cutover.router.internal.ValueDiffer;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The default {@link ResultComparator}: compares results as values, walking into them.
 *
 * <ul>
 *   <li>Records (by component), maps (by key; an absent key equals a null value), lists, arrays and
 *       other collections (by position, or as multisets when {@link Builder#unorderedLists(boolean)}),
 *       sets (always as multisets), {@link java.util.Optional}s (by content), and plain objects (by
 *       public getters {@code getX()/isX()}, or by fields when there are none).
 *   <li>Numbers by value across types ({@code Integer 5} equals {@code Long 5}); decimals ignore
 *       scale unless told otherwise ({@code 1.50} equals {@code 1.5}); {@code double}/{@code float}
 *       within an optional epsilon.
 *   <li>Date and time values: {@code java.sql} types are compared as their {@code java.time}
 *       counterparts; zoned values are compared as instants unless time zone normalisation is
 *       switched off; an optional precision tolerates the coarser fractional seconds of some engines.
 *   <li>Strings, enums, booleans and other JDK types by {@code equals}.
 * </ul>
 *
 * <p>Paths: {@code ""} is the result itself, {@code name} a field, record component or map key,
 * {@code rows[3].name} a position in a list or array. Nesting deeper than 64 levels is compared by
 * {@code equals}. Immutable and thread-safe.
 */
public final class ValueComparator implements ResultComparator {
    private static final ValueComparator DEFAULTS = custom().build();

    private final ValueDiffer differ;

    private ValueComparator(Builder b) {
        this.differ = new ValueDiffer(b.ignoredFields, b.unorderedLists, b.ignoreNumericScale, b.doubleEpsilon,
                b.timestampPrecision, b.normaliseTimeZones);
    }

    /** @return the comparator with every option at its default */
    public static ValueComparator ofDefaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder custom() {
        return new Builder();
    }

    @Override
    public List<ValueDifference> compare(Object source, Object target) {
        return differ.differences(source, target);
    }

    /** Builds a {@link ValueComparator}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final Set<String> ignoredFields = new LinkedHashSet<>();
        private boolean unorderedLists;
        private boolean ignoreNumericScale = true;
        private double doubleEpsilon;
        private ChronoUnit timestampPrecision;
        private boolean normaliseTimeZones = true;

        private Builder() {
        }

        /**
         * Leaves fields out of the comparison. A plain name ({@code updatedAt}) ignores that field,
         * component or map key at any depth; a dotted path ({@code customer.updatedAt},
         * {@code lines.price}) ignores exactly that place, in every element of the lists on the way
         * (list positions in paths are written as {@code lines[]}, {@code lines[*]} or left out).
         *
         * @param fields names or paths
         * @return this builder
         * @throws CutoverConfigurationException if a name is blank
         */
        public Builder ignoreFields(String... fields) {
            for (String field : fields) {
                Objects.requireNonNull(field, "null field");
                if (field.isBlank()) {
                    throw new CutoverConfigurationException("ignoreFields must not contain blank names: pass field"
                            + " names such as updatedAt, or paths such as customer.updatedAt");
                }
                ignoredFields.add(field);
            }
            return this;
        }

        /**
         * Whether lists, arrays and other non-set collections are compared as multisets, ignoring
         * order (for queries without {@code ORDER BY}). Unmatched elements are then paired in order
         * and reported at the source element's position.
         *
         * @param unordered default false
         * @return this builder
         */
        public Builder unorderedLists(boolean unordered) {
            this.unorderedLists = unordered;
            return this;
        }

        /**
         * Whether decimals equal in value but not in scale are equal ({@code 1.50} and {@code 1.5}).
         *
         * @param ignore default true
         * @return this builder
         */
        public Builder ignoreNumericScale(boolean ignore) {
            this.ignoreNumericScale = ignore;
            return this;
        }

        /**
         * The largest absolute difference at which two values are equal when either is a
         * {@code double} or {@code float}.
         *
         * @param epsilon 0 or more, finite; default 0 (exactly equal)
         * @return this builder
         * @throws CutoverConfigurationException if negative or not finite
         */
        public Builder doubleEpsilon(double epsilon) {
            this.doubleEpsilon = Checks.atLeast("doubleEpsilon", epsilon, 0);
            return this;
        }

        /**
         * The precision at which times are compared: two times are equal when they are less than one
         * unit apart, which tolerates both truncating (MariaDB) and rounding (MySQL) of fractional
         * seconds. For example {@link ChronoUnit#MILLIS} when the source keeps microseconds and the
         * target milliseconds.
         *
         * @param unit one of {@code NANOS, MICROS, MILLIS, SECONDS}, or {@code null} for exact; default exact
         * @return this builder
         * @throws CutoverConfigurationException for other units
         */
        public Builder timestampPrecision(ChronoUnit unit) {
            if (unit != null && unit != ChronoUnit.NANOS && unit != ChronoUnit.MICROS && unit != ChronoUnit.MILLIS
                    && unit != ChronoUnit.SECONDS) {
                throw new CutoverConfigurationException("timestampPrecision must be one of NANOS, MICROS, MILLIS,"
                        + " SECONDS or null, but was " + unit + ": pick the finest unit both sides store");
            }
            this.timestampPrecision = unit;
            return this;
        }

        /**
         * Whether {@code OffsetDateTime}, {@code ZonedDateTime}, {@code Instant} and
         * {@code java.util.Date} are compared as instants, so that {@code 12:00+02:00} equals
         * {@code 10:00Z}. Off, offsets and zones must match too.
         *
         * @param normalise default true
         * @return this builder
         */
        public Builder normaliseTimeZones(boolean normalise) {
            this.normaliseTimeZones = normalise;
            return this;
        }

        /** @return the comparator */
        public ValueComparator build() {
            return new ValueComparator(this);
        }
    }
}
