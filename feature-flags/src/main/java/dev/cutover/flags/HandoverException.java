package dev.cutover.flags;

import dev.cutover.common.CutoverException;

/**
 * A write of a migration waited for the handover of a primary move longer than
 * {@link MigrationFlags.Builder#maxHandoverWait}; nothing of it was written. The message names what
 * is still missing and the fix.
 */
public class HandoverException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /** @param message what is missing and the fix */
    public HandoverException(String message) {
        super(message);
    }

    /**
     * @param message what is missing and the fix
     * @param cause the last failure of a handover step, or null
     */
    public HandoverException(String message, Throwable cause) {
        super(message, cause);
    }
}
