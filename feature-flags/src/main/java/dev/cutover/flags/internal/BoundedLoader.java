package dev.cutover.flags.internal;

import dev.cutover.flags.FlagStoreException;
import dev.cutover.flags.MigrationState;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs loads of a flag store on a thread of their own and gives up waiting for one after a fixed
 * budget, so that a store that hangs shows as a failed load instead of a silent wait.
 *
 * <p>Why a thread: a pooled {@code DataSource} can hold a borrower for as long as its own
 * connection timeout (30 s by default in HikariCP), and a borrow may validate a stalled idle
 * connection first; neither is bounded by the store's network timeout. Only the caller's wait can be
 * bounded from outside. A load that overran keeps running in the background (interrupting JDBC
 * mid-I/O can damage a pooled connection); until it returns, later loads fail at once rather than
 * pile up behind it, so at most one thread is ever stuck in the store. Its late result is dropped: it
 * may be older than a flip made meanwhile. Thread-safe.
 */
public final class BoundedLoader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BoundedLoader.class);

    private final Duration budget;
    private final Duration firstBudget;
    private final ExecutorService worker;
    private boolean first = true;
    /** The load that overran its budget and has not returned yet, or null; guarded by this. */
    private Future<?> overrunning;
    private long overrunningSinceNanos;

    /**
     * Creates a loader.
     *
     * @param budget the longest a caller waits for one load, positive
     * @param firstBudget the longest a caller waits for the first load, which also loads classes
     *     and may open the pool's first connection in a cold process
     * @param threadName the name of the loading thread
     */
    public BoundedLoader(Duration budget, Duration firstBudget, String threadName) {
        this.budget = Objects.requireNonNull(budget, "null budget");
        this.firstBudget = Objects.requireNonNull(firstBudget, "null firstBudget");
        this.worker = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** @return the longest a caller waits for one load */
    public Duration budget() {
        return budget;
    }

    /**
     * Runs one load and waits at most the budget for it.
     *
     * @param load reads the store; runs on the loading thread
     * @return what the load returned
     * @throws FlagStoreException if the load failed, overran the budget, or an earlier load that
     *     overran has still not returned
     */
    public synchronized Map<String, MigrationState> load(Supplier<Map<String, MigrationState>> load) {
        if (overrunning != null) {
            if (!overrunning.isDone()) {
                throw new FlagStoreException("The flag store has not answered a load started "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - overrunningSinceNanos)
                        + " ms ago (load timeout " + budget.toMillis() + " ms): it is still waiting for a connection"
                        + " from the pool, for its validation, or for the query");
            }
            overrunning = null;
        }
        Duration wait = first ? firstBudget : budget;
        first = false;
        long start = System.nanoTime();
        Future<Map<String, MigrationState>> running;
        try {
            running = worker.submit(load::get);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new FlagStoreException("The flags are closed: no more loads", e);
        }
        try {
            return running.get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            overrunning = running;
            overrunningSinceNanos = start;
            throw new FlagStoreException("Loading the migration flags took longer than the "
                    + (wait == budget ? "load timeout of " : "start timeout of ") + wait.toMillis() + " ms: the flag store's pool, its connection validation or the query is"
                    + " stalled. Counted as a failed load; the load is left to finish in the background", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new FlagStoreException("Loading the migration flags failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.cancel(true);
            throw new FlagStoreException("Interrupted while loading the migration flags", e);
        }
    }

    /** Stops the loading thread, interrupting a load that still runs. */
    @Override
    public void close() {
        worker.shutdownNow();
        LOG.debug("Flag store loader stopped");
    }
}
