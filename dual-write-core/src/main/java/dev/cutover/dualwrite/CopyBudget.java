package dev.cutover.dualwrite;

import dev.cutover.common.internal.Redaction;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time the mirror of one call may take inside that call ({@link RowCopier.Builder#copyBudget}):
 * borrowing and validating connections, the copy's statements, its commit, restoring the
 * connections, the pending check and the enqueue all draw on it. Copies and pending checks may use
 * all of it but the last second (the last half, for budgets under 2 s), which is kept for queueing
 * the keys whose copy did not make it, so that a copy that used its whole share still leaves time to
 * queue its key.
 *
 * <p>Steps that could wait on a pool or a stalled store beyond the budget (a borrow, which may sit in
 * the pool's own {@code connectionTimeout} and validation; the queue's own reads and writes) run on
 * a small shared pool of helper threads, and the caller waits for them only as long as the budget
 * allows. A step the caller gave up on finishes in the background: a connection it borrows late is
 * closed at once (never leaked), an entry it enqueues late is still queued. Not thread-safe: one
 * budget per call.
 */
final class CopyBudget {
    private static final Logger LOG = LoggerFactory.getLogger(CopyBudget.class);
    /** Helper threads across all migrations; a step that finds them all busy fails like a timeout. */
    static final int MAX_HELPERS = 64;
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ThreadPoolExecutor HELPERS = new ThreadPoolExecutor(0, MAX_HELPERS, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread thread = new Thread(r, "cutover-copy-helper-" + THREADS.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });

    /** The end of the budget kept for queueing what could not be copied; half, for budgets under 2 s. */
    static final Duration QUEUE_RESERVE = Duration.ofSeconds(1);

    private final Duration total;
    private final long copyDeadline;
    private final long deadline;

    private CopyBudget(Duration total) {
        this.total = total;
        long start = System.nanoTime();
        this.deadline = start + total.toNanos();
        this.copyDeadline = deadline - Math.min(QUEUE_RESERVE.toNanos(), total.toNanos() / 2);
    }

    /** Starts a budget now. */
    static CopyBudget start(Duration total) {
        return new CopyBudget(total);
    }

    Duration total() {
        return total;
    }

    /** @return milliseconds left for copying (at least 0) */
    long copyMillisLeft() {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(copyDeadline - System.nanoTime()));
    }

    /** @return milliseconds left in the whole budget (at least 0) */
    long millisLeft() {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    /** @return whether the copy share is used up, so that no further copy should start */
    boolean copyTimeSpent() {
        return copyDeadline - System.nanoTime() <= 0;
    }

    /**
     * Fails when the copy share is used up.
     *
     * @param what the step about to start, for the message
     * @throws SQLTimeoutException if no time is left
     */
    void checkCopyTime(String what) throws SQLTimeoutException {
        if (copyTimeSpent()) {
            throw exceeded(what);
        }
    }

    /**
     * The query timeout of a statement of the copy: what is left of the copy share, rounded up to
     * whole seconds, at most {@code cap}.
     */
    int queryTimeoutSeconds(int cap) throws SQLTimeoutException {
        long left = copyMillisLeft();
        if (left <= 0) {
            throw exceeded("a statement");
        }
        return (int) Math.max(1, Math.min(cap, (left + 999) / 1000));
    }

    /**
     * Bounds every network read of a connection Cutover borrowed by what is left of the copy share
     * (and at most {@code capMillis}), so that a stalled peer fails the step instead of holding the caller.
     *
     * @return the network timeout set, in milliseconds
     */
    int limitNetwork(Connection connection, String what, long capMillis) throws SQLException {
        long left = copyMillisLeft();
        if (left <= 0) {
            throw exceeded(what);
        }
        int timeout = (int) Math.min(Integer.MAX_VALUE, Math.min(capMillis, left));
        try {
            connection.setNetworkTimeout(Runnable::run, timeout);
        } catch (SQLFeatureNotSupportedException e) {
            // The driver has no network timeout; its statements' query timeouts still apply.
        }
        return timeout;
    }

    /**
     * Runs a step that may wait on a pool or a stalled database on a helper thread, and waits for it
     * within the copy share.
     */
    <T> T callWithinCopyTime(String what, Callable<T> step, Consumer<T> lateResult) throws SQLException {
        return call(what, step, lateResult, copyDeadline, false);
    }

    /**
     * Like {@link #callWithinCopyTime}, within the whole budget, for queueing: the step is started
     * even when no time is left, so that it completes in the background.
     */
    <T> T callWithinBudget(String what, Callable<T> step, Consumer<T> lateResult) throws SQLException {
        return call(what, step, lateResult, deadline, true);
    }

    private <T> T call(String what, Callable<T> step, Consumer<T> lateResult, long until, boolean startAnyway)
            throws SQLException {
        if (until - System.nanoTime() <= 0 && !startAnyway) {
            throw exceeded(what);
        }
        return onHelper(what, step, lateResult, until, () -> exceeded(what), "; the key is queued instead");
    }

    /**
     * Borrows a connection on a helper thread and waits for it at most {@code wait}: outside a copy,
     * for a step that must not sit in the pool's own {@code connectionTimeout} (HikariCP: 30 s) when
     * the database behind it stalls. A connection borrowed after the caller gave up is closed.
     *
     * @param what the borrow, for the message
     * @throws SQLTimeoutException if no connection came within {@code wait}
     */
    static Connection borrowWithin(String what, Duration wait, Callable<Connection> borrow) throws SQLException {
        return onHelper(what, borrow, CopyBudget::closeLate, System.nanoTime() + wait.toNanos(),
                () -> new SQLTimeoutException(what + " took longer than " + wait.toMillis() + " ms"), "");
    }

    private static <T> T onHelper(String what, Callable<T> step, Consumer<T> lateResult, long until,
            Supplier<SQLTimeoutException> timedOut, String consequence) throws SQLException {
        long left = until - System.nanoTime();
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            HELPERS.execute(() -> {
                try {
                    future.complete(step.call());
                } catch (Throwable t) {
                    future.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            throw new SQLTransientException("Cutover's " + MAX_HELPERS + " copy helper threads are all waiting on"
                    + " unresponsive databases, so " + what + " was not started" + consequence);
        }
        try {
            return future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.thenAccept(late -> hand(lateResult, late, what));
            throw timedOut.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.thenAccept(late -> hand(lateResult, late, what));
            throw new SQLTimeoutException("Interrupted during " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new SQLException(what + " failed: " + Redaction.describe(cause, false), cause);
        }
    }

    private static <T> void hand(Consumer<T> lateResult, T late, String what) {
        try {
            lateResult.accept(late);
        } catch (RuntimeException e) {
            LOG.debug("Could not clean up after {} finished late: {}", what, e.toString());
        }
    }

    private SQLTimeoutException exceeded(String what) {
        return new SQLTimeoutException("The copy budget of " + total.toMillis() + " ms ran out before " + what
                + " finished; the key is queued instead");
    }

    /** Closes a connection a borrow got after its caller gave up on it, so that it goes back to the pool. */
    static void closeLate(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("Could not return a connection borrowed too late for its copy: {}", e.toString());
        }
    }
}
