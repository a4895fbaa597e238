package dev.cutover.dualwrite;

import dev.cutover.flags.Side;
import dev.cutover.flags.WritePermit;
import dev.cutover.queue.RetryQueue;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mirroring mechanism of both wrapping styles (repository proxy and {@link CutoverDataSource}):
 * after the primary committed, each written key is copied with {@link KeyResync}, queued behind the
 * key's pending entries, and a copy that fails becomes a {@code RESYNC} entry of the retry-queue.
 * Thread-safe.
 */
final class Mirror {
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);

    private final String migration;
    private final RetryQueue queue;
    private final KeyResync resync;
    private final DualWriteStats stats;
    private final CircuitBreaker breaker;

    Mirror(String migration, RetryQueue queue, KeyResync resync, DualWriteStats stats, CircuitBreaker breaker) {
        this.migration = migration;
        this.queue = queue;
        this.resync = resync;
        this.stats = stats;
        this.breaker = breaker;
    }

    /**
     * The breaker both wrapping styles use when the application gives none: it opens after half of
     * the last 20 copies failed (5 at least), so that during a target outage keys go straight to the
     * queue instead of each waiting for the copy's timeout.
     */
    static CircuitBreaker defaultBreaker(String migration) {
        return CircuitBreaker.of("cutover-mirror-" + migration, CircuitBreakerConfig.custom()
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(2))
                .permittedNumberOfCallsInHalfOpenState(3)
                .build());
    }

    /**
     * Checks the delay after which a durable crash-safety entry (intent or outbox entry) becomes due.
     *
     * @param name the option's name, for the message
     * @return the delay
     * @throws IllegalArgumentException if it is not between 100 ms and 1 h
     */
    static Duration requireEntryDelay(String name, Duration delay) {
        Objects.requireNonNull(delay, "null " + name);
        if (delay.compareTo(Duration.ofMillis(100)) < 0 || delay.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException(name + " must be between 100 ms and 1 h, but was " + delay);
        }
        return delay;
    }

    String migration() {
        return migration;
    }

    DualWriteStats stats() {
        return stats;
    }

    /** Mirrors a key the primary committed: queued behind its pending entries, else copied, else queued. */
    void mirror(String entity, String key, Side from) {
        if (pending(entity, key)) {
            stats.deferredBehindPending(from.other());
            enqueue(entity, key, from);
            return;
        }
        if (!copy(entity, key, from)) {
            enqueue(entity, key, from);
        }
    }

    /** Copies a key directly through the circuit breaker; @return false if it was not copied */
    boolean copy(String entity, String key, Side from) {
        if (!breaker.tryAcquirePermission()) {
            stats.mirrorFailed(from.other());
            return false;
        }
        long start = breaker.getCurrentTimestamp();
        try {
            resync.resync(entity, key, from);
            long duration = breaker.getCurrentTimestamp() - start;
            breaker.onSuccess(duration, breaker.getTimestampUnit());
            stats.mirrored(from.other(), breaker.getTimestampUnit().toNanos(duration));
            return true;
        } catch (Exception e) {
            breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), e);
            stats.mirrorFailed(from.other());
            LOG.warn("Mirror of {}/{}/{} to the {} failed, left to the retry-queue: {}", migration, entity, key,
                    from.other().name().toLowerCase(Locale.ROOT), e.toString());
            return false;
        }
    }

    // ---- within a primary epoch's copy window (the fenced handover, see MigrationFlags#beginWrite) ----

    /**
     * Mirrors a key written under a permit, as {@link #mirror(String, String, Side)} does, but copies
     * or queues it in the permit's direction only within its copy window.
     *
     * @return false if the write is late: it was not copied, and the key was queued for a copy from
     *     whichever side is primary once the handover is done
     */
    boolean mirror(String entity, String key, Side from, WritePermit permit) {
        if (pending(entity, key)) {
            stats.deferredBehindPending(from.other());
            return enqueue(entity, key, from, permit);
        }
        if (!permit.ensureBeforeDeadline()) {
            return late(entity, key, from);
        }
        CopyOutcome outcome = copy(entity, key, from, permit);
        if (outcome == CopyOutcome.LATE) {
            return late(entity, key, from);
        }
        return outcome == CopyOutcome.COPIED || enqueue(entity, key, from, permit);
    }

    /** Queues a key in the permit's direction if that is visible before its window closes; @return false if late */
    boolean enqueue(String entity, String key, Side from, WritePermit permit) {
        // The entry must be visible before the window closes, when the handover counts what is owed.
        if (!permit.ensureCopyWindow()) {
            return late(entity, key, from);
        }
        enqueue(entity, key, from);
        return permit.ensureBeforeDeadline() || late(entity, key, from);
    }

    enum CopyOutcome { COPIED, FAILED, LATE }

    /** Copies a key directly through the circuit breaker, only if the receiving side is written inside the permit's window. */
    CopyOutcome copy(String entity, String key, Side from, WritePermit permit) {
        if (!breaker.tryAcquirePermission()) {
            stats.mirrorFailed(from.other());
            return CopyOutcome.FAILED;
        }
        long start = breaker.getCurrentTimestamp();
        try {
            resync.resync(entity, key, from, permit::ensureBeforeDeadline);
            long duration = breaker.getCurrentTimestamp() - start;
            breaker.onSuccess(duration, breaker.getTimestampUnit());
            stats.mirrored(from.other(), breaker.getTimestampUnit().toNanos(duration));
            return CopyOutcome.COPIED;
        } catch (KeyResync.CopyWindowClosedException e) {
            // Not the receiving side's fault: the copy window closed.
            breaker.releasePermission();
            return CopyOutcome.LATE;
        } catch (Exception e) {
            breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), e);
            stats.mirrorFailed(from.other());
            LOG.warn("Mirror of {}/{}/{} to the {} failed, left to the retry-queue: {}", migration, entity, key,
                    from.other().name().toLowerCase(Locale.ROOT), e.toString());
            return CopyOutcome.FAILED;
        }
    }

    /**
     * A late write: its copy in the old direction could overwrite writes of a new primary, so the key is
     * queued for a copy from whichever side is primary after the handover. Never throws.
     *
     * @return false
     */
    boolean late(String entity, String key, Side from) {
        stats.mirrorFailed(from.other());
        try {
            queue.enqueue(ResyncReplayHandler.fromPrimary(migration, entity, key));
            stats.enqueued(from.other(), true);
        } catch (RuntimeException e) {
            stats.enqueued(from.other(), false);
            LOG.error("Could not queue the resync of {}/{}/{} after its write came too late for its copy window: the"
                    + " sides may differ for this key until it is written again or verified", migration, entity, key, e);
            return false;
        }
        LOG.warn("Write of {}/{}/{} on the {} came too late for its copy window (the primary moved, or the flags were"
                + " not confirmed in time): not copied, and queued for a copy from the primary after the handover",
                migration, entity, key, from.name().toLowerCase(Locale.ROOT));
        return false;
    }

    /** Queues a {@code RESYNC} of the key in a transaction of the queue's own; never throws. */
    void enqueue(String entity, String key, Side from) {
        try {
            queue.enqueue(ResyncReplayHandler.entry(migration, entity, key, from));
            stats.enqueued(from.other(), true);
        } catch (RuntimeException e) {
            stats.enqueued(from.other(), false);
            LOG.error("Could not queue the resync of {}/{}/{} after its mirror failed: the {} may stay behind for this"
                    + " key until it is written again or verified", migration, entity, key,
                    from.other().name().toLowerCase(Locale.ROOT), e);
        }
    }

    /** Whether the queue holds entries for the key; when the queue cannot tell, a direct copy is still safe. */
    private boolean pending(String entity, String key) {
        try {
            return queue.isPending(migration, entity, key);
        } catch (RuntimeException e) {
            LOG.warn("Retry-queue could not tell whether {}/{}/{} is pending; copying it directly: {}", migration, entity,
                    key, e.toString());
            return false;
        }
    }
}
