package dev.cutover.router;

/**
 * One read against one side of a migration, as a lambda over the application's own DAO or JDBC
 * code.
 *
 * @param <T> the result type
 */
@FunctionalInterface
public interface ReadCall<T> {
    /**
     * Runs the read.
     *
     * @return the result; may be {@code null}
     * @throws Exception whatever the application's code throws; the router passes it on unchanged
     *     when this side is the one that answers
     */
    T call() throws Exception;
}
