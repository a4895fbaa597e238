package dev.cutover.router;

/**
 * Counts of what a {@link ReadRouter} did since it was built; a consistent-enough snapshot for
 * monitoring (each count is read atomically, not all of them together).
 *
 * @param sourceReads reads answered by the source, including fallbacks
 * @param targetReads reads answered by the target
 * @param fallbacks reads routed to the target that the source answered instead (target error,
 *     timeout, open breaker or saturated target executor)
 * @param compared shadow comparisons finished
 * @param matched comparisons whose answers agreed
 * @param mismatched comparisons whose answers differed, and still differed when read again after
 *     {@link ReadRouterConfig#mismatchRecheckDelay()}
 * @param settled comparisons whose answers differed at first but agreed when read again, or whose
 *     source answer changed between the two reads: writes in flight, counted in {@code matched} too
 * @param shadowErrors shadow reads or comparisons that threw
 * @param shadowDropped shadow reads dropped because the shadow executor was saturated
 * @param autoRollbacks automatic rollbacks this router made
 */
public record ReadRouterStats(long sourceReads, long targetReads, long fallbacks, long compared, long matched,
                              long mismatched, long settled, long shadowErrors, long shadowDropped, long autoRollbacks) {
}
