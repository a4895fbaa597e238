package dev.cutover.spring.boot;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backfills this application instance runs, at most one per migration, each on a thread of its
 * own ({@link Backfill#start()}): started, paused, resumed and stopped by migration name (the
 * {@code cutover} endpoint's {@code backfill} operation does so), paced by {@code cutover.backfill.*}.
 * A backfill resumes from its durable checkpoint, so a start after a stop, a failure or a restart
 * goes on where the last committed chunk ended. When the context closes, running backfills stop
 * after their chunk in flight, before the runtime closes.
 *
 * <p>Only backfills started through this bean are seen here; start one backfill per migration, on
 * one instance. Thread-safe.
 */
public class CutoverBackfills implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CutoverBackfills.class);

    private final Cutover cutover;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    /**
     * Creates the registry of a runtime's backfills.
     *
     * @param cutover the runtime
     */
    public CutoverBackfills(Cutover cutover) {
        this.cutover = cutover;
    }

    /**
     * Starts the backfill of a migration on a thread of its own, resuming from its checkpoint.
     *
     * @param migration the migration's name
     * @return its progress at the start
     * @throws IllegalArgumentException if no such migration is registered
     * @throws IllegalStateException if its backfill already runs here, or the migration is not in
     *     {@code DUAL_WRITE} or {@code SHIFT_READS} (the backfill would refuse)
     */
    public synchronized BackfillProgress start(String migration) {
        Migration m = cutover.migration(migration);
        Run current = runs.get(migration);
        if (current != null && !current.done().isDone()) {
            throw new IllegalStateException("The backfill of " + migration + " is already running ("
                    + current.backfill().progress().phase() + "): pause, resume or stop it");
        }
        Stage stage = m.stage();
        if (!stage.dualWrites() || stage.primary() != Side.SOURCE) {
            throw new IllegalStateException("Migration " + migration + " is in stage " + stage + ": a backfill copies"
                    + " the source's rows to the target, which is safe only while the source is the primary and both"
                    + " sides are written. Move it to DUAL_WRITE first");
        }
        Backfill backfill = m.backfill().build();
        runs.put(migration, new Run(backfill, backfill.start()));
        return backfill.progress();
    }

    /**
     * Holds a running backfill before its next chunk, holding no lock, until {@link #resume}.
     *
     * @param migration the migration's name
     * @return its progress
     * @throws IllegalStateException if its backfill is not running here
     */
    public BackfillProgress pause(String migration) {
        Backfill backfill = running(migration, "pause");
        backfill.pause();
        return backfill.progress();
    }

    /**
     * Lets a paused backfill go on.
     *
     * @param migration the migration's name
     * @return its progress
     * @throws IllegalStateException if its backfill is not running here
     */
    public BackfillProgress resume(String migration) {
        Backfill backfill = running(migration, "resume");
        backfill.resume();
        return backfill.progress();
    }

    /**
     * Ends a running backfill after its chunk in flight, its checkpoint saved; a later {@link #start}
     * resumes there.
     *
     * @param migration the migration's name
     * @return its progress
     * @throws IllegalStateException if its backfill is not running here
     */
    public BackfillProgress stop(String migration) {
        Backfill backfill = running(migration, "stop");
        backfill.stop();
        return backfill.progress();
    }

    /**
     * The migration's backfill on this instance, running or ended.
     *
     * @param migration the migration's name
     * @return its progress and, if it failed, why; empty if none was started here
     */
    public Optional<Status> status(String migration) {
        Run run = runs.get(migration);
        if (run == null) {
            return Optional.empty();
        }
        String failure = null;
        if (run.done().isCompletedExceptionally()) {
            try {
                run.done().join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                failure = cause.getMessage();
            }
        }
        return Optional.of(new Status(run.backfill().progress(), run.backfill().isPaused(), failure));
    }

    private Backfill running(String migration, String action) {
        cutover.migration(migration);
        Run run = runs.get(migration);
        if (run == null || run.done().isDone()) {
            throw new IllegalStateException("No backfill of " + migration + " is running on this instance to " + action
                    + "; start one first");
        }
        return run.backfill();
    }

    /**
     * Stops every running backfill after its chunk in flight and waits for it, up to its statement
     * timeout; one that does not end by then is cut off when the runtime closes its connections, its
     * chunk rolled back, and resumes from its last checkpoint.
     */
    @Override
    public void close() {
        runs.values().forEach(run -> run.backfill().stop());
        for (Map.Entry<String, Run> entry : runs.entrySet()) {
            Run run = entry.getValue();
            Duration wait = run.backfill().config().statementTimeout();
            try {
                run.done().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                // Its failure was logged by the backfill and shown by status(); nothing more to stop.
            } catch (TimeoutException e) {
                LOG.warn("The backfill of {} did not stop within {} s; closing the runtime rolls back its chunk in"
                        + " flight, and the next start resumes from its last checkpoint", entry.getKey(), wait.toSeconds());
            }
        }
    }

    /**
     * A migration's backfill on this instance.
     *
     * @param progress where it stands
     * @param paused whether a pause holds it (its phase shows {@code PAUSED} once it reached the hold)
     * @param failure why it failed, or null
     */
    public record Status(BackfillProgress progress, boolean paused, String failure) {
    }

    private record Run(Backfill backfill, CompletableFuture<BackfillProgress> done) {
    }
}
