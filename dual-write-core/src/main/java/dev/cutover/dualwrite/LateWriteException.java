package dev.cutover.dualwrite;

import dev.cutover.common.CutoverException;

/**
 * A write could not be made and copied within the copy window of its primary: the primary moved
 * while the write was in flight (or this instance's flags could not be confirmed in time). Either
 * nothing was written (the call found out before its primary write, or rolled its transaction back;
 * the message says so), or the write was made on the primary and its copy could not be made in time.
 * Copying it later could overwrite writes of the new primary, so it is not copied: the key is made
 * consistent from the new primary by the retry-queue, after the handover. The write may or may not
 * persist, as a whole; retrying the call is safe once it no longer fails this way.
 */
public class LateWriteException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened */
    public LateWriteException(String message) {
        super(message);
    }
}
