package dev.cutover.flags.internal;

import dev.cutover.flags.Stage;
import java.time.Duration;

/**
 * Permission to write a migration under the primary of one <em>epoch</em> (the primary side between
 * two primary moves), from {@link Handovers#beginWrite}; closing it ends the write. While
 * it is open, the instance does not finish the handover of a move away from its primary, so that
 * every write of the old primary, and its copy, is done before this instance writes the new one.
 *
 * <p>A copy from {@link #stage()}'s primary to the other side may land only before
 * {@link #deadlineNanos()}: after that, another instance may already write the other side as the new
 * primary, and the copy could overwrite its write. A write whose copy does not fit is a <em>late
 * write</em>: it is not copied, and its call fails.
 *
 * <p>Not thread-safe: one permit belongs to one write.
 */
public interface WritePermit extends AutoCloseable {
    /** @return the stage the write runs under: read once, when the permit was given */
    Stage stage();

    /**
     * The {@link System#nanoTime()} before which a copy from this permit's primary must have written
     * the receiving side (its receiving statement returned): the start of this instance's newest load
     * that still showed this primary, plus the handover pause. It moves on with every such load until a
     * load shows another primary; then it is fixed.
     *
     * @return the deadline, in {@link System#nanoTime()} terms
     */
    long deadlineNanos();

    /**
     * @param budget how long the copy (or enqueue) may take
     * @return whether it can still finish before {@link #deadlineNanos()} if it takes that long
     */
    default boolean copyWindowOpen(Duration budget) {
        return System.nanoTime() + budget.toNanos() - deadlineNanos() < 0;
    }

    /**
     * Whether a commit, a copy or an enqueue started now can still finish before
     * {@link #deadlineNanos()}, leaving the reserve the flags keep for it: a quarter of the margin
     * between the handover pause and the refresh interval (250 ms with the defaults).
     *
     * @return whether the window has that much left
     */
    boolean copyWindowOpen();

    /** @return whether the deadline has not passed yet */
    default boolean beforeDeadline() {
        return System.nanoTime() - deadlineNanos() < 0;
    }

    /**
     * Reloads the flags now if the copy window is closing, which moves {@link #deadlineNanos()} on when
     * the load still shows this permit's primary. Safe after the fact: a load that starts after a copy
     * wrote the receiving side and still shows the old primary proves the copy landed before any move.
     *
     * @return whether this permit's primary is still the current one
     */
    boolean renew();

    /** @return {@link #copyWindowOpen()}, after one {@link #renew()} if it was not */
    default boolean ensureCopyWindow() {
        return copyWindowOpen() || (renew() && copyWindowOpen());
    }

    /** @return {@link #beforeDeadline()}, after one {@link #renew()} if it was not */
    default boolean ensureBeforeDeadline() {
        return beforeDeadline() || (renew() && beforeDeadline());
    }

    /**
     * Tells the permit that the thread which took it is done with it, though it stays open (its keys
     * wait for an asynchronous copier, which closes it): a write that thread begins later, during a
     * handover, then waits for the copier instead of being refused as one that would wait for itself.
     * {@link #close()} does this too.
     */
    void handOff();

    /** Ends the write: the handover of a primary move waits for every open permit of the old primary. */
    @Override
    void close();
}
