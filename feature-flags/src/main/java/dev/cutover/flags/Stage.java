package dev.cutover.flags;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Where a migration stands: which databases are written, which one is primary, and where reads go.
 *
 * <p>Stages are ordered. Moving forward is one step at a time; moving back (rollback) may jump to
 * any earlier stage at once; {@link MigrationFlags#forceMoveTo} skips stages forward on purpose.
 *
 * <table>
 *   <caption>What each stage does</caption>
 *   <tr><th>stage</th><th>writes</th><th>primary</th><th>reads</th></tr>
 *   <tr><td>{@link #SOURCE_ONLY}</td><td>source</td><td>source</td><td>source</td></tr>
 *   <tr><td>{@link #DUAL_WRITE}</td><td>both</td><td>source</td><td>source (canaries and shadow reads aside)</td></tr>
 *   <tr><td>{@link #SHIFT_READS}</td><td>both</td><td>source</td><td>target for the target read percentage, else source</td></tr>
 *   <tr><td>{@link #TARGET_PRIMARY}</td><td>both</td><td>target</td><td>target (canaries aside)</td></tr>
 *   <tr><td>{@link #TARGET_ONLY}</td><td>target</td><td>target</td><td>target</td></tr>
 * </table>
 */
public enum Stage {
    /** Before the migration: only the source is read and written. */
    SOURCE_ONLY(Side.SOURCE, true, false),
    /** Every write goes to the source and is mirrored to the target; reads stay on the source. */
    DUAL_WRITE(Side.SOURCE, true, true),
    /** Dual writes with the source primary; a percentage of reads is served by the target. */
    SHIFT_READS(Side.SOURCE, true, true),
    /** The target is primary and serves reads; the source is still written so that rollback stays possible. */
    TARGET_PRIMARY(Side.TARGET, true, true),
    /** After the migration: only the target is read and written. */
    TARGET_ONLY(Side.TARGET, false, true);

    private static final String ALLOWED = Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));

    private final Side primary;
    private final boolean writesSource;
    private final boolean writesTarget;

    Stage(Side primary, boolean writesSource, boolean writesTarget) {
        this.primary = primary;
        this.writesSource = writesSource;
        this.writesTarget = writesTarget;
    }

    /** @return the side whose failure fails the caller's write, and which answers reads by default */
    public Side primary() {
        return primary;
    }

    /** @return whether the source is written in this stage */
    public boolean writesSource() {
        return writesSource;
    }

    /** @return whether the target is written in this stage */
    public boolean writesTarget() {
        return writesTarget;
    }

    /** @return whether both sides are written, so that the non-primary side receives mirror writes */
    public boolean dualWrites() {
        return writesSource && writesTarget;
    }

    /**
     * Parses a stage name as stored or typed by an operator: case-insensitive, with {@code -} or
     * blanks accepted for {@code _}.
     *
     * @param name the name, e.g. {@code "shift-reads"}
     * @return the stage
     * @throws IllegalArgumentException naming the allowed values if the name is unknown
     */
    public static Stage parse(String name) {
        Objects.requireNonNull(name, "null stage name");
        String normalised = name.strip().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
        for (Stage stage : values()) {
            if (stage.name().equals(normalised)) {
                return stage;
            }
        }
        throw new IllegalArgumentException("Unknown stage '" + name + "': expected one of " + ALLOWED);
    }

    /**
     * Checks that a migration may move from one stage to another.
     *
     * <p>Staying put and moving back any number of steps are always allowed. Moving forward is
     * allowed one step at a time; a longer jump needs {@code force}.
     *
     * @param from the current stage
     * @param to the requested stage
     * @param force whether a forward jump that skips stages is intended
     * @throws StageTransitionException naming the first skipped stage if a forward jump is not forced
     */
    static void checkTransition(Stage from, Stage to, boolean force) {
        Objects.requireNonNull(from, "null from");
        Objects.requireNonNull(to, "null to");
        if (to.ordinal() > from.ordinal() + 1 && !force) {
            Stage skipped = values()[from.ordinal() + 1];
            // Only read shifting may be skipped without risk to the rows: a jump past DUAL_WRITE leaves the
            // target without the source's rows, one past TARGET_PRIMARY stops copying to the source at the
            // moment the primary moves, so a rollback would miss writes. So forcing is offered only there.
            String fix;
            if (skipped == SHIFT_READS) {
                fix = ". Move to " + skipped + " first, or force the jump with MigrationFlags.forceMoveTo if that is intended.";
            } else {
                String lost = skipped == DUAL_WRITE ? "copying every write and the history to the target"
                        : "keeping the source written for a rollback";
                fix = ". Move to " + skipped + " first: a forced jump past it skips what it does for the rows (" + lost
                        + "), so walk the stages one at a time.";
            }
            throw new StageTransitionException("Cannot move from " + from + " to " + to + ": it skips " + skipped + fix);
        }
    }
}
