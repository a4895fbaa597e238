package dev.cutover.queue;

/**
 * Where an entry stands. An entry leaves the queue only when replayed or discarded.
 *
 * <p>A stored status that is none of these (a row written by hand, damaged, or written by a newer
 * version) counts as {@link #PARKED}: the entry keeps its place at the head of its key, so the key's
 * later entries wait behind it, because it may stand for a write that they must not overtake; it is
 * listed among the parked entries and can be requeued or discarded; the queue's workers mark it
 * parked, with the stored value in its last error, log it once at ERROR and count it in
 * {@code cutover.retry.queue.unreadable}. Other keys are not affected.
 */
public enum EntryStatus {
    /** Waiting for a replay, possibly leased by a worker right now or backing off after a failure. */
    PENDING,
    /**
     * Dead-lettered after its last allowed attempt or a non-retryable failure. It stays, blocking
     * only its own key, until an operator requeues or discards it.
     */
    PARKED
}
