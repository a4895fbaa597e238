package dev.cutover.queue.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cutover.common.internal.Redaction;
import dev.cutover.queue.ClaimResult;
import dev.cutover.queue.NonRetryableReplayException;
import dev.cutover.queue.ReplayHandler;
import dev.cutover.queue.ReplayMode;
import dev.cutover.queue.RetryEntry;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retry queue's worker threads: each claims a batch of due entries, replays them through the
 * {@link ReplayHandler} and settles each one in the store (removed, backed off, or parked), and one
 * at a time looks for unreadable entries to park. This is where the queue's guarantees are kept
 * (see {@link RetryQueue}); it is apart from the queue's facade so that the claim-replay-settle
 * loop reads in one place. It logs under {@link RetryQueue}'s name, which operators' log settings
 * know. Thread-safe: started and stopped from any thread.
 */
public final class ReplayWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(RetryQueue.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Claims in a row that may lose every candidate before a worker waits a poll interval. */
    private static final int MAX_LOST_CLAIMS_IN_A_ROW = 5;
    /** Poll intervals between two looks for unreadable entries; a look reads the table's unusual rows. */
    static final int UNREADABLE_CHECK_POLLS = 10;

    private final RetryStore store;
    private final ReplayHandler handler;
    private final RetryQueueConfig config;
    private final Listeners listeners;
    private final PendingKeys pending;
    private final Clock clock;
    private final String owner;
    private final IntervalFunction backoff;
    private final RateLimiter rateLimiter;
    private final CircuitBreaker breaker;
    /** When (clock millis) a worker next looks for unreadable entries; one worker at a time wins it. */
    private final AtomicLong nextUnreadableCheck = new AtomicLong(Long.MIN_VALUE);
    private final long unreadableCheckMillis;
    private final Object lifecycle = new Object();
    private ExecutorService workers;
    private volatile boolean running;

    /**
     * @param store where the entries live
     * @param handler applies entries to the target
     * @param config the settings
     * @param listeners told what the workers do
     * @param pending forgets the keys of replayed entries
     */
    public ReplayWorkers(RetryStore store, ReplayHandler handler, RetryQueueConfig config, Listeners listeners,
            PendingKeys pending) {
        this.store = store;
        this.handler = handler;
        this.config = config;
        this.listeners = listeners;
        this.pending = pending;
        this.unreadableCheckMillis = Math.max(1000, config.pollInterval().toMillis() * UNREADABLE_CHECK_POLLS);
        this.clock = config.clock();
        this.owner = config.instanceId();
        this.backoff = config.backoff();
        this.rateLimiter = config.replaysPerSecond() == 0 ? null : RateLimiter.of(owner, RateLimiterConfig.custom()
                .limitForPeriod(config.replaysPerSecond())
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(config.pollInterval())
                .build());
        this.breaker = config.circuitBreaker().orElse(null);
    }

    /** @see RetryQueue#start() */
    public void start() {
        synchronized (lifecycle) {
            if (running) {
                return;
            }
            AtomicInteger number = new AtomicInteger();
            workers = Executors.newFixedThreadPool(config.workerCount(), task -> {
                Thread thread = new Thread(task, "cutover-retry-" + owner + "-" + number.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            running = true;
            for (int i = 0; i < config.workerCount(); i++) {
                workers.execute(this::work);
            }
            LOG.info("Retry queue {} started {} workers", owner, config.workerCount());
        }
    }

    /** @see RetryQueue#stop() */
    public void stop() {
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            running = false;
            workers.shutdown();
            try {
                if (!workers.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("Retry queue {} workers did not stop within {}; interrupting them", owner,
                            config.shutdownTimeout());
                    workers.shutdownNow();
                }
            } catch (InterruptedException e) {
                workers.shutdownNow();
                Thread.currentThread().interrupt();
            }
            LOG.info("Retry queue {} stopped", owner);
        }
    }

    /** @return true between {@link #start()} and {@link #stop()} */
    public boolean isRunning() {
        return running;
    }

    private void work() {
        int lostInARow = 0;
        while (running) {
            try {
                parkUnreadableWhenDue();
                Claimed claimed = drainBatch();
                // A claim that lost every candidate to another worker or instance found work that was
                // there a moment ago: claim again at once rather than idle for a whole poll interval,
                // a few times in a row, so that a candidate that somehow stays unclaimable cannot spin.
                lostInARow = claimed == Claimed.LOST ? lostInARow + 1 : 0;
                if (claimed == Claimed.NOTHING || lostInARow > MAX_LOST_CLAIMS_IN_A_ROW) {
                    lostInARow = 0;
                    TimeUnit.MILLISECONDS.sleep(config.pollInterval().toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Error e) {
                // The executor does not rerun a task that died, so say loudly that this worker is gone.
                LOG.error("Retry queue {} lost a worker to {}; its claimed entries are released or expire", owner,
                        describe(e));
                throw e;
            } catch (RuntimeException e) {
                LOG.warn("Retry queue {} worker failed ({}); claiming again after {}", owner, describe(e),
                        config.pollInterval());
                try {
                    TimeUnit.MILLISECONDS.sleep(config.pollInterval().toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Parks the store's unreadable entries if it is time to look; one worker looks while the others
     * drain. A failed look is logged and tried again at the next interval, not in a loop.
     */
    private void parkUnreadableWhenDue() {
        long now = clock.millis();
        long due = nextUnreadableCheck.get();
        if (now < due || !nextUnreadableCheck.compareAndSet(due, now + unreadableCheckMillis)) {
            return;
        }
        List<RetryEntry> parked;
        try {
            parked = RetryStores.parkUnreadable(store, clock.instant());
        } catch (RuntimeException e) {
            LOG.warn("Retry queue {} could not look for unreadable entries ({}); looking again in {} ms", owner,
                    describe(e), unreadableCheckMillis);
            return;
        }
        for (RetryEntry entry : parked) {
            listeners.unreadable(entry.migration());
            listeners.parked(entry.migration());
            LOG.error("Parked unreadable retry entry {}: {}", entry.describe(), entry.lastError());
        }
    }

    /** What one claim of a worker got. */
    private enum Claimed {
        /** Entries, which were replayed. */
        ENTRIES,
        /** No entries, because other claimers took every due candidate first. */
        LOST,
        /** No entries: nothing was due, or the target is unavailable. */
        NOTHING
    }

    /**
     * Claims and replays one batch; returns whether there was anything to claim. Replayed entries
     * are removed together at the end of the batch, one statement instead of one per entry; this
     * cannot reorder a key, because a batch holds at most one entry per key and keeps it leased
     * until then.
     */
    private Claimed drainBatch() throws InterruptedException {
        if (!targetAvailable()) {
            return Claimed.NOTHING;
        }
        // Read at every claim: a handler may learn migrations while the queue runs (the runtime registers them).
        Optional<Set<String>> migrations = Objects.requireNonNull(handler.migrations(),
                "handler.migrations() returned null").map(Set::copyOf);
        if (migrations.isPresent() && migrations.get().isEmpty()) {
            return Claimed.NOTHING;
        }
        ClaimResult claim = store.claim(owner, clock.instant(), config.batchSize(), config.leaseDuration(), migrations);
        claim.conflicts().forEach(listeners::claimConflicts);
        List<RetryEntry> entries = claim.entries();
        List<RetryEntry> replayed = new ArrayList<>(entries.size());
        int next = 0;
        try {
            while (next < entries.size() && running) {
                RetryEntry entry = entries.get(next);
                Outcome outcome = replay(entry);
                if (outcome == Outcome.STOP_BATCH) {
                    break;
                }
                if (outcome == Outcome.REPLAYED) {
                    replayed.add(entry);
                }
                next++;
            }
        } finally {
            try {
                completed(replayed);
            } finally {
                releaseQuietly(entries.subList(next, entries.size()));
            }
        }
        if (!entries.isEmpty()) {
            return Claimed.ENTRIES;
        }
        return claim.conflicts().isEmpty() ? Claimed.NOTHING : Claimed.LOST;
    }

    /** Probes the breaker without spending a call, so that an open breaker also stops claiming. */
    private boolean targetAvailable() {
        if (breaker == null) {
            return true;
        }
        if (breaker.tryAcquirePermission()) {
            breaker.releasePermission();
            return true;
        }
        return false;
    }

    /** What became of one entry of a batch. */
    private enum Outcome {
        /** Replayed; to be removed with the rest of the batch. */
        REPLAYED,
        /** Failed and backing off, or parked: the store already knows. */
        SETTLED,
        /** Not touched, and the rest of the batch must be released: stopping, lease running out, breaker open. */
        STOP_BATCH
    }

    private Outcome replay(RetryEntry entry) throws InterruptedException {
        listeners.migrationSeen(entry.migration());
        Instant startBy = entry.leaseUntil().minus(config.leaseDuration().dividedBy(5));
        if (clock.instant().isAfter(startBy) || !acquireRate()) {
            return Outcome.STOP_BATCH;
        }
        if (entry.mode() == ReplayMode.UNKNOWN) {
            // JDBC stores never hand such an entry out; another store might.
            park(entry, "replay_mode cannot be read; set it to REPLAY or RESYNC and requeue the entry, or discard it",
                    new IllegalStateException("unreadable replay_mode"));
            return Outcome.SETTLED;
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(entry.payload());
        } catch (JsonProcessingException e) {
            park(entry, "payload is not valid JSON: " + text(e.getOriginalMessage()), e);
            return Outcome.SETTLED;
        }
        if (breaker != null && !breaker.tryAcquirePermission()) {
            return Outcome.STOP_BATCH;
        }
        long started = System.nanoTime();
        try {
            handler.replay(entry, payload);
            if (breaker != null) {
                breaker.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
            return Outcome.REPLAYED;
        } catch (NonRetryableReplayException e) {
            releaseBreaker();
            park(entry, "non-retryable: " + Redaction.message(e, config.logValues()), e);
        } catch (JsonProcessingException e) {
            releaseBreaker();
            park(entry, "payload cannot be deserialized: " + text(e.getOriginalMessage()), e);
        } catch (InterruptedException e) {
            releaseBreaker();
            throw e;
        } catch (Exception e) {
            if (breaker != null) {
                breaker.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, e);
            }
            failed(entry, e);
        }
        return Outcome.SETTLED;
    }

    private boolean acquireRate() {
        if (rateLimiter == null) {
            return true;
        }
        while (running) {
            if (rateLimiter.acquirePermission()) {
                return true;
            }
        }
        return false;
    }

    private void releaseBreaker() {
        if (breaker != null) {
            breaker.releasePermission();
        }
    }

    private void completed(List<RetryEntry> replayed) {
        if (replayed.isEmpty()) {
            return;
        }
        int removed = store.completeAll(replayed);
        for (RetryEntry entry : replayed) {
            listeners.replayed(entry.migration());
            pending.forget(entry.migration(), entry.entity(), entry.key());
            LOG.debug("Replayed retry entry {}", entry.describe());
        }
        if (removed < replayed.size()) {
            LOG.warn("{} of {} replayed retry entries were claimed again after their lease ran out; they may be"
                    + " replayed again", replayed.size() - removed, replayed.size());
        }
    }

    private void failed(RetryEntry entry, Exception error) {
        int attempts = entry.attempts() + 1;
        if (attempts >= config.maxAttempts()) {
            park(entry, describe(error), error);
            return;
        }
        Instant next = clock.instant().plusMillis(backoff.apply(attempts));
        if (store.fail(entry, describe(error), next)) {
            listeners.retried(entry.migration());
            LOG.info("Retry entry {} failed attempt {} of {} ({}); next attempt at {}", entry.describe(), attempts,
                    config.maxAttempts(), error.getClass().getName(), next);
            LOG.debug("Retry entry {} failure detail", entry.describe(), Redaction.loggable(error, config.logValues()));
        } else {
            LOG.warn("Retry entry {} failed after its lease was taken over; the new owner replays it", entry.describe());
        }
    }

    private void park(RetryEntry entry, String reason, Exception cause) {
        if (store.park(entry, reason)) {
            listeners.parked(entry.migration());
            // The reason may quote payload values (driver messages often do): only its type goes to the WARN log.
            LOG.warn("Parked retry entry {} after {} attempt(s) ({}); an operator must requeue or discard it",
                    entry.describe(), entry.attempts() + 1, cause.getClass().getName());
            LOG.debug("Retry entry {} parked: {}", entry.describe(), reason);
        } else {
            LOG.warn("Could not park retry entry {}: its lease was taken over", entry.describe());
        }
    }

    /** Releases entries until the store fails: then the store is likely unreachable, and their leases end anyway. */
    private void releaseQuietly(List<RetryEntry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            try {
                store.release(entries.get(i));
            } catch (RuntimeException e) {
                LOG.warn("Could not release retry entry {} ({}); it and the {} after it in its batch are claimed again"
                        + " after their lease ends", entries.get(i).describe(), describe(e), entries.size() - i - 1);
                return;
            }
        }
    }

    /** The stored and logged text of a failure: see {@link RetryQueueConfig#logValues()}. */
    private String describe(Throwable error) {
        return Redaction.describe(error, config.logValues());
    }

    private String text(String message) {
        return config.logValues() ? message : Redaction.reduce(message);
    }
}
