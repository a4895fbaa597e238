package dev.cutover.dualwrite;

import dev.cutover.common.CutoverException;

/**
 * A backfill that refused to start or stopped on a failure: the migration is not in a stage whose
 * primary is the source and that writes both sides, the stage moved while it ran, or a chunk kept
 * failing. Its checkpoint stays at the last finished chunk, so a later run resumes there.
 */
public class BackfillException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and what to do about it
     */
    public BackfillException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying failure
     */
    public BackfillException(String message, Throwable cause) {
        super(message, cause);
    }
}
