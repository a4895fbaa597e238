package dev.cutover.flags;

import dev.cutover.common.CutoverException;

/**
 * A compare-and-set flip lost: someone else stored a newer state of the migration since the
 * expected state was read. {@link MigrationFlags} retries such flips on a fresh state; callers of
 * {@link FlagStore#save} directly should do the same.
 */
public final class ConcurrentFlipException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the migration and the expected version
     */
    public ConcurrentFlipException(String message) {
        super(message);
    }

    /**
     * Creates the exception for a flip that kept losing.
     *
     * @param message names the migration and how often the flip was tried
     * @param cause the last lost compare-and-set
     */
    public ConcurrentFlipException(String message, Throwable cause) {
        super(message, cause);
    }
}
