package dev.cutover.common.internal;

/**
 * The prefix of every table Cutover creates (flags, audit, retry entries, checkpoints), so that
 * by default they all sit side by side under one name, whichever store created them.
 */
public final class TablePrefix {
    /** The prefix of every Cutover table unless the application picks another. */
    public static final String DEFAULT = "cutover_";

    private TablePrefix() {
    }
}
