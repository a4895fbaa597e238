package dev.cutover.dualwrite;

/**
 * When a write's copy to the other side is made, set per migration with
 * {@link RowCopier.Builder#mirrorMode(MirrorMode)}.
 */
public enum MirrorMode {
    /**
     * The copy is made inside the write call, after the primary committed: the call returns once
     * the other side has the row (or the key is in the retry-queue). The default.
     */
    SYNC,
    /**
     * The call returns after the primary write; the copy is made off the caller's thread, still
     * under the primary's row lock, so copies land in commit order. Keys written again before
     * their copy runs are copied once, with their latest row, and many keys share one locking read
     * and one multi-row upsert. Repository style only: a {@code CutoverDataSource} refuses it. The
     * keys still pending are lost with the process unless crash-safe intents cover them; see the
     * README's guarantees table.
     */
    ASYNC
}
