package dev.cutover.dualwrite;

import dev.cutover.common.CutoverException;

/**
 * A write was made on the primary of its stage, but its copy to the other side could not be made
 * before the copy window of that primary closed: the primary moved while the write was in flight (or
 * this instance's flags could not be confirmed in time). Copying it later could overwrite writes of the
 * new primary, so it is not copied: the key is made consistent from the new primary by the
 * retry-queue, after the handover. The write may or may not persist, as a whole; retrying the call is
 * safe once it no longer fails this way.
 */
public class LateWriteException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened */
    public LateWriteException(String message) {
        super(message);
    }
}
