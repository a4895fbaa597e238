package dev.cutover.router;

/**
 * Counts of what a {@link ReadRouter} did since it was built; a consistent-enough snapshot for
 * monitoring (each count is read atomically, not all of them together).
 *
 * <p>Every read drawn for shadowing ends in exactly one of {@code compared}, {@code abandoned},
 * {@code shadowErrors}, {@code shadowDropped} or {@code shadowThrottled}, or is still in the
 * {@code shadowBacklog}: a caller that has made its reads can wait for {@code shadowBacklog} to reach 0.
 *
 * @param sourceReads reads answered by the source, including fallbacks
 * @param targetReads reads answered by the target
 * @param fallbacks reads routed to the target that the source answered instead (target error,
 *     timeout, open breaker or saturated target executor)
 * @param compared shadow comparisons finished
 * @param matched comparisons whose answers agreed
 * @param mismatched comparisons whose answers differed, and still differed when read again after
 *     {@link ReadRouterConfig.ShadowReads#mismatchRecheckDelay()}
 * @param settled comparisons whose answers differed at first but agreed when read again, or whose
 *     answer on the primary side changed between the two reads: writes in flight, counted in
 *     {@code matched} too
 * @param abandoned comparisons given up, neither matched nor mismatched, because the stage stopped
 *     writing both sides before they started or before a difference was confirmed (e.g. a move from
 *     {@code TARGET_PRIMARY} to {@code TARGET_ONLY} during the recheck delay); not in {@code compared}
 * @param shadowErrors shadow reads or comparisons that threw
 * @param shadowDropped shadow reads taken on but never compared: rejected by a shadow executor given
 *     to the builder, or still waiting when the router was closed. Always 0 before {@code close()}
 *     with the router's own executor
 * @param shadowThrottled reads drawn for shadowing that back-pressure left unshadowed because
 *     comparisons were falling behind; the effective shadow share is lower than the flags' by this many
 * @param shadowBacklog shadow reads taken on and not finished now, at most
 *     {@link ReadRouterConfig.ShadowReads#shadowThreads()} + {@link ReadRouterConfig.ShadowReads#shadowQueueCapacity()}
 * @param shadowBackPressure whether back-pressure lowers the shadow share now: on from the first
 *     throttled read until the backlog has drained to a quarter of its limit
 * @param autoRollbacks automatic rollbacks this router made
 */
public record ReadRouterCounts(long sourceReads, long targetReads, long fallbacks, long compared, long matched,
                              long mismatched, long settled, long abandoned, long shadowErrors, long shadowDropped,
                              long shadowThrottled, long shadowBacklog, boolean shadowBackPressure,
                              long autoRollbacks) {
    /**
     * @return the reads drawn for shadowing that have ended, one way or another: {@code compared},
     *     {@code abandoned}, {@code shadowErrors}, {@code shadowDropped} and {@code shadowThrottled}
     *     together. A caller that shadows every read waits until this reaches its number of reads.
     */
    public long shadowReadsEnded() {
        return compared + abandoned + shadowErrors + shadowDropped + shadowThrottled;
    }
}
