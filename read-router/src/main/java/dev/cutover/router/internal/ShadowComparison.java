package dev.cutover.router.internal;

import dev.cutover.common.internal.Redaction;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.router.ValueDifference;
import dev.cutover.router.MismatchEvent;
import dev.cutover.router.MismatchListener;
import dev.cutover.router.ReadCall;
import dev.cutover.router.ReadRouterConfig;
import dev.cutover.router.ResultComparator;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read router's shadow comparisons: each admitted read of the other side runs off the request
 * thread, is compared with the served answer, re-read while a difference may be a write in flight,
 * and reported (event, per-field count, listeners, rate-limited log) only when it persists while both
 * sides are still written. Logs under the router's logger name, which is what users configure.
 * Thread-safe.
 */
public final class ShadowComparison {
    private static final int RECHECKS = 3;
    private static final Logger LOG = LoggerFactory.getLogger("dev.cutover.router.ReadRouter");

    private final MigrationFlags flags;
    private final String migration;
    private final ReadRouterConfig config;
    private final ResultComparator comparator;
    private final List<MismatchListener> listeners;
    private final AutoRollback autoRollback;
    private final Executor executor;
    private final ThreadPoolExecutor ownedExecutor;
    private final ShadowAdmission admission;
    private final RecentMismatches recent;
    private final MismatchFields mismatchFields = new MismatchFields();
    private final RateLimitedLog mismatchLog;
    private final RateLimitedLog problemLog;
    private final LongAdder compared = new LongAdder();
    private final LongAdder matched = new LongAdder();
    private final LongAdder mismatched = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder settled = new LongAdder();
    private final LongAdder abandoned = new LongAdder();

    /**
     * @param flags the flags, read again before a difference is confirmed
     * @param migration the migration
     * @param config the router's configuration
     * @param comparator compares the two answers
     * @param listeners told of each confirmed mismatch
     * @param executor runs the shadow reads, or null for a pool of {@link ReadRouterConfig.ShadowReads#shadowThreads()}
     *     that {@link #close()} stops
     * @param autoRollback records target failures and mismatches
     */
    public ShadowComparison(MigrationFlags flags, String migration, ReadRouterConfig config, ResultComparator comparator,
            List<MismatchListener> listeners, Executor executor, AutoRollback autoRollback) {
        this.flags = flags;
        this.migration = migration;
        this.config = config;
        this.comparator = comparator;
        this.listeners = List.copyOf(listeners);
        this.autoRollback = autoRollback;
        if (executor != null) {
            this.executor = executor;
            this.ownedExecutor = null;
        } else {
            // Unbounded as a type only: admission keeps at most shadowQueueCapacity reads waiting, so that a
            // shadow read once admitted is never rejected for want of room.
            int threads = config.shadow().shadowThreads();
            this.ownedExecutor = new ThreadPoolExecutor(threads, threads,
                    30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    new NamedDaemonThreads("cutover-shadow-read-" + migration));
            ownedExecutor.allowCoreThreadTimeOut(true);
            this.executor = ownedExecutor;
        }
        this.recent = new RecentMismatches(config.shadow().recentMismatchCapacity());
        this.mismatchLog = new RateLimitedLog(config.shadow().mismatchLogInterval());
        this.problemLog = new RateLimitedLog(config.shadow().mismatchLogInterval());
        this.admission = new ShadowAdmission(migration, config.shadow().shadowThreads() + config.shadow().shadowQueueCapacity(),
                config.shadow().mismatchLogInterval());
    }

    /**
     * Hands a served read's other side to the shadow threads, if admitted; never blocks.
     *
     * @param operation the method name or SQL text
     * @param routingKey the read's routing key, or null
     * @param readStage the stage the read was routed in
     * @param served the side whose answer the caller got
     * @param answer that answer
     * @param servedCall the read on the served side, for re-reads
     * @param other the read on the other side
     */
    public void submit(String operation, String routingKey, Stage readStage, Side served, Object answer,
            ReadCall<?> servedCall, ReadCall<?> other) {
        if (!admission.tryAdmit()) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    run(operation, routingKey, readStage, served, answer, servedCall, other);
                } finally {
                    admission.finished();
                }
            });
        } catch (RejectedExecutionException e) {
            admission.finished();
            dropped.increment();
            long held = problemLog.tryLog();
            if (held >= 0) {
                LOG.warn("Migration {}: shadow read of {} dropped because the shadow executor rejected it{}", migration,
                        operation, held > 0 ? " (" + held + " more shadow problems since the last report)" : "");
            }
        }
    }

    /** Stops an owned pool; the reads still waiting are dropped and counted. Idempotent. */
    public void close() {
        if (ownedExecutor != null) {
            List<Runnable> waiting = ownedExecutor.shutdownNow();
            dropped.add(waiting.size());
            waiting.forEach(task -> admission.finished());
        }
    }

    /** @return comparisons finished */
    public long compared() {
        return compared.sum();
    }

    /** @return comparisons that found the answers equal */
    public long matched() {
        return matched.sum();
    }

    /** @return comparisons that confirmed a difference */
    public long mismatched() {
        return mismatched.sum();
    }

    /** @return differences that a re-read settled */
    public long settled() {
        return settled.sum();
    }

    /** @return comparisons abandoned because the stage stopped writing both sides */
    public long abandoned() {
        return abandoned.sum();
    }

    /** @return shadow reads or comparisons that failed */
    public long errors() {
        return errors.sum();
    }

    /** @return shadow reads dropped by the executor or at close */
    public long dropped() {
        return dropped.sum();
    }

    /** @return the admission, for its throttling counts */
    public ShadowAdmission admission() {
        return admission;
    }

    /** @return the per-field mismatch counts */
    public MismatchFields mismatchFields() {
        return mismatchFields;
    }

    /** @return the latest mismatches, newest first */
    public List<MismatchEvent> recentMismatches() {
        return recent.newestFirst();
    }

    private void run(String operation, String routingKey, Stage readStage, Side served, Object answer,
            ReadCall<?> servedCall, ReadCall<?> other) {
        if (abandonedOutsideDualWrites(operation, "start")) {
            return;
        }
        Side otherSide = served.other();
        Object otherAnswer;
        try {
            otherAnswer = other.call();
        } catch (Exception e) {
            errors.increment();
            if (otherSide == Side.TARGET) {
                autoRollback.recordTargetRead(true);
            }
            logProblem("shadow read of " + operation + " on the " + otherSide + " failed: "
                    + Redaction.describe(e, config.revealValues()));
            return;
        }
        if (otherSide == Side.TARGET) {
            autoRollback.recordTargetRead(false);
        }
        List<ValueDifference> differences = compare(operation, served, answer, otherAnswer);
        if (differences == null) {
            return;
        }
        boolean settledOnRecheck = false;
        if (!differences.isEmpty() && !config.shadow().mismatchRecheckDelay().isZero()) {
            differences = recheck(operation, readStage, served, answer, servedCall, otherAnswer, other);
            if (differences == null) {
                return;
            }
            settledOnRecheck = differences.isEmpty();
        }
        if (!differences.isEmpty() && abandonedOutsideDualWrites(operation, "confirm a difference")) {
            return;
        }
        if (differences.isEmpty()) {
            // Outcome and rollback check before the total, so that whoever sees a comparison counted sees
            // all of its effects.
            if (settledOnRecheck) {
                settled.increment();
            }
            matched.increment();
            autoRollback.recordComparison(false);
            compared.increment();
            return;
        }
        boolean reveal = config.revealValues();
        List<ValueDifference> reported = reveal ? differences : differences.stream().map(ValueDifference::masked).toList();
        MismatchEvent event = new MismatchEvent(migration, operation, routingKey, served, reported, reveal, Instant.now());
        recent.add(event);
        mismatchFields.count(event.fields());
        mismatched.increment();
        autoRollback.recordComparison(true);
        compared.increment();
        report(event, differences);
    }

    /**
     * Reads both sides again after the recheck delay, the served side first as in the original read,
     * and while they still differ, again after twice and four times the delay ({@value #RECHECKS}
     * re-reads in all): a copy that is slower than one delay (a loaded database, a row lock held by
     * another writer's copy) would otherwise be reported as a divergence. A row whose answer on the
     * primary side changed in between is being written (the primary is written first, the other side
     * by the mirror after it): its difference is a write in flight, not evidence of divergence, and
     * counts as none. The primary is that of the stage of the original read and that of the stage now;
     * when the two differ, a change on either settles.
     *
     * @return the differences after the last re-read, or null if a read or the comparison failed, or
     *     the comparison was abandoned (already counted)
     */
    private List<ValueDifference> recheck(String operation, Stage readStage, Side served, Object answer,
            ReadCall<?> servedCall, Object otherAnswer, ReadCall<?> other) {
        List<ValueDifference> differences = null;
        long delay = config.shadow().mismatchRecheckDelay().toMillis();
        for (int attempt = 0; attempt < RECHECKS; attempt++, delay *= 2) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                // Only close() interrupts shadow threads; the comparison is then never finished.
                dropped.increment();
                Thread.currentThread().interrupt();
                return null;
            }
            Stage recheckStage = flags.state(migration).stage();
            if (!recheckStage.dualWrites()) {
                abandon(operation, recheckStage, "re-read");
                return null;
            }
            Object servedAgain;
            Object otherAgain;
            try {
                servedAgain = servedCall.call();
                otherAgain = other.call();
            } catch (Exception e) {
                errors.increment();
                logProblem("re-reading " + operation + " to confirm a difference failed: "
                        + Redaction.describe(e, config.revealValues()));
                return null;
            }
            for (Side primary : EnumSet.of(readStage.primary(), recheckStage.primary())) {
                Object before = primary == served ? answer : otherAnswer;
                Object again = primary == served ? servedAgain : otherAgain;
                List<ValueDifference> changes = compare(operation, Side.SOURCE, before, again);
                if (changes == null) {
                    return null;
                }
                if (!changes.isEmpty()) {
                    return List.of();
                }
            }
            differences = compare(operation, served, servedAgain, otherAgain);
            if (differences == null || differences.isEmpty()) {
                return differences;
            }
        }
        return differences;
    }

    /** @return whether the comparison is abandoned (and counted) because the stage no longer writes both sides */
    private boolean abandonedOutsideDualWrites(String operation, String step) {
        Stage stage = flags.state(migration).stage();
        if (stage.dualWrites()) {
            return false;
        }
        abandon(operation, stage, step);
        return true;
    }

    private void abandon(String operation, Stage stage, String step) {
        abandoned.increment();
        LOG.debug("Migration {}: shadow comparison of {} abandoned: it would {} in stage {}, which does not write both"
                + " sides", migration, operation, step, stage);
    }

    /** @return the differences, or null if the comparator failed (already counted and logged) */
    private List<ValueDifference> compare(String operation, Side served, Object servedAnswer, Object otherAnswer) {
        Object sourceAnswer = served == Side.SOURCE ? servedAnswer : otherAnswer;
        Object targetAnswer = served == Side.SOURCE ? otherAnswer : servedAnswer;
        try {
            return Objects.requireNonNull(comparator.compare(sourceAnswer, targetAnswer),
                    "the comparator returned null instead of a list");
        } catch (RuntimeException e) {
            errors.increment();
            logProblem("comparing the answers of " + operation + " failed: "
                    + Redaction.describe(e, config.revealValues()));
            return null;
        }
    }

    private void report(MismatchEvent event, List<ValueDifference> differences) {
        String operation = event.operation();
        String routingKey = event.routingKey();
        for (MismatchListener listener : listeners) {
            try {
                listener.onMismatch(event);
            } catch (RuntimeException e) {
                LOG.warn("Migration {}: mismatch listener {} failed: {}", migration, listener,
                        Redaction.describe(e, config.revealValues()), Redaction.loggable(e, config.revealValues()));
            }
        }
        long held = mismatchLog.tryLog();
        if (held >= 0) {
            LOG.warn("Migration {}: read {} (key {}) differs between source and target at {} ({} served){}", migration,
                    operation, routingKey, event.paths(), event.servedSide(),
                    held > 0 ? " (" + held + " more mismatches since the last report)" : "");
        }
        if (event.valuesRevealed() && LOG.isDebugEnabled()) {
            LOG.debug("Migration {}: read {} (key {}) differences: {}", migration, operation, routingKey, differences);
        }
    }

    private void logProblem(String what) {
        long held = problemLog.tryLog();
        if (held >= 0) {
            LOG.warn("Migration {}: {}{}", migration, what,
                    held > 0 ? " (" + held + " more shadow problems since the last report)" : "");
        }
    }
}
