package dev.cutover.flags;

import dev.cutover.common.CutoverException;

/** A {@link FlagStore} could not be read or written, e.g. because its database is unreachable. */
public class FlagStoreException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed and, where known, what to check
     */
    public FlagStoreException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what failed and, where known, what to check
     * @param cause the underlying failure, e.g. an {@link java.sql.SQLException}
     */
    public FlagStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
