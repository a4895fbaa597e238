package dev.cutover.dualwrite;

/**
 * Hears a backfill's progress after every chunk, and when it starts, pauses, resumes and ends; e.g.
 * {@link dev.cutover.dualwrite.micrometer.BackfillMetrics}. Called on the backfill's thread: return
 * quickly and do not throw (what it throws is logged and ignored).
 */
@FunctionalInterface
public interface BackfillListener {
    /**
     * @param progress where the backfill stands
     */
    void onProgress(BackfillProgress progress);
}
