package dev.cutover.verifier;

import dev.cutover.common.CutoverException;

/**
 * A verification run failed: a database could not be read, a checkpoint could not be stored or a
 * repair could not be queued. The run's checkpoints stay, so it can be resumed with
 * {@link Verifier#resume(String)}.
 */
public class VerifierException extends CutoverException {
    private static final long serialVersionUID = 1L;

    private final String runId;

    /**
     * Creates the exception of a run that failed.
     *
     * @param message what went wrong and what to do about it
     * @param runId the run, to resume; null if none had started
     * @param cause the underlying failure
     */
    public VerifierException(String message, String runId, Throwable cause) {
        super(message, cause);
        this.runId = runId;
    }

    /**
     * Creates the exception of a failure outside a run.
     *
     * @param message what went wrong and what to do about it
     */
    public VerifierException(String message) {
        super(message);
        this.runId = null;
    }

    /** @return the run that failed, to pass to {@link Verifier#resume(String)}; null if no run had started */
    public String runId() {
        return runId;
    }
}
