package dev.cutover.queue;

import dev.cutover.common.CutoverException;

/**
 * Thrown by a {@link ReplayHandler} when retrying an entry cannot help, e.g. an unknown entity or an
 * operation the target rejects for good; the queue parks the entry at once with this message as its
 * last error, instead of backing off and trying again.
 */
public class NonRetryableReplayException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the entry cannot be replayed; stored as the parked entry's last error
     */
    public NonRetryableReplayException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message why the entry cannot be replayed; stored as the parked entry's last error
     * @param cause the underlying failure
     */
    public NonRetryableReplayException(String message, Throwable cause) {
        super(message, cause);
    }
}
