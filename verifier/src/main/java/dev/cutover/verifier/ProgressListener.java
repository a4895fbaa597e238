package dev.cutover.verifier;

/**
 * Receives the progress of a run after every chunk, on the verifying thread. Keep it quick; an
 * exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * Called after each finished chunk.
     *
     * @param progress where the run stands
     */
    void onProgress(Progress progress);

    /** @return a listener that does nothing */
    static ProgressListener none() {
        return progress -> { };
    }
}
