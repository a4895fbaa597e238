package dev.cutover.dualwrite;

import dev.cutover.common.CutoverException;

/**
 * A write was made on the primary, but its copy to the other side could neither be made nor queued
 * in the retry-queue: the copy failed (or was not tried, for a key the asynchronous mirror's backlog had
 * no room for) and the retry-queue's store refused the entry. Acknowledging the call would leave the
 * other side without the write and nothing owing it, so the call fails instead. The write may or may not
 * persist on the primary; the other side lacks it until the key is written again or the
 * {@code Verifier} repairs it. Make the retry-queue's store reachable (it lives in the source database by
 * default), then check the key's row before retrying a call that is not idempotent.
 */
public class UnmirroredWriteException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened, naming the keys */
    public UnmirroredWriteException(String message) {
        super(message);
    }
}
