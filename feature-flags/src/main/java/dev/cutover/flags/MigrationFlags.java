package dev.cutover.flags;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.Names;
import dev.cutover.flags.internal.BoundedLoader;
import dev.cutover.flags.internal.FlipArguments;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.Percentages;
import dev.cutover.flags.internal.WriteGate;
import dev.cutover.flags.internal.VanishedStates;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
 * ({@link #storeErrorCount()}), and refreshing goes on by itself. Every load is bounded by the
 * {@link Builder#loadTimeout(Duration) load timeout} (default 1 s), borrowing a connection
 * included, so a stalled store shows within about one refresh interval plus that timeout. The
 * first load happens in {@link Builder#build()}, bounded by the {@link Builder#startTimeout(Duration)
 * start timeout} (default 5 s), which fails fast if it fails (see there).
 *
 * <h2>Vanished and illegal stored flags</h2>
 * A migration whose stored flags vanish while it is past {@link Stage#SOURCE_ONLY} (a deleted row,
 * a table dropped and re-created) keeps its last known state instead of falling back to
 * SOURCE_ONLY, is logged at ERROR and counted ({@link #vanishedCount()}); a process started after
 * the row vanished finds that state in the store's audit, for the migrations it
 * {@link #declare declares} (looked up once per migration, at the next load after declaring).
 * {@link #reset} starts a migration over. Illegal stored values affect only their own migration (see
 * {@link FlagStore#loadAll()}).
 *
 * <h2>Flips</h2>
 * {@link #update} and its shorthands read the current state from the store, apply the change, check
 * the stage transition and save with compare-and-set, retrying on a fresh state when another
 * instance's flip won; flips of one migration through one instance take turns. Only migrations the
 * store holds or that were {@link #declare declared} in this process (or {@link #create created})
 * can be flipped, so a typo cannot start a new migration. A move from {@link Stage#SHIFT_READS} or
 * later back to an earlier stage resets the target read percentage to 0, so that entering
 * SHIFT_READS again sends no reads to the target until the percentage is raised again. The stored state is
 * visible through {@link #state(String)} as soon as the call returns, and listeners are told.
 *
 * <h2>Primary moves</h2>
 * Every wrapped write takes a write permit of its migration from the flags: the fenced
 * handover. A move of the primary side (say {@code SHIFT_READS} to {@code TARGET_PRIMARY}) pauses the
 * migration's writes on each instance for the {@link Builder#handoverPause handover pause} after the
 * instance saw it, until its writes of the old primary have finished and the handover steps the
 * dual-write core registers (the retry-queue drained, sequences advanced) succeeded; copies from the old primary must land within the pause after the
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
    /** The default longest wait for one load of the store, see {@link Builder#loadTimeout(Duration)}. */
    public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofSeconds(1);
    /** The default longest wait of {@link Builder#build()} for the first load, see {@link Builder#startTimeout(Duration)}. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration MIN_LOAD_TIMEOUT = Duration.ofMillis(10);
    private static final Duration MAX_LOAD_TIMEOUT = Duration.ofMinutes(1);
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
    private final Set<String> declared = ConcurrentHashMap.newKeySet();
    private final VanishedStates vanished = new VanishedStates();
    private final BoundedLoader loader;

    private volatile Map<String, MigrationState> snapshot = Map.of();
    private volatile boolean closed;
    /** Why the latest failed load failed, for the start-up error. */
    private volatile RuntimeException lastLoadFailure;

    private final Object snapshotLock = new Object();
    /** Counts flips installed by this instance; guarded by snapshotLock. */
    private long localWrites;
    /** Migration to the localWrites count of its last own flip; guarded by snapshotLock. */
    private final Map<String, Long> lastLocalWrite = new HashMap<>();

    private final WriteGate gate;

    private final Object refreshLock = new Object();
    /**
     * When the running outage began, or null while the store answers; written under refreshLock,
     * volatile so that health checks read it without waiting for a load in progress.
     */
    private volatile Instant outageSince;

    static {
        // The dual-write core takes its write permits, registers its handover steps and asks for the
        // old primary through Handovers; those calls stay off this class's public API.
        Handovers.install(new Handovers.Access() {
            @Override
            public WriteGate gate(MigrationFlags flags) {
                return flags.gate;
            }
        });
    }

    private MigrationFlags(Builder builder) {
        this.store = builder.store;
        this.clock = builder.clock;
        Duration pause = builder.pause();
        this.gate = new WriteGate(pause.toNanos(), builder.maxHandoverWait.toNanos(), builder.refreshInterval.toNanos(),
                this::refresh, this::state);
        this.loader = new BoundedLoader(builder.loadTimeout, builder.startTimeout, "cutover-flags-load");
        this.declared.addAll(builder.declared);
        builder.declared.forEach(gate::follow);
        refresh();
        if (outageSince != null && !builder.startDuringStoreOutage) {
            loader.close();
            throw new FlagStoreException("Cannot read the migration flag store within the start timeout of "
                    + builder.startTimeout.toMillis() + " ms at start-up: without"
                    + " it Cutover cannot know any migration's stage, and starting as SOURCE_ONLY could write to the"
                    + " source alone while the target is primary. Fix: make the flag store reachable and start again;"
                    + " keep the flags in a database that stays up during the migration; or, if every migration is"
                    + " known to be SOURCE_ONLY, build with startDuringStoreOutage(true)", lastLoadFailure);
        }
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
     * @throws CutoverConfigurationException only if the name itself is illegal (a programming error)
     */
    public MigrationState state(String migration) {
        MigrationState state = snapshot.get(Objects.requireNonNull(migration, "null migration"));
        return state != null ? state : initialStates.computeIfAbsent(migration, MigrationState::initial);
    }

    /**
     * The current states of several migrations, all from one snapshot: a {@link #moveTogether} is
     * seen whole or not at all, never one migration moved and another not. No I/O.
     *
     * @param migrations the migration names
     * @return their states, in the same order, as {@link #state(String)} answers each
     */
    public List<MigrationState> states(List<String> migrations) {
        Map<String, MigrationState> current = snapshot;
        List<MigrationState> states = new java.util.ArrayList<>(migrations.size());
        for (String migration : migrations) {
            MigrationState state = current.get(Objects.requireNonNull(migration, "null migration"));
            states.add(state != null ? state : initialStates.computeIfAbsent(migration, MigrationState::initial));
        }
        return states;
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
     * @throws IllegalArgumentException if a value is illegal, or if the migration is neither stored
     *     nor {@link #declare declared} (the message lists the known migrations)
     * @throws ConcurrentFlipException if every attempt lost against concurrent flips
     * @throws FlagStoreException if the store cannot be read or written
     * @throws IllegalStateException if these flags are closed
     */
    public MigrationState update(String migration, String actor, String reason,
                                 UnaryOperator<MigrationState.Builder> change) {
        return flip(migration, actor, reason, change, false);
    }

    /**
     * Moves a migration to a stage: one step forward, or back to any earlier stage (rollback). A
     * move from SHIFT_READS or later back before it resets the target read percentage to 0.
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
     * Moves several migrations to one stage together: all their new states are stored in one
     * transaction of the store ({@link FlagStore#saveAll}), each audited on its own with the same
     * actor and reason, so that every instance sees all of them move at once, in one load. This is
     * how the primary of migrations that share one {@code CutoverDataSource} moves: such a data
     * source writes only while its migrations agree on the primary, and a move of one alone would
     * stop its writes until the others follow. Each migration then runs its own fenced handover
     * (see Primary moves above), as after {@link #moveTo}.
     *
     * <p>Each move is checked as {@link #moveTo} checks it (no skipped stage going forward; leaving
     * {@code SHIFT_READS} backwards resets the target read percentage); if any is refused, none is
     * stored. Migrations already at the stage are left as they are. Flips of these migrations
     * through this instance wait for each other; a concurrent flip elsewhere makes the whole move
     * start over on fresh states.
     *
     * @param migrations the migrations, at least one; each must be stored, declared or known here
     * @param stage the stage for all of them
     * @param actor who flips
     * @param reason why
     * @return the states now stored, by migration, in name order
     * @throws StageTransitionException naming the migration whose move skips a stage; nothing stored
     * @throws IllegalArgumentException if the set is empty or a migration is unknown; nothing stored
     * @throws UnsupportedOperationException if the store cannot save several migrations atomically
     * @throws ConcurrentFlipException if other flips kept winning
     * @throws FlagStoreException if the store cannot be read or written; nothing stored
     * @throws IllegalStateException if these flags are closed
     */
    public Map<String, MigrationState> moveTogether(Set<String> migrations, Stage stage, String actor, String reason) {
        Objects.requireNonNull(migrations, "null migrations");
        Objects.requireNonNull(stage, "null stage");
        if (migrations.isEmpty()) {
            throw new IllegalArgumentException("migrations must name at least one migration, but was empty");
        }
        TreeSet<String> names = new TreeSet<>();
        for (String migration : migrations) {
            names.add(Names.checkMigrationName(migration));
        }
        FlipArguments.checkActorAndReason(actor, reason);
        if (closed) {
            throw new IllegalStateException("MigrationFlags is closed: no more flips through it");
        }
        // Locked in name order, so that two group moves over overlapping sets cannot deadlock.
        return lockedInOrder(List.copyOf(names), 0, () -> moveTogetherInTurn(List.copyOf(names), stage, actor, reason));
    }

    private <T> T lockedInOrder(List<String> migrations, int from, java.util.function.Supplier<T> action) {
        if (from == migrations.size()) {
            return action.get();
        }
        synchronized (flipLocks.computeIfAbsent(migrations.get(from), m -> new Object())) {
            return lockedInOrder(migrations, from + 1, action);
        }
    }

    private Map<String, MigrationState> moveTogetherInTurn(List<String> migrations, Stage stage, String actor,
            String reason) {
        ConcurrentFlipException lastLost = null;
        for (int attempt = 1; attempt <= MAX_FLIP_ATTEMPTS; attempt++) {
            long flipStart = System.nanoTime();
            Map<String, MigrationState> inStore = store.loadAll();
            Map<String, MigrationState> result = new java.util.LinkedHashMap<>();
            List<MigrationState> expected = new java.util.ArrayList<>();
            List<MigrationState> next = new java.util.ArrayList<>();
            for (String migration : migrations) {
                MigrationState current = inStore.get(migration);
                boolean storeAnyway = false;
                if (current == null) {
                    current = unstoredBase(migration, inStore.keySet(), false);
                    storeAnyway = current.version() == 0 && current.stage() != Stage.SOURCE_ONLY;
                }
                MigrationState moved = current.toBuilder().stage(stage).build();
                try {
                    Stage.checkTransition(current.stage(), moved.stage(), false);
                } catch (StageTransitionException e) {
                    throw new StageTransitionException("Cannot move migrations " + migrations + " together to " + stage
                            + ": migration '" + migration + "' is in " + current.stage() + ". " + e.getMessage()
                            + ". Nothing was moved; move them together through the stage it skips first");
                }
                moved = leavingReadShift(current, moved);
                result.put(migration, current);
                if (!moved.sameFlagsAs(current) || storeAnyway) {
                    expected.add(current);
                    next.add(moved);
                }
            }
            if (expected.isEmpty()) {
                return java.util.Collections.unmodifiableMap(result);
            }
            List<MigrationState> stored;
            long saveStart = System.nanoTime();
            try {
                stored = store.saveAll(expected, next, actor, reason);
            } catch (ConcurrentFlipException e) {
                lastLost = e;
                pauseBeforeRetry(attempt, e);
                continue;
            }
            long saveEnd = System.nanoTime();
            for (int i = 0; i < stored.size(); i++) {
                MigrationState s = stored.get(i);
                flips.computeIfAbsent(s.migration(), m -> new LongAdder()).increment();
                vanished.stored(s);
                LOG.info("Migration '{}' flipped by '{}' together with {}: {} -> {}", s.migration(), actor, migrations,
                        expected.get(i), s);
                result.put(s.migration(), s);
            }
            installOwnFlips(expected, stored, flipStart, saveStart, saveEnd);
            deliverNotifications();
            return java.util.Collections.unmodifiableMap(result);
        }
        throw new ConcurrentFlipException("Gave up moving migrations " + migrations + " together after "
                + MAX_FLIP_ATTEMPTS + " attempts: other flips kept winning", lastLost);
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
        Percentages.toBasisPoints("targetReadPercent", percent);
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
        Percentages.toBasisPoints("shadowReadPercent", percent);
        return flip(migration, actor, reason, b -> b.shadowReadPercent(percent), false);
    }

    /**
     * Declares a migration in this process, so that flips of it are accepted before the store holds
     * it. Flips of a migration that is neither stored nor declared are refused, so that a typo in a
     * name cannot start a new migration. Cutover's wrappers ({@code RepositoryBuilder},
     * {@code CutoverDataSource}) declare their migration when built. No I/O; declaring twice is
     * harmless.
     *
     * @param migration the migration name
     * @throws CutoverConfigurationException if the name is illegal
     */
    public void declare(String migration) {
        declared.add(Names.checkMigrationName(migration));
        gate.follow(migration);
    }

    /**
     * Stores a new migration at its initial state ({@link Stage#SOURCE_ONLY}, no target or shadow
     * reads, no canaries), with an audit entry, so that every process may flip it, operator tools
     * included. Does nothing if the store already holds the migration.
     *
     * @param migration the migration name
     * @param actor who creates it
     * @param reason why
     * @return the stored state
     * @throws IllegalStateException if the migration's stored flags vanished while it was past
     *     SOURCE_ONLY (see {@link #reset}), or if these flags are closed
     * @throws FlagStoreException if the store cannot be read or written
     */
    public MigrationState create(String migration, String actor, String reason) {
        return flip(migration, actor, reason, b -> b, false, true);
    }

    /**
     * Starts a migration over: stores its initial flags ({@link Stage#SOURCE_ONLY}, no target or
     * shadow reads, no canaries), audited, so that every instance moves back to SOURCE_ONLY. This is
     * the way to reset a migration, also one whose stored row vanished (deleting the row does not
     * reset it: instances keep its last known state, see {@link #vanishedCount()}). Like any move
     * back, writes made to the target alone since DUAL_WRITE are not copied back.
     *
     * @param migration the migration name; must be stored, declared or known to this process
     * @param actor who resets
     * @param reason why
     * @return the stored state
     * @see #update
     */
    public MigrationState reset(String migration, String actor, String reason) {
        return flip(migration, actor, reason, b -> b.stage(Stage.SOURCE_ONLY).targetReadPercent(0)
                .shadowReadPercent(0).targetKeys(Set.of()).sourceKeys(Set.of()), false);
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
     * Reloads the snapshot from the store now, as the background refresh does, waiting at most the
     * {@link Builder#loadTimeout(Duration) load timeout}. A failure is handled like one of the
     * background refresh (counted, logged once per outage, old snapshot kept) and is not thrown.
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
                loaded = checked(loader.load(this::loadStore));
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

    /**
     * Whether the flag store answers, for health checks: when the running outage began (the first
     * of the failed loads in a row), or empty while the latest load succeeded. No I/O.
     *
     * @return the start of the running outage, on this instance's clock
     */
    public Optional<Instant> storeOutageSince() {
        return Optional.ofNullable(outageSince);
    }

    /** @return how many store outages began so far: a run of failed loads counts once */
    public long outageCount() {
        return outages.get();
    }

    /**
     * How many times a migration's stored flags vanished from the store (row deleted, table dropped
     * and re-created) while it was past {@link Stage#SOURCE_ONLY}. Each such migration keeps its last
     * known state, with version 0, until it is stored again: restore the row, flip it (a flip stores
     * the kept state with the change) or {@link #reset} it. Each vanishing is logged once at ERROR.
     *
     * @return the count
     */
    public long vanishedCount() {
        return vanished.count();
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
        loader.close();
    }

    private MigrationState flip(String migration, String actor, String reason,
                                UnaryOperator<MigrationState.Builder> change, boolean force) {
        return flip(migration, actor, reason, change, force, false);
    }

    private MigrationState flip(String migration, String actor, String reason,
                                UnaryOperator<MigrationState.Builder> change, boolean force, boolean create) {
        Names.checkMigrationName(migration);
        FlipArguments.checkActorAndReason(actor, reason);
        Objects.requireNonNull(change, "null change");
        if (closed) {
            throw new IllegalStateException("MigrationFlags is closed: no more flips through it");
        }
        // Flips of one migration through this instance take turns, so that compare-and-set only
        // ever races against other instances, never against threads of this one.
        synchronized (flipLocks.computeIfAbsent(migration, m -> new Object())) {
            return flipInTurn(migration, actor, reason, change, force, create);
        }
    }

    private MigrationState flipInTurn(String migration, String actor, String reason,
                                      UnaryOperator<MigrationState.Builder> change, boolean force, boolean create) {
        ConcurrentFlipException lastLost = null;
        for (int attempt = 1; attempt <= MAX_FLIP_ATTEMPTS; attempt++) {
            long flipStart = System.nanoTime();
            Map<String, MigrationState> inStore = store.loadAll();
            MigrationState current = inStore.get(migration);
            // Stored again even if the flags do not change: a vanished row, or a created migration.
            boolean storeAnyway = false;
            if (current == null) {
                current = unstoredBase(migration, inStore.keySet(), create);
                storeAnyway = current.version() == 0 && (create || current.stage() != Stage.SOURCE_ONLY);
            } else if (create) {
                return current;
            }
            MigrationState next = Objects.requireNonNull(change.apply(current.toBuilder()), "change returned null").build();
            Stage.checkTransition(current.stage(), next.stage(), force);
            next = leavingReadShift(current, next);
            if (next.sameFlagsAs(current) && !storeAnyway) {
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
            vanished.stored(stored);
            LOG.info("Migration '{}' flipped by '{}': {} -> {}", migration, actor, current, stored);
            installOwnFlip(current, stored, flipStart, saveStart, System.nanoTime());
            deliverNotifications();
            return stored;
        }
        throw new ConcurrentFlipException("Gave up flipping migration '" + migration + "' after " + MAX_FLIP_ATTEMPTS
                + " attempts: other flips kept winning", lastLost);
    }

    /**
     * What a flip of a migration the store does not hold starts from.
     *
     * @throws IllegalArgumentException if the migration is neither known nor being created
     * @throws IllegalStateException if it is being created but its row vanished
     */
    private MigrationState unstoredBase(String migration, Set<String> stored, boolean create) {
        MigrationState last = snapshot.get(migration);
        MigrationState audited = last == null ? newestAudited(migration) : null;
        // Its row vanished (or is vanishing) past SOURCE_ONLY, as this process saw it or, for a
        // process started since, as the audit's last flip says: instances still follow that state,
        // so the flip starts from it and stores it, which restores the row.
        MigrationState vanishedFrom = last != null ? last : audited;
        if (vanishedFrom != null && vanishedFrom.stage() != Stage.SOURCE_ONLY) {
            if (create) {
                throw new IllegalStateException("Migration '" + migration + "' is not stored, but its stored flags"
                        + " vanished while it was in " + vanishedFrom.stage() + " (last known " + vanishedFrom
                        + "), so creating it at SOURCE_ONLY could send writes to the source alone. Restore its row"
                        + " with moveTo(\"" + migration + "\", " + vanishedFrom.stage() + ", ...), or start it over"
                        + " explicitly with reset(\"" + migration + "\", ...)");
            }
            return vanishedFrom.toBuilder().version(0).build();
        }
        if (create || vanishedFrom != null || declared.contains(migration)) {
            return MigrationState.initial(migration);
        }
        Set<String> known = new TreeSet<>(stored);
        known.addAll(declared);
        known.addAll(snapshot.keySet());
        throw new IllegalArgumentException("Unknown migration '" + migration + "': the flag store holds no such"
                + " migration and none was declared in this process, so the flip was refused rather than starting a"
                + " new migration by mistake. Known migrations: " + known + ". If '" + migration + "' is a new"
                + " migration, build its Cutover wrapper (RepositoryBuilder, CutoverDataSource) or call declare(\""
                + migration + "\") in this process, or store it for every process with create(\"" + migration
                + "\", actor, reason), then flip it");
    }

    /** The state the newest audited flip of a migration stored, or null if there is none. */
    private MigrationState newestAudited(String migration) {
        try {
            List<FlagChange> newest = store.audit(migration, 1);
            return newest.isEmpty() ? null : newest.get(0).after();
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * Moving back from SHIFT_READS or a later stage to an earlier one resets the target read share
     * to 0, so that entering SHIFT_READS again starts with no reads on the target rather than with the
     * share left from before the rollback.
     */
    private static MigrationState leavingReadShift(MigrationState current, MigrationState next) {
        int shift = Stage.SHIFT_READS.ordinal();
        if (current.stage().ordinal() >= shift && next.stage().ordinal() < shift && next.targetReadBasisPoints() != 0) {
            return next.toBuilder().targetReadPercent(0).build();
        }
        return next;
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

    /**
     * One load, run by the bounded loader: the store's states, and for migrations declared here
     * but not stored, a one-time look at their audit, so that a process started after a row
     * vanished keeps the audited state too.
     */
    private Map<String, MigrationState> loadStore() {
        Map<String, MigrationState> loaded = store.loadAll();
        if (loaded != null && !declared.isEmpty()) {
            vanished.checkAudits(declared, loaded, snapshot, this::newestAudited);
        }
        return loaded;
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
        lastLoadFailure = e;
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
            // A migration whose row vanished keeps its last known state rather than turning SOURCE_ONLY.
            Map<String, MigrationState> next = new HashMap<>(vanished.keepVanished(current, loaded));
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

    /** Installs the states of a group move in one snapshot, so that no reader sees part of it. */
    private void installOwnFlips(List<MigrationState> flippedFrom, List<MigrationState> stored, long flipStart,
            long saveStart, long saveEnd) {
        synchronized (snapshotLock) {
            Map<String, MigrationState> next = new HashMap<>(snapshot);
            List<Integer> installed = new java.util.ArrayList<>();
            for (int i = 0; i < stored.size(); i++) {
                MigrationState state = stored.get(i);
                MigrationState before = snapshot.get(state.migration());
                if (before != null && before.version() > state.version()) {
                    continue; // a refresh already brought a newer flip made elsewhere
                }
                next.put(state.migration(), state);
                localWrites++;
                lastLocalWrite.put(state.migration(), localWrites);
                queueIfChanged(before != null ? before : MigrationState.initial(state.migration()), state);
                installed.add(i);
            }
            snapshot = Map.copyOf(next);
            for (int i : installed) {
                gate.flipped(flippedFrom.get(i), stored.get(i), flipStart, saveStart, saveEnd);
            }
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

    /** Builds {@link MigrationFlags}; each setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final FlagStore store;
        private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
        private Clock clock = Clock.systemUTC();
        private Duration handoverPause;
        private Duration maxHandoverWait = Duration.ofSeconds(30);
        private Duration loadTimeout = DEFAULT_LOAD_TIMEOUT;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private boolean startDuringStoreOutage;
        private final Set<String> declared = new HashSet<>();

        private Builder(FlagStore store) {
            this.store = Objects.requireNonNull(store, "null store");
        }

        /**
         * Sets the time between the end of one background load and the start of the next.
         *
         * @param interval 10 ms to 1 h; default 500 ms
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder refreshInterval(Duration interval) {
            this.refreshInterval = Checks.between("refreshInterval", interval, MIN_REFRESH_INTERVAL, MAX_REFRESH_INTERVAL);
            return this;
        }

        /**
         * Sets the handover pause P of a primary move (see {@link MigrationFlags}): writes of
         * the old primary copy only until P after the start of the newest load that still showed it,
         * and each instance writes the new primary no earlier than P after it saw the move. A write of
         * a dual-write stage needs flags confirmed less than about P ago.
         *
         * @param pause longer than the refresh interval, 1 ms to 10 min; default the refresh
         *     interval plus 1 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range ({@link #build()} checks it against the
         *     refresh interval)
         */
        public Builder handoverPause(Duration pause) {
            this.handoverPause = Checks.between("handoverPause", pause, Duration.ofMillis(1), Duration.ofMinutes(10));
            return this;
        }

        /**
         * Sets how long a write waits for the handover of a primary move before it fails with a
         * {@link HandoverException}, having written nothing.
         *
         * @param wait 1 ms to 10 min; default 30 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder maxHandoverWait(Duration wait) {
            this.maxHandoverWait = Checks.between("maxHandoverWait", wait, Duration.ofMillis(1), Duration.ofMinutes(10));
            return this;
        }

        Duration pause() {
            Duration pause = handoverPause != null ? handoverPause : refreshInterval.plusSeconds(1);
            if (pause.compareTo(refreshInterval) <= 0) {
                throw new CutoverConfigurationException("handoverPause must be longer than refreshInterval ("
                        + Checks.format(refreshInterval) + "), but was " + Checks.format(pause) + ": otherwise a write's"
                        + " flags expire between two loads. Set a longer handoverPause or a shorter refreshInterval");
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
         * Sets the longest wait for one load of the store: borrowing a connection from the pool,
         * validating it and running the query together. A load that takes longer counts as failed
         * (logged as an outage, counted in {@link MigrationFlags#storeErrorCount()}) and the snapshot stays as it
         * was; the load itself finishes in the background, and until it does later loads fail at once.
         * Without this bound a pool at its defaults (HikariCP: 30 s connection timeout) would hold
         * the refresh thread in its wait, with nothing counted or logged and flips made meanwhile
         * unseen. With the defaults a stalled store shows in the log and the meters within about
         * 1.5 s (one refresh interval plus this timeout).
         *
         * @param timeout 10 ms to 1 min; default 1 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder loadTimeout(Duration timeout) {
            this.loadTimeout = Checks.between("loadTimeout", timeout, MIN_LOAD_TIMEOUT, MAX_LOAD_TIMEOUT);
            return this;
        }

        /**
         * Sets the longest wait of {@link #build()} for the first load of the store. It is longer
         * than the {@link #loadTimeout(Duration) load timeout} because the first load of a process
         * also loads classes and may open the pool's first connection.
         *
         * @param timeout 10 ms to 1 min; default 5 s
         * @return this builder
         * @throws CutoverConfigurationException if out of range
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Checks.between("startTimeout", timeout, MIN_LOAD_TIMEOUT, MAX_LOAD_TIMEOUT);
            return this;
        }

        /**
         * Declares migrations of this process, as {@link MigrationFlags#declare(String)} does.
         *
         * @param migrations the migration names
         * @return this builder
         * @throws CutoverConfigurationException if a name is illegal
         */
        public Builder declare(String... migrations) {
            for (String migration : migrations) {
                declared.add(Names.checkMigrationName(migration));
            }
            return this;
        }

        /**
         * Lets {@link #build()} return although the store cannot be read, with every migration
         * {@link Stage#SOURCE_ONLY} until a load succeeds. Only safe when every migration is known
         * to be SOURCE_ONLY: otherwise this instance would write to the source alone while others
         * mirror, or while the target is primary.
         *
         * @param allowed whether to start during a store outage; default false
         * @return this builder
         */
        public Builder startDuringStoreOutage(boolean allowed) {
            this.startDuringStoreOutage = allowed;
            return this;
        }

        /**
         * Loads the store once, waiting at most the {@link #startTimeout(Duration) start timeout}
         * (default 5 s), and starts the background refresh on a daemon thread.
         *
         * <p>If that first load fails or times out, build fails fast: an instance that does not know
         * the stages cannot route writes safely, and waiting for the pool's own timeout would only
         * delay the start-up by up to half a minute. An application that must start anyway can
         * allow it with {@link #startDuringStoreOutage(boolean)}.
         *
         * @return the running flags; close them to stop the refresh
         * @throws FlagStoreException if the first load failed or timed out (unless
         *     {@link #startDuringStoreOutage(boolean)}), naming the cause and the fix
         */
        public MigrationFlags build() {
            return new MigrationFlags(this);
        }
    }
}
