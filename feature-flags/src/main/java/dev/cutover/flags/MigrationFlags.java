package dev.cutover.flags;

import dev.cutover.flags.internal.FlipArguments;
import dev.cutover.flags.internal.WriteGate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime view of every migration's flags that requests read: one per application, shared by
 * all its migrations.
 *
 * <h2>Snapshot</h2>
 * {@link #state(String)} answers from an immutable map held in a volatile field: no I/O, no lock,
 * no allocation for known migrations. A single daemon thread reloads the whole map from the
 * {@link FlagStore} every {@link Builder#refreshInterval(Duration) refresh interval} (fixed delay)
 * and swaps it in at once, so a flip made by another instance or by hand in the store is seen within
 * one interval plus one load, whether or not anything reads in between. A read-triggered cache
 * refresh (such as Caffeine's {@code refreshAfterWrite}) could not promise that bound, because an
 * entry nobody reads is never refreshed and the first read after a quiet period still gets the old
 * value. Changes are detected by comparing the flags themselves, not only the version, so a hand
 * edit that leaves the version alone is still picked up.
 *
 * <h2>Store outage</h2>
 * When the store cannot be read, the last good snapshot keeps being served; the outage is logged
 * once at WARN when it starts and once at INFO when the store is back, every failed load is counted
 * ({@link #storeErrorCount()}), and refreshing goes on by itself. Before the first successful load
 * every migration is {@link Stage#SOURCE_ONLY}.
 *
 * <h2>Flips</h2>
 * {@link #update} and its shorthands read the current state from the store, apply the change, check
 * the stage transition and save with compare-and-set, retrying on a fresh state when another
 * instance's flip won; flips of one migration through one instance take turns. The stored state is
 * visible through {@link #state(String)} as soon as the call returns, and listeners are told.
 *
 * <h2>Primary moves</h2>
 * Every wrapped write takes a {@link WritePermit} from {@link #beginWrite(String)}: the fenced
 * handover. A move of the primary side (say {@code SHIFT_READS} to {@code TARGET_PRIMARY}) pauses the
 * migration's writes on each instance for the {@link Builder#handoverPause handover pause} after the
 * instance saw it, until its writes of the old primary have finished and the registered
 * {@link HandoverStep}s succeeded; copies from the old primary must land within the pause after the
 * newest load that still showed it. So no instance writes the new primary before every write of the
 * old one, and its copy, is done, as long as every instance reloads its flags or fails its writes
 * (the lease: a write of a dual-write stage needs flags confirmed less than about the pause ago).
 *
 * <h2>Thread safety</h2>
 * Every method may be called from any thread. A reader sees either the old or the new state of a
 * migration, never a mix. Listeners are told of changes one at a time, in the order the snapshot
 * changed. Background loads run on one daemon thread: a load that hangs (say, on a network stall without a
 * network timeout, see {@link JdbcFlagStoreConfig.Builder#networkTimeout}) delays later refreshes but never blocks a reader.
 */
public final class MigrationFlags implements AutoCloseable {
    /** The default time between two background loads of the store. */
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMillis(500);
    private static final Duration MIN_REFRESH_INTERVAL = Duration.ofMillis(10);
    private static final Duration MAX_REFRESH_INTERVAL = Duration.ofHours(1);
    /** How often a flip is tried against concurrent flips before giving up. */
    private static final int MAX_FLIP_ATTEMPTS = 20;
    private static final Logger LOG = LoggerFactory.getLogger(MigrationFlags.class);

    private final FlagStore store;
    private final Clock clock;
    private final ScheduledExecutorService refresher;
    private final List<FlagListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, MigrationState> initialStates = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> flips = new ConcurrentHashMap<>();
    private final Map<String, Object> flipLocks = new ConcurrentHashMap<>();
    private final AtomicLong storeErrors = new AtomicLong();
    private final AtomicLong outages = new AtomicLong();
    private final ConcurrentLinkedQueue<MigrationState[]> pendingNotifications = new ConcurrentLinkedQueue<>();
    private final Object notifyLock = new Object();

    private volatile Map<String, MigrationState> snapshot = Map.of();
    private volatile boolean closed;

    private final Object snapshotLock = new Object();
    /** Counts flips installed by this instance; guarded by snapshotLock. */
    private long localWrites;
    /** Migration to the localWrites count of its last own flip; guarded by snapshotLock. */
    private final Map<String, Long> lastLocalWrite = new HashMap<>();

    private final WriteGate gate;

    private final Object refreshLock = new Object();
    /** When the running outage began, or null while the store answers; guarded by refreshLock. */
    private Instant outageSince;

    private MigrationFlags(Builder builder) {
        this.store = builder.store;
        this.clock = builder.clock;
        Duration pause = builder.pause();
        this.gate = new WriteGate(pause.toNanos(), builder.maxHandoverWait.toNanos(), builder.refreshInterval.toNanos(),
                this::refresh, this::state);
        refresh();
        this.refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cutover-flags-refresh");
            thread.setDaemon(true);
            return thread;
        });
        long millis = builder.refreshInterval.toMillis();
        refresher.scheduleWithFixedDelay(this::refreshInBackground, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts building the flags of an application.
     *
     * @param store where the flags live
     * @return the builder
     */
    public static Builder builder(FlagStore store) {
        return new Builder(store);
    }

    /**
     * The current state of a migration, from the in-memory snapshot: no I/O, and store problems
     * never reach the caller.
     *
     * @param migration the migration name
     * @return the state; {@link MigrationState#initial(String)} ({@link Stage#SOURCE_ONLY}) for a
     *     migration the store does not know or before the store was first read
     * @throws IllegalArgumentException only if the name itself is illegal (a programming error)
     */
    public MigrationState state(String migration) {
        MigrationState state = snapshot.get(Objects.requireNonNull(migration, "null migration"));
        return state != null ? state : initialStates.computeIfAbsent(migration, MigrationState::initial);
    }

    /**
     * Starts a write of a migration: the fenced primary handover. Every wrapped write calls it and
     * closes the permit when its primary write and its copy are done.
     *
     * <p>After this instance saw the primary move (a load, or its own flip, showed another primary
     * side), new writes of the migration wait here until the handover is done: the handover pause
     * ({@link Builder#handoverPause}) has passed since the observation, every write of the old primary
     * that this instance started has finished, and every registered {@link HandoverStep} succeeded. In a
     * stage that writes both sides, a write also needs a <em>lease</em>: a load that started less
     * than the pause ago (minus a margin for the copy) must have confirmed the flags; when none did, the
     * flags are reloaded here once.
     *
     * @param migration the migration name
     * @return the permit; close it when the write (and its copy) is done
     * @throws HandoverException if the handover is not done within {@link Builder#maxHandoverWait},
     *     naming what is missing; nothing was written
     * @throws FlagsNotConfirmedException if the flags could not be confirmed recently enough
     */
    public WritePermit beginWrite(String migration) {
        return gate.begin(MigrationState.checkMigrationName(migration), true);
    }

    /**
     * Like {@link #beginWrite}, but does not wait for a handover in progress.
     *
     * @param migration the migration name
     * @return the permit, or null while this instance's handover of a primary move is not done
     * @throws FlagsNotConfirmedException if the flags could not be confirmed recently enough
     */
    public WritePermit tryBeginWrite(String migration) {
        return gate.begin(MigrationState.checkMigrationName(migration), false);
    }

    /**
     * Registers a step of the handover of every primary move of a migration (see {@link #beginWrite}).
     * Registering a second step under the same name keeps the first.
     *
     * @param migration the migration name
     * @param name identifies the step, e.g. what it drains
     * @param step the step; idempotent
     */
    public void addHandoverStep(String migration, String name, HandoverStep step) {
        gate.addStep(MigrationState.checkMigrationName(migration), Objects.requireNonNull(name, "null name"),
                Objects.requireNonNull(step, "null step"));
    }

    /**
     * @param migration the migration name
     * @return the old primary while this instance has not finished the handover of the migration's
     *     newest primary move (copies from it are still safe then), else null
     */
    public Side handoverFrom(String migration) {
        return gate.handoverFrom(migration);
    }

    /** @return the longest time a write of any migration waited for a handover so far */
    public Duration longestHandoverWait() {
        return Duration.ofNanos(gate.maxWaitNanos());
    }

    /** @return the names of the migrations in the current snapshot */
    public Set<String> migrations() {
        return snapshot.keySet();
    }

    /**
     * Changes the flags of a migration: reads its current state from the store, applies
     * {@code change} to a builder of it, checks the stage transition, and saves with compare-and-set,
     * starting over on a fresh state if another flip won (up to 20 attempts). A change that alters
     * nothing is not stored and not audited.
     *
     * @param migration the migration name
     * @param actor who flips: 1 to 200 characters, recorded in the audit
     * @param reason why: up to 1,000 characters, recorded in the audit
     * @param change derives the new flags from a builder of the current ones; it may run more than
     *     once, so it must not have side effects
     * @return the stored state
     * @throws StageTransitionException if the new stage skips one going forward
     * @throws IllegalArgumentException if a value is illegal
     * @throws ConcurrentFlipException if every attempt lost against concurrent flips
     * @throws FlagStoreException if the store cannot be read or written
     * @throws IllegalStateException if these flags are closed
     */
    public MigrationState update(String migration, String actor, String reason,
                                 UnaryOperator<MigrationState.Builder> change) {
        return flip(migration, actor, reason, change, false);
    }

    /**
     * Moves a migration to a stage: one step forward, or back to any earlier stage (rollback).
     *
     * @param migration the migration name
     * @param stage the new stage
     * @param actor who flips
     * @param reason why
     * @return the stored state
     * @throws StageTransitionException if the move skips a stage going forward; use
     *     {@link #forceMoveTo} if that is intended
     * @see #update
     */
    public MigrationState moveTo(String migration, Stage stage, String actor, String reason) {
        Objects.requireNonNull(stage, "null stage");
        return flip(migration, actor, reason, b -> b.stage(stage), false);
    }

    /**
     * Moves a migration to any stage, also skipping stages going forward.
     *
     * @param migration the migration name
     * @param stage the new stage
     * @param actor who flips
     * @param reason why
     * @return the stored state
     * @see #update
     */
    public MigrationState forceMoveTo(String migration, Stage stage, String actor, String reason) {
        Objects.requireNonNull(stage, "null stage");
        return flip(migration, actor, reason, b -> b.stage(stage), true);
    }

    /**
     * Sets the percentage of keyed reads the target serves in {@link Stage#SHIFT_READS}.
     *
     * @param migration the migration name
     * @param percent 0 to 100 in steps of 0.01
     * @param actor who flips
     * @param reason why
     * @return the stored state
     * @throws IllegalArgumentException if the percentage is illegal, naming the allowed values
     * @see #update
     */
    public MigrationState setTargetReadPercent(String migration, double percent, String actor, String reason) {
        MigrationState.toBasisPoints("targetReadPercent", percent);
        return flip(migration, actor, reason, b -> b.targetReadPercent(percent), false);
    }

    /**
     * Sets the percentage of reads also run on the other side and compared.
     *
     * @param migration the migration name
     * @param percent 0 to 100 in steps of 0.01
     * @param actor who flips
     * @param reason why
     * @return the stored state
     * @throws IllegalArgumentException if the percentage is illegal, naming the allowed values
     * @see #update
     */
    public MigrationState setShadowReadPercent(String migration, double percent, String actor, String reason) {
        MigrationState.toBasisPoints("shadowReadPercent", percent);
        return flip(migration, actor, reason, b -> b.shadowReadPercent(percent), false);
    }

    /**
     * Registers a listener for every change this instance sees: its own flips and those found by
     * refreshing. Exceptions it throws are caught and logged.
     *
     * @param listener the listener
     * @return closing it removes the listener; closing twice is harmless
     */
    public AutoCloseable addListener(FlagListener listener) {
        Objects.requireNonNull(listener, "null listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Lists the audited flips of a migration, reading the store.
     *
     * @param migration the migration name
     * @param limit the most entries to return, at least 1
     * @return the flips, newest first
     * @throws FlagStoreException if the store cannot be read
     */
    public List<FlagChange> audit(String migration, int limit) {
        FlipArguments.checkAuditQuery(migration, limit);
        return store.audit(migration, limit);
    }

    /**
     * Reloads the snapshot from the store now, as the background refresh does. A failure is handled
     * like one of the background refresh (counted, logged once per outage, old snapshot kept) and is
     * not thrown.
     */
    public void refresh() {
        synchronized (refreshLock) {
            long writesBefore;
            synchronized (snapshotLock) {
                writesBefore = localWrites;
            }
            Map<String, MigrationState> loaded;
            long loadStart = System.nanoTime();
            try {
                loaded = checked(store.loadAll());
            } catch (RuntimeException e) {
                loadFailed(e);
                return;
            }
            if (outageSince != null) {
                LOG.info("Migration flag store is readable again after {} ms; flags are current again",
                        Duration.between(outageSince, clock.instant()).toMillis());
                outageSince = null;
            }
            installLoaded(loaded, writesBefore, loadStart, System.nanoTime());
        }
        deliverNotifications();
    }

    /** @return how many loads of the store failed so far */
    public long storeErrorCount() {
        return storeErrors.get();
    }

    /** @return how many store outages began so far: a run of failed loads counts once */
    public long outageCount() {
        return outages.get();
    }

    /** @return how many illegal stored values the store rejected so far, see {@link FlagStore#invalidValueCount()} */
    public long invalidValueCount() {
        return store.invalidValueCount();
    }

    /**
     * How many flips of a migration this instance stored (flips found by refreshing are not counted,
     * so that summing over instances counts each flip once).
     *
     * @param migration the migration name
     * @return the count
     */
    public long flipCount(String migration) {
        LongAdder count = flips.get(migration);
        return count == null ? 0 : count.sum();
    }

    /**
     * Stops the background refresh. {@link #state(String)} keeps answering from the last snapshot;
     * flips are refused from now on. Closing twice is harmless.
     */
    @Override
    public void close() {
        closed = true;
        refresher.shutdownNow();
    }

    private MigrationState flip(String migration, String actor, String reason,
                                UnaryOperator<MigrationState.Builder> change, boolean force) {
        MigrationState.checkMigrationName(migration);
        FlipArguments.checkActorAndReason(actor, reason);
        Objects.requireNonNull(change, "null change");
        if (closed) {
            throw new IllegalStateException("MigrationFlags is closed: no more flips through it");
        }
        // Flips of one migration through this instance take turns, so that compare-and-set only
        // ever races against other instances, never against threads of this one.
        synchronized (flipLocks.computeIfAbsent(migration, m -> new Object())) {
            return flipInTurn(migration, actor, reason, change, force);
        }
    }

    private MigrationState flipInTurn(String migration, String actor, String reason,
                                      UnaryOperator<MigrationState.Builder> change, boolean force) {
        ConcurrentFlipException lastLost = null;
        for (int attempt = 1; attempt <= MAX_FLIP_ATTEMPTS; attempt++) {
            long flipStart = System.nanoTime();
            MigrationState stored0 = store.loadAll().get(migration);
            MigrationState current = stored0 == null ? MigrationState.initial(migration) : stored0;
            MigrationState next = Objects.requireNonNull(change.apply(current.toBuilder()), "change returned null").build();
            Stage.checkTransition(current.stage(), next.stage(), force);
            if (next.sameFlagsAs(current)) {
                return current;
            }
            MigrationState stored;
            long saveStart = System.nanoTime();
            try {
                stored = store.save(current, next, actor, reason);
            } catch (ConcurrentFlipException e) {
                lastLost = e;
                pauseBeforeRetry(attempt, e);
                continue;
            }
            flips.computeIfAbsent(migration, m -> new LongAdder()).increment();
            LOG.info("Migration '{}' flipped by '{}': {} -> {}", migration, actor, current, stored);
            installOwnFlip(stored0, stored, flipStart, saveStart, System.nanoTime());
            deliverNotifications();
            return stored;
        }
        throw new ConcurrentFlipException("Gave up flipping migration '" + migration + "' after " + MAX_FLIP_ATTEMPTS
                + " attempts: other flips kept winning", lastLost);
    }

    private static void pauseBeforeRetry(int attempt, ConcurrentFlipException lost) {
        // A random pause lets competing instances fall out of step instead of colliding again.
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 2L + 5L * attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConcurrentFlipException("Interrupted while retrying a lost flip", lost);
        }
    }

    private void refreshInBackground() {
        try {
            refresh();
        } catch (RuntimeException e) {
            // An executor cancels a periodic task that throws; the refresh must outlive any bug.
            LOG.error("Unexpected failure while refreshing migration flags; retrying at the next interval", e);
        }
    }

    /** Rejects what a misbehaving store might return, so that it counts as a failed load. */
    private static Map<String, MigrationState> checked(Map<String, MigrationState> loaded) {
        if (loaded == null) {
            throw new FlagStoreException("The flag store returned null instead of a map of states");
        }
        loaded.forEach((migration, state) -> {
            if (state == null || !state.migration().equals(migration)) {
                throw new FlagStoreException("The flag store returned " + state + " for migration '" + migration
                        + "': every entry must map a migration name to a state of that migration");
            }
        });
        return loaded;
    }

    private void loadFailed(RuntimeException e) {
        storeErrors.incrementAndGet();
        if (outageSince == null) {
            outageSince = clock.instant();
            outages.incrementAndGet();
            LOG.warn("Cannot read the migration flag store; serving the last good flags of {} migration(s) until it"
                    + " is back (logged once per outage): {}", snapshot.size(), e.toString());
        } else {
            LOG.debug("Migration flag store still unreadable: {}", e.toString());
        }
    }

    private void installLoaded(Map<String, MigrationState> loaded, long writesBefore, long loadStart, long loadEnd) {
        synchronized (snapshotLock) {
            Map<String, MigrationState> current = snapshot;
            Map<String, MigrationState> next = new HashMap<>(loaded);
            // A flip of our own stored while this load ran may be newer than what the load saw.
            Set<String> kept = new HashSet<>();
            lastLocalWrite.forEach((migration, write) -> {
                if (write > writesBefore && current.containsKey(migration)) {
                    next.put(migration, current.get(migration));
                    kept.add(migration);
                }
            });
            lastLocalWrite.values().removeIf(write -> write <= writesBefore);
            Set<String> names = new HashSet<>(current.keySet());
            names.addAll(next.keySet());
            for (String migration : names) {
                MigrationState before = current.get(migration);
                MigrationState after = next.get(migration);
                queueIfChanged(before != null ? before : MigrationState.initial(migration),
                        after != null ? after : MigrationState.initial(migration));
            }
            snapshot = Map.copyOf(next);
            gate.loaded(next, kept, loadStart, loadEnd);
        }
    }

    private void installOwnFlip(MigrationState flippedFrom, MigrationState stored, long flipStart, long saveStart,
                                long saveEnd) {
        synchronized (snapshotLock) {
            MigrationState before = snapshot.get(stored.migration());
            if (before != null && before.version() > stored.version()) {
                return; // a refresh already brought a newer flip made elsewhere
            }
            Map<String, MigrationState> next = new HashMap<>(snapshot);
            next.put(stored.migration(), stored);
            localWrites++;
            lastLocalWrite.put(stored.migration(), localWrites);
            queueIfChanged(before != null ? before : MigrationState.initial(stored.migration()), stored);
            snapshot = Map.copyOf(next);
            gate.flipped(flippedFrom, stored, flipStart, saveStart, saveEnd);
        }
    }

    private void queueIfChanged(MigrationState before, MigrationState after) {
        if (!before.sameFlagsAs(after)) {
            pendingNotifications.add(new MigrationState[] {before, after});
        }
    }

    private void deliverNotifications() {
        synchronized (notifyLock) {
            MigrationState[] change;
            while ((change = pendingNotifications.poll()) != null) {
                for (FlagListener listener : listeners) {
                    try {
                        listener.onChange(change[0], change[1]);
                    } catch (RuntimeException e) {
                        LOG.warn("Flag listener {} failed on a change of migration '{}'; ignored", listener,
                                change[1].migration(), e);
                    }
                }
            }
        }
    }

    /** Builds {@link MigrationFlags}; not thread-safe. */
    public static final class Builder {
        private final FlagStore store;
        private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
        private Clock clock = Clock.systemUTC();
        private Duration handoverPause;
        private Duration maxHandoverWait = Duration.ofSeconds(30);

        private Builder(FlagStore store) {
            this.store = Objects.requireNonNull(store, "null store");
        }

        /**
         * Sets the time between the end of one background load and the start of the next.
         *
         * @param interval 10 ms to 1 h; default 500 ms
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder refreshInterval(Duration interval) {
            Objects.requireNonNull(interval, "null refreshInterval");
            if (interval.compareTo(MIN_REFRESH_INTERVAL) < 0 || interval.compareTo(MAX_REFRESH_INTERVAL) > 0) {
                throw new IllegalArgumentException("refreshInterval must be between 10 ms and 1 h, but was "
                        + interval.toMillis() + " ms");
            }
            this.refreshInterval = interval;
            return this;
        }

        /**
         * Sets the handover pause P of a primary move (see {@link MigrationFlags#beginWrite}): writes of
         * the old primary copy only until P after the start of the newest load that still showed it,
         * and each instance writes the new primary no earlier than P after it saw the move. A write of
         * a dual-write stage needs flags confirmed less than about P ago.
         *
         * @param pause longer than the refresh interval and at most 10 min; default the refresh
         *     interval plus 1 s
         * @return this builder
         * @throws IllegalArgumentException if out of range ({@link #build()} checks it against the
         *     refresh interval)
         */
        public Builder handoverPause(Duration pause) {
            Objects.requireNonNull(pause, "null handoverPause");
            if (pause.isNegative() || pause.isZero() || pause.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("handoverPause must be > 0 and at most 10 min, but was " + pause);
            }
            this.handoverPause = pause;
            return this;
        }

        /**
         * Sets how long a write waits for the handover of a primary move before it fails with a
         * {@link HandoverException}, having written nothing.
         *
         * @param wait 1 ms to 10 min; default 30 s
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxHandoverWait(Duration wait) {
            Objects.requireNonNull(wait, "null maxHandoverWait");
            if (wait.toMillis() < 1 || wait.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("maxHandoverWait must be between 1 ms and 10 min, but was " + wait);
            }
            this.maxHandoverWait = wait;
            return this;
        }

        Duration pause() {
            Duration pause = handoverPause != null ? handoverPause : refreshInterval.plusSeconds(1);
            if (pause.compareTo(refreshInterval) <= 0) {
                throw new IllegalArgumentException("handoverPause must be longer than refreshInterval ("
                        + refreshInterval.toMillis() + " ms), but was " + pause.toMillis() + " ms: otherwise a write's"
                        + " flags expire between two loads");
            }
            return pause;
        }

        /**
         * Sets the clock used to measure outages.
         *
         * @param clock the clock; default the UTC system clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "null clock");
            return this;
        }

        /**
         * Loads the store once in the calling thread (a failure is logged and counted, not thrown:
         * every migration is then {@link Stage#SOURCE_ONLY} until a load succeeds) and starts the
         * background refresh on a daemon thread.
         *
         * @return the running flags; close them to stop the refresh
         */
        public MigrationFlags build() {
            return new MigrationFlags(this);
        }
    }
}
