package dev.cutover.router.internal;

import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the target's read error rate and the mismatch rate of one migration over count-based
 * sliding windows and, when either exceeds its limit, sets the target read percentage to 0 through
 * the flags, with the measured rates as the audited reason.
 *
 * <p>A breach rolls back once: both windows start empty afterwards, so the next rollback needs a
 * whole new window of evidence. The flip runs on the thread whose outcome completed the breach;
 * concurrent breaches are collapsed into one flip. Thread-safe.
 */
public final class AutoRollback {
    /** The actor recorded in the flag audit for automatic rollbacks. */
    public static final String ACTOR = "cutover-auto-rollback";

    private static final Logger LOG = LoggerFactory.getLogger(AutoRollback.class);

    private final boolean enabled;
    private final MigrationFlags flags;
    private final String migration;
    private final OutcomeWindow errors;
    private final OutcomeWindow mismatches;
    private final double maxErrorPercent;
    private final double maxMismatchPercent;
    private final AtomicBoolean flipping = new AtomicBoolean();
    private final LongAdder rollbacks = new LongAdder();

    /**
     * Creates a watcher.
     *
     * @param enabled whether to watch at all; off, recording does nothing
     * @param flags where to flip
     * @param migration the migration
     * @param window outcomes per window
     * @param maxErrorPercent the target read error percentage above which to roll back
     * @param maxMismatchPercent the mismatch percentage above which to roll back
     */
    public AutoRollback(boolean enabled, MigrationFlags flags, String migration, int window, double maxErrorPercent,
                        double maxMismatchPercent) {
        this.enabled = enabled;
        this.flags = flags;
        this.migration = migration;
        this.errors = new OutcomeWindow(enabled ? window : 1);
        this.mismatches = new OutcomeWindow(enabled ? window : 1);
        this.maxErrorPercent = maxErrorPercent;
        this.maxMismatchPercent = maxMismatchPercent;
    }

    /**
     * Records a finished target read (served or shadow).
     *
     * @param failed whether it threw or timed out
     */
    public void recordTargetRead(boolean failed) {
        if (enabled) {
            double rate = errors.record(failed);
            if (rate > maxErrorPercent) {
                breach("target read error rate", errors, "target reads", maxErrorPercent);
            }
        }
    }

    /**
     * Records a finished comparison.
     *
     * @param mismatched whether the answers differed
     */
    public void recordComparison(boolean mismatched) {
        if (enabled) {
            double rate = mismatches.record(mismatched);
            if (rate > maxMismatchPercent) {
                breach("mismatch rate", mismatches, "comparisons", maxMismatchPercent);
            }
        }
    }

    /** @return how many rollbacks this watcher made */
    public long rollbacks() {
        return rollbacks.sum();
    }

    private void breach(String what, OutcomeWindow window, String unit, double limit) {
        if (!flipping.compareAndSet(false, true)) {
            return;
        }
        try {
            String reason = String.format(Locale.ROOT, "%s %s %s exceeds the limit of %.1f%% (target read error rate"
                            + " %s target reads, mismatch rate %s comparisons)", what, window.describe(), unit, limit,
                    errors.describe(), mismatches.describe());
            MigrationState state = flags.state(migration);
            if (state.stage() != Stage.SHIFT_READS || state.targetReadBasisPoints() == 0) {
                LOG.warn("Migration {}: {}, but there is no target read percentage to roll back in stage {} at {}%;"
                        + " an operator must decide", migration, reason, state.stage(), state.targetReadPercent());
                return;
            }
            flags.setTargetReadPercent(migration, 0, ACTOR, reason);
            rollbacks.increment();
            LOG.warn("Migration {}: automatic rollback set the target read percentage from {}% to 0 because {}",
                    migration, state.targetReadPercent(), reason);
        } catch (RuntimeException e) {
            LOG.error("Migration {}: automatic rollback failed and is tried again after the next full window: {}",
                    migration, e.toString(), e);
        } finally {
            errors.clear();
            mismatches.clear();
            flipping.set(false);
        }
    }
}
