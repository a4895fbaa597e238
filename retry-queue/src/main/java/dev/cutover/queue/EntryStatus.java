package dev.cutover.queue;

/** Where an entry stands. An entry leaves the queue only when replayed or discarded. */
public enum EntryStatus {
    /** Waiting for a replay, possibly leased by a worker right now or backing off after a failure. */
    PENDING,
    /**
     * Dead-lettered after its last allowed attempt or a non-retryable failure. It stays, blocking
     * only its own key, until an operator requeues or discards it.
     */
    PARKED
}
