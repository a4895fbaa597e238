package dev.cutover.verifier;

import dev.cutover.common.CutoverException;

/**
 * A verification run failed: a database could not be read, a checkpoint could not be stored or a
 * repair could not be queued. The run's checkpoints stay, so it can be resumed with
 * {@link Verifier#resume(String)}.
 */
public class VerifierException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong and what to do about it
     * @param cause the underlying failure
     */
    public VerifierException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong and what to do about it
     */
    public VerifierException(String message) {
        super(message);
    }
}
