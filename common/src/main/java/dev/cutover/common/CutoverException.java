package dev.cutover.common;

/**
 * Root of every unchecked exception Cutover throws on its own account.
 *
 * <p>Exceptions raised by the application's own DAOs or JDBC drivers are never wrapped in this
 * type; they reach the caller unchanged. Subclasses name the module-specific failure, so callers
 * can catch either a precise problem or everything Cutover raises.
 */
public class CutoverException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the problem and, where there is one, the fix.
     *
     * @param message what went wrong and what to do about it
     */
    public CutoverException(String message) {
        super(message);
    }

    /**
     * Creates an exception caused by another one.
     *
     * @param message what went wrong and what to do about it
     * @param cause the underlying failure
     */
    public CutoverException(String message, Throwable cause) {
        super(message, cause);
    }
}
