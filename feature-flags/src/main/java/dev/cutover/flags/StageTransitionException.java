package dev.cutover.flags;

import dev.cutover.common.CutoverException;

/** A requested stage change is not allowed, such as a forward jump that skips a stage. */
public final class StageTransitionException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the stages involved and the way forward
     */
    public StageTransitionException(String message) {
        super(message);
    }
}
