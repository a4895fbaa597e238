package dev.cutover.router;

import java.util.List;

/**
 * Compares the source's and the target's answers to the same read. Plug a custom one into
 * {@link ReadRouter.Builder#comparator(ResultComparator)}; the default is
 * {@link ValueComparator#ofDefaults()}.
 *
 * <p>Implementations must be thread-safe: the router calls them from its shadow threads. An
 * exception thrown here is caught, logged and counted as a shadow error; it never reaches the
 * reader.
 */
@FunctionalInterface
public interface ResultComparator {
    /**
     * Lists where two results differ.
     *
     * @param source the source's result, possibly null
     * @param target the target's result, possibly null
     * @return the differences with their real values (the router masks them), empty when the results
     *     agree; never null
     */
    List<ValueDifference> compare(Object source, Object target);
}
