package dev.cutover.router;

import java.util.Objects;

/**
 * One place where the source's and the target's answers to the same read differ.
 *
 * <p>The path names the place inside the result: {@code ""} for the result itself, {@code email}
 * for a field, map entry or record component, {@code lines[2].price} inside a list or array. A
 * {@code null} value means the value is null or absent on that side (for instance an extra list
 * element).
 *
 * @param path where the values differ
 * @param sourceValue the source's value there, possibly {@link #MASK}
 * @param targetValue the target's value there, possibly {@link #MASK}
 */
public record ValueDifference(String path, Object sourceValue, Object targetValue) {
    /** What replaces a non-null value when values are masked. */
    public static final String MASK = "***";

    /**
     * Checks the path.
     *
     * @param path where the values differ
     * @param sourceValue the source's value there
     * @param targetValue the target's value there
     * @throws NullPointerException if the path is null
     */
    public ValueDifference {
        Objects.requireNonNull(path, "null path");
    }

    /** @return this difference with each non-null value replaced by {@link #MASK}; null stays null */
    public ValueDifference masked() {
        return new ValueDifference(path, sourceValue == null ? null : MASK, targetValue == null ? null : MASK);
    }

    @Override
    public String toString() {
        return (path.isEmpty() ? "(result)" : path) + ": source=" + sourceValue + ", target=" + targetValue;
    }
}
