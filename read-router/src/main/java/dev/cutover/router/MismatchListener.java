package dev.cutover.router;

/**
 * Told of every read whose source and target answers differed, for instance to forward mismatches
 * to an alerting system.
 *
 * <p>Called on the router's shadow threads, possibly concurrently. Exceptions are caught and logged;
 * they never affect reads. Slow listeners occupy shadow threads, so that further shadow work is
 * dropped rather than queued: hand heavy work to an own executor.
 */
@FunctionalInterface
public interface MismatchListener {
    /**
     * Handles one mismatch.
     *
     * @param event the mismatch, values masked unless revealed by configuration
     */
    void onMismatch(MismatchEvent event);
}
