package dev.cutover.common.internal;

import dev.cutover.common.CutoverConfigurationException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The one way every Cutover builder checks its settings, in the setter that takes them, so that a
 * bad value fails where it is set. Every refusal is a {@link CutoverConfigurationException} worded
 * the same way: {@code <setting> must be between <min> and <max>, but was <value>}, with durations
 * written as people write them ({@code 250 ms}, {@code 10 s}, {@code 2 min}) and counts with
 * thousands separators ({@code 10,000}).
 */
public final class Checks {
    private Checks() {
    }

    /**
     * Checks a count.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the least allowed
     * @param max the most allowed
     * @return the value
     * @throws CutoverConfigurationException if it is out of range
     */
    public static int between(String name, int value, int min, int max) {
        return (int) between(name, (long) value, min, max);
    }

    /**
     * Checks a count.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the least allowed
     * @param max the most allowed
     * @return the value
     * @throws CutoverConfigurationException if it is out of range
     */
    public static long between(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw outOfRange(name, format(value), "between " + format(min) + " and " + format(max));
        }
        return value;
    }

    /**
     * Checks a ratio or percentage; NaN and infinities are refused.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the least allowed
     * @param max the most allowed
     * @return the value
     * @throws CutoverConfigurationException if it is out of range
     */
    public static double between(String name, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw outOfRange(name, format(value), "between " + format(min) + " and " + format(max));
        }
        return value;
    }

    /**
     * Checks a tolerance or ratio that has no upper bound of its own; NaN and infinities are refused.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the least allowed
     * @return the value
     * @throws CutoverConfigurationException if it is smaller or not finite
     */
    public static double atLeast(String name, double value, double min) {
        if (!(value >= min && Double.isFinite(value))) {
            throw outOfRange(name, format(value), "a finite number of at least " + format(min));
        }
        return value;
    }

    /**
     * Checks a fraction that must stay below its bound, such as a jitter below 1.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the least allowed
     * @param bound the first value refused above
     * @return the value
     * @throws CutoverConfigurationException if it is out of range
     */
    public static double atLeastAndBelow(String name, double value, double min, double bound) {
        if (!(value >= min && value < bound)) {
            throw outOfRange(name, format(value), "at least " + format(min) + " and below " + format(bound));
        }
        return value;
    }

    /**
     * Checks a duration.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the shortest allowed
     * @param max the longest allowed
     * @return the value
     * @throws NullPointerException if the value is null
     * @throws CutoverConfigurationException if it is out of range
     */
    public static Duration between(String name, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, () -> "null " + name);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw outOfRange(name, format(value), "between " + format(min) + " and " + format(max));
        }
        return value;
    }

    /**
     * Checks a duration that has no upper bound of its own.
     *
     * @param name the setting, as its setter is named
     * @param value the value set
     * @param min the shortest allowed
     * @return the value
     * @throws NullPointerException if the value is null
     * @throws CutoverConfigurationException if it is shorter
     */
    public static Duration atLeast(String name, Duration value, Duration min) {
        Objects.requireNonNull(value, () -> "null " + name);
        if (value.compareTo(min) < 0) {
            throw outOfRange(name, format(value), "at least " + format(min));
        }
        return value;
    }

    /**
     * Checks that a name may be placed into SQL text as an unquoted identifier or part of one.
     *
     * @param name the name to check; may be empty (e.g. no table prefix)
     * @param what what the name is, for the error message
     * @return the name
     * @throws NullPointerException if the name is null
     * @throws CutoverConfigurationException if it holds anything but ASCII letters, digits and
     *     underscores, starts with a digit or is longer than 48 characters
     */
    public static String identifier(String name, String what) {
        Objects.requireNonNull(name, () -> "null " + what);
        if (!name.matches("([A-Za-z_][A-Za-z0-9_]*)?") || name.length() > 48) {
            throw new CutoverConfigurationException(what + " must be at most 48 ASCII letters, digits or underscores,"
                    + " not starting with a digit, but was '" + name + "': Cutover writes it into SQL unquoted");
        }
        return name;
    }

    /**
     * Writes a duration the way the messages and the Javadoc do: in the largest unit that holds it
     * whole, such as {@code 250 ms}, {@code 10 s}, {@code 2 min}, {@code 1 h} or {@code 1500 ms}.
     *
     * @param duration the duration
     * @return its text
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        if (duration.isZero()) {
            return "0 s";
        }
        long nanos = duration.getNano();
        long seconds = duration.getSeconds();
        if (nanos == 0) {
            if (seconds % 86_400 == 0) {
                return seconds / 86_400 == 1 ? "1 day" : format(seconds / 86_400) + " days";
            }
            if (seconds % 3_600 == 0) {
                return format(seconds / 3_600) + " h";
            }
            if (seconds % 60 == 0) {
                return format(seconds / 60) + " min";
            }
            return format(seconds) + " s";
        }
        if (seconds < Long.MAX_VALUE / 1_000_000_000L) {
            long total = seconds * 1_000_000_000L + nanos;
            if (total % 1_000_000 == 0) {
                return format(total / 1_000_000) + " ms";
            }
            if (total % 1_000 == 0) {
                return format(total / 1_000) + " µs";
            }
            return format(total) + " ns";
        }
        return duration.toString();
    }

    private static String format(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    private static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return format((long) value);
        }
        return String.valueOf(value);
    }

    private static CutoverConfigurationException outOfRange(String name, String value, String allowed) {
        return new CutoverConfigurationException(name + " must be " + allowed + ", but was " + value
                + ": set a value in that range");
    }
}
