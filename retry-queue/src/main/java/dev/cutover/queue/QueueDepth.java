package dev.cutover.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Counts for one migration's entries at one moment.
 *
 * @param pending entries waiting for a replay (leased ones included)
 * @param parked entries parked for an operator
 * @param oldestPendingCreatedAt when the oldest pending entry was enqueued, empty if none is pending:
 *     how far the target lags behind the source
 */
public record QueueDepth(long pending, long parked, Optional<Instant> oldestPendingCreatedAt) {
    /**
     * Checks the components.
     *
     * @throws NullPointerException if oldestPendingCreatedAt is null
     */
    public QueueDepth {
        Objects.requireNonNull(oldestPendingCreatedAt, "null oldestPendingCreatedAt");
    }
}
