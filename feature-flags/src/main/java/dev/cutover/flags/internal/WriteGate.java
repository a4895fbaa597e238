package dev.cutover.flags.internal;

import dev.cutover.flags.FlagsNotConfirmedException;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fenced primary handover of {@code MigrationFlags}: per migration, the <em>epoch</em> (the
 * primary side between two primary moves) this instance has seen, when its loads last confirmed it,
 * how many writes of each epoch are in flight, and whether the handover to the newest epoch is done.
 *
 * <p>Why it is safe (all times are this instance's {@link System#nanoTime()}): a load that
 * <em>started</em> at {@code s} and still showed epoch {@code e} read the flag before the move away
 * from {@code e} committed at {@code T0}, so {@code s < T0}. A load whose read <em>returned</em> at
 * {@code o} and showed the move read it after {@code T0}, so {@code o > T0}. Copies from {@code e}'s
 * primary must land before {@code s + P}; no instance writes the new primary before its own
 * {@code o + P > T0 + P > s + P}. Observations therefore use the end of a load, confirmations its
 * start. Only clock rates are compared across hosts, never clock readings.
 *
 * <p>Thread-safe. Called by {@code MigrationFlags} under its snapshot lock for observations.
 */
public final class WriteGate {
    private static final Logger LOG = LoggerFactory.getLogger(WriteGate.class);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final long pauseNanos;
    private final long leaseNanos;
    /** How many synchronous loads a write may make for its lease while each one confirms the flags. */
    private static final int MAX_LEASE_REFRESHES = 3;
    private final long maxWaitNanos;
    /** What a commit, copy or enqueue keeps of the copy window: half of what a new write starts with. */
    private final long reserveNanos;
    private final Runnable refresh;
    private final Function<String, MigrationState> states;
    private final Map<String, Handover> handovers = new ConcurrentHashMap<>();
    private final Map<String, Map<String, HandoverStep>> steps = new ConcurrentHashMap<>();
    private final Object leaseLock = new Object();
    private final AtomicLong maxWait = new AtomicLong();
    /**
     * The open permits each thread holds for a write or transaction of its own (not those handed to
     * an asynchronous copier). A REQUIRES_NEW transaction, or a second connection opened inside a
     * transaction, writes on the thread whose outer write still holds its permit: a handover would wait
     * for that permit, and the outer write for the inner one.
     */
    private final ThreadLocal<List<Permit>> heldByThread = ThreadLocal.withInitial(ArrayList::new);
    private final LongAdder refusedLeases = new LongAdder();
    private final LongAdder failedHandovers = new LongAdder();
    /** Start of the newest successful load: confirms migrations absent from the store. */
    private volatile long lastLoadStart;
    private volatile boolean loadedOnce;

    /**
     * @param pauseNanos the handover pause P, longer than the refresh interval
     * @param maxWaitNanos how long a write may wait for a handover
     * @param refresh reloads the flags synchronously (for an expired lease)
     * @param states the current snapshot's state of a migration
     */
    public WriteGate(long pauseNanos, long maxWaitNanos, long refreshNanos, Runnable refresh,
            Function<String, MigrationState> states) {
        this.pauseNanos = pauseNanos;
        // A write needs room for its copy: it starts only while at least half the margin P - R is left.
        this.leaseNanos = pauseNanos - Math.max(1, (pauseNanos - refreshNanos) / 2);
        this.reserveNanos = Math.max(1, (pauseNanos - refreshNanos) / 4);
        this.maxWaitNanos = maxWaitNanos;
        this.refresh = refresh;
        this.states = states;
    }

    /** One epoch: the primary between two moves, as this instance saw it. */
    private static final class Epoch {
        final Side primary;
        /** End of the load or flip that showed this epoch first: every old copy landed before it + P. */
        final long observedNanos;
        final LongAdder inFlight = new LongAdder();
        /** Start of the newest load that still showed this epoch (s_e); fixed once superseded. */
        volatile long confirmedNanos;
        volatile boolean open;
        /** Older epochs that may still have writes in flight; null once they drained. */
        volatile Epoch previous;
        /** Shown first by this process's first load, so not known to follow a move: the pause is a precaution. */
        final boolean firstSight;

        Epoch(Side primary, long confirmedNanos, long observedNanos, boolean open, Epoch previous) {
            this.primary = primary;
            this.confirmedNanos = confirmedNanos;
            this.observedNanos = observedNanos;
            this.open = open;
            this.previous = previous;
            this.firstSight = previous == null;
        }
    }

    private static final class Handover {
        volatile Epoch current;
        final Object stepLock = new Object();
    }

    /**
     * Records a successful load (called under the snapshot lock, with the snapshot being installed).
     *
     * @param installed the states being installed
     * @param kept migrations whose installed state is a newer own flip, not what the load read
     * @param loadStart when the load started
     * @param loadEnd when its read returned
     */
    public void loaded(Map<String, MigrationState> installed, Set<String> kept, long loadStart, long loadEnd) {
        Set<String> migrations = new java.util.HashSet<>(installed.keySet());
        migrations.addAll(handovers.keySet());
        for (String migration : migrations) {
            if (!kept.contains(migration)) {
                // What readers now see for it (the snapshot is installed), so that epoch and stage agree.
                observe(migration, states.apply(migration), loadStart, loadEnd);
            }
        }
        lastLoadStart = loadStart;
        loadedOnce = true;
    }

    /**
     * Follows a migration from the next load on, also while the store does not hold it (it is then
     * {@code SOURCE_ONLY}): a wrapper that takes no permit before dual writes (the DataSource style
     * in single-side stages) would otherwise first see the migration past {@code SOURCE_ONLY} and
     * pause its writes as after a primary move, although its loads showed the source primary all along.
     *
     * @param migration a migration this process writes
     */
    public void follow(String migration) {
        handovers.computeIfAbsent(migration, m -> new Handover());
    }

    /**
     * Records an own flip (under the snapshot lock): its compare-and-set proves the store held
     * {@code before} until the flip committed, and {@code after} from then on.
     */
    public void flipped(MigrationState before, MigrationState after, long flipStart, long saveStart, long saveEnd) {
        observe(after.migration(), before, flipStart, saveStart);
        Epoch current = handovers.get(after.migration()).current;
        if (current.primary == after.stage().primary()) {
            confirm(current, saveStart);
        }
        observe(after.migration(), after, saveStart, saveEnd);
    }

    private void observe(String migration, MigrationState stored, long start, long end) {
        Side primary = stored == null ? Side.SOURCE : stored.stage().primary();
        Handover handover = handovers.computeIfAbsent(migration, m -> new Handover());
        Epoch current = handover.current;
        if (current == null) {
            // First sight: a stored stage past SOURCE_ONLY may have just moved; pause as after a move.
            boolean open = stored == null || stored.stage() == Stage.SOURCE_ONLY || stored.version() == 0;
            handover.current = new Epoch(primary, start, end, open, null);
        } else if (current.primary == primary) {
            confirm(current, start);
        } else {
            handover.current = new Epoch(primary, start, end, false, current);
            LOG.info("Migration '{}': primary moved from the {} to the {}; its writes pause for the handover ({} ms plus"
                    + " draining the old direction's queue entries and advancing sequences)", migration, lower(current.primary),
                    lower(primary), TimeUnit.NANOSECONDS.toMillis(pauseNanos));
        }
    }

    private static void confirm(Epoch epoch, long start) {
        if (start - epoch.confirmedNanos > 0) {
            epoch.confirmedNanos = start;
        }
    }

    /**
     * Registers a handover step; a step of the same name replaces nothing (steps are idempotent, and
     * every wrapper of a migration registers its own). Steps run in the order they were registered,
     * and a failing step ends the attempt: a step that needs an earlier one done (the sequence step
     * after the queue drain) is not tried, nor its cost paid, while the earlier one still fails.
     */
    public void addStep(String migration, String name, HandoverStep step) {
        Map<String, HandoverStep> registered = steps.computeIfAbsent(migration,
                m -> java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>()));
        registered.putIfAbsent(name, step);
    }

    /**
     * @return the old primary while this instance has not finished the handover of the newest
     *     primary move of the migration, else null
     */
    public Side handoverFrom(String migration) {
        Handover handover = handovers.get(migration);
        Epoch current = handover == null ? null : handover.current;
        return current == null || current.open ? null : current.primary.other();
    }

    /** @return the longest time a write waited for a handover so far, in nanoseconds */
    public long maxWaitNanos() {
        return maxWait.get();
    }

    /** @return how many writes were refused because the flags were not confirmed in time */
    public long refusedLeaseCount() {
        return refusedLeases.sum();
    }

    /** @return how many writes failed because a handover did not finish within the maximum wait */
    public long failedHandoverCount() {
        return failedHandovers.sum();
    }

    /**
     * Gives a permit, waiting out a handover pause if {@code block}.
     *
     * @return the permit, or null if a handover is in progress and {@code block} is false
     */
    public WritePermit begin(String migration, boolean block) {
        Handover handover = handover(migration);
        long waitStart = System.nanoTime();
        boolean waited = false;
        int refreshes = 0;
        long lastConfirmed = 0;
        int spins = 0;
        for (;;) {
            Epoch epoch = handover.current;
            Stage stage = states.apply(migration).stage();
            if (stage.primary() != epoch.primary) {
                // The snapshot and the epoch are installed together; this is a load caught half-way.
                if (++spins > 1_000) {
                    LockSupport.parkNanos(POLL_NANOS / 10);
                } else {
                    Thread.onSpinWait();
                }
                continue;
            }
            if (!epoch.open) {
                if (!block) {
                    // Without waiting writers nobody would finish the handover: try it once, without waiting.
                    if (!tryFinish(migration, handover, epoch)) {
                        return null;
                    }
                    continue;
                }
                refuseIfThisThreadHoldsTheOldPrimary(migration, handover, epoch);
                waited = true;
                awaitHandover(migration, handover, epoch, waitStart);
                continue;
            }
            if (stage.dualWrites() && System.nanoTime() - epoch.confirmedNanos >= leaseNanos) {
                long confirmedBefore = epoch.confirmedNanos;
                if (refreshes < MAX_LEASE_REFRESHES && (refreshes == 0 || confirmedBefore != lastConfirmed)) {
                    // A load that confirmed the flags, but took longer than the lease to come back to this
                    // thread (a starved machine, not a lost store), earns another: each is as good as the first.
                    lastConfirmed = confirmedBefore;
                    refreshForLease(epoch);
                    refreshes++;
                    continue;
                }
                refusedLeases.increment();
                boolean storeAnswered = confirmedBefore != lastConfirmed;
                throw new FlagsNotConfirmedException("Cutover refused a write of migration '" + migration
                        + "' before writing anything: its flags were not confirmed for "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - epoch.confirmedNanos)
                        + " ms, so this instance cannot prove that the primary has not moved. " + (storeAnswered
                        ? "The flag store answered, but " + MAX_LEASE_REFRESHES + " loads in a row took longer than the "
                                + TimeUnit.NANOSECONDS.toMillis(leaseNanos) + " ms a write may start after one. Fix: raise"
                                + " handoverPause well above refreshInterval, or give the flag store and this"
                                + " process the time to answer"
                        : "Fix: make the flag store reachable (see the WARN log of MigrationFlags and"
                                + " cutover.flags.store.errors)"));
            }
            epoch.inFlight.increment();
            if (handover.current != epoch) {
                epoch.inFlight.decrement();
                continue;
            }
            if (waited) {
                maxWait.accumulateAndGet(System.nanoTime() - waitStart, Math::max);
            }
            return new Permit(handover, epoch, stage);
        }
    }

    /**
     * Refuses at once, before anything is written, a write that would wait for a handover that waits
     * for this very thread: every write of the migration, on every thread, would otherwise stall for
     * the maximum wait.
     */
    private void refuseIfThisThreadHoldsTheOldPrimary(String migration, Handover handover, Epoch epoch) {
        List<Permit> held = heldByThread.get();
        synchronized (held) {
            for (Permit permit : held) {
                if (permit.handover == handover && permit.epoch != epoch) {
                    failedHandovers.increment();
                    throw new HandoverException("Cutover refused a write of migration '" + migration + "' before"
                            + " writing anything: its primary moved to the " + lower(epoch.primary) + " while this"
                            + " thread holds a write of the " + lower(permit.epoch.primary) + " in another open"
                            + " transaction (the caller of a REQUIRES_NEW transaction, or a second connection or"
                            + " transaction opened inside one). The handover waits for that transaction to end, and"
                            + " that transaction waits for this write, so it is refused now instead of stalling"
                            + " every write of the migration for the handover's maximum wait. Fix: let this error"
                            + " roll back the outer transaction too, and retry it");
                }
            }
        }
    }

    private Handover handover(String migration) {
        Handover handover = handovers.get(migration);
        if (handover != null && handover.current != null) {
            return handover;
        }
        synchronized (this) {
            handover = handovers.computeIfAbsent(migration, m -> new Handover());
            if (handover.current == null) {
                // Not in any load so far: absent from the store, SOURCE_ONLY, as confirmed by the last load.
                MigrationState state = states.apply(migration);
                handover.current = new Epoch(state.stage().primary(), loadedOnce ? lastLoadStart : Long.MIN_VALUE / 2,
                        System.nanoTime(), true, null);
            }
            return handover;
        }
    }

    private void refreshForLease(Epoch epoch) {
        synchronized (leaseLock) {
            // Writers that queued behind another's refresh find the lease renewed and load nothing.
            if (System.nanoTime() - epoch.confirmedNanos >= leaseNanos) {
                refresh.run();
            }
        }
    }

    private void awaitHandover(String migration, Handover handover, Epoch epoch, long waitStart) {
        while (handover.current == epoch && !epoch.open) {
            long now = System.nanoTime();
            String missing;
            long pauseLeft = epoch.observedNanos + pauseNanos - now;
            Exception cause = null;
            if (pauseLeft > 0) {
                missing = "the handover pause (" + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms, for every instance"
                        + " to see the move) has not passed";
            } else {
                long inFlight = olderInFlight(epoch);
                if (inFlight > 0) {
                    missing = inFlight + " write(s) of the old primary are still in flight on this instance";
                } else {
                    synchronized (handover.stepLock) {
                        if (handover.current != epoch || epoch.open) {
                            return;
                        }
                        try {
                            runSteps(migration, epoch);
                            epoch.open = true;
                            LOG.info("Migration '{}': handover to the {} done after {} ms; its writes go on", migration,
                                    lower(epoch.primary), TimeUnit.NANOSECONDS.toMillis(System.nanoTime()
                                            - epoch.observedNanos));
                            return;
                        } catch (Exception e) {
                            cause = e;
                            missing = e.getMessage();
                        }
                    }
                }
            }
            long waitLeft = waitStart + maxWaitNanos - System.nanoTime();
            if (waitLeft <= 0) {
                failedHandovers.increment();
                throw new HandoverException("Cutover refused a write of migration '" + migration + "' before writing"
                        + " anything: " + (epoch.firstSight ? "this process first saw it past SOURCE_ONLY, with the "
                                + lower(epoch.primary) + " primary, and as after a move of the primary its handover"
                                : "the primary moved to the " + lower(epoch.primary) + " and its handover")
                        + " is not done after " + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos) + " ms: " + missing + ". Fix: make both"
                        + " databases reachable so that the handover can finish (writes go on by themselves then)"
                        + (epoch.firstSight ? "" : ", or walk back with moveTo("
                                + (epoch.primary == Side.TARGET ? Stage.SHIFT_READS : Stage.TARGET_PRIMARY) + ")"), cause);
            }
            long sleep = Math.min(waitLeft, pauseLeft > 0 ? Math.min(pauseLeft, POLL_NANOS * 5) : POLL_NANOS);
            LockSupport.parkNanos(sleep);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new HandoverException("Interrupted while waiting for the handover of migration '" + migration
                        + "'; nothing was written");
            }
        }
    }

    /** One attempt to finish a handover whose pause has passed; @return whether it is done */
    private boolean tryFinish(String migration, Handover handover, Epoch epoch) {
        if (System.nanoTime() - (epoch.observedNanos + pauseNanos) < 0 || olderInFlight(epoch) > 0) {
            return false;
        }
        synchronized (handover.stepLock) {
            if (handover.current != epoch || epoch.open) {
                return true;
            }
            try {
                runSteps(migration, epoch);
            } catch (Exception e) {
                LOG.debug("Migration '{}': handover to the {} not done yet: {}", migration, lower(epoch.primary),
                        e.getMessage());
                return false;
            }
            epoch.open = true;
            LOG.info("Migration '{}': handover to the {} done after {} ms", migration, lower(epoch.primary),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - epoch.observedNanos));
            return true;
        }
    }

    private void runSteps(String migration, Epoch epoch) throws Exception {
        Map<String, HandoverStep> registered = steps.get(migration);
        if (registered == null) {
            return;
        }
        List<HandoverStep> inOrder;
        synchronized (registered) {
            inOrder = List.copyOf(registered.values());
        }
        for (HandoverStep step : inOrder) {
            step.run(migration, epoch.primary.other(), epoch.primary);
        }
    }

    /** Sums the in-flight writes of older epochs, forgetting them once all have drained. */
    private static long olderInFlight(Epoch epoch) {
        long sum = 0;
        for (Epoch older = epoch.previous; older != null; older = older.previous) {
            sum += older.inFlight.sum();
        }
        if (sum == 0) {
            // A superseded epoch gets no new writes (a writer that raced re-checks and backs off).
            epoch.previous = null;
        }
        return sum;
    }

    private static String lower(Side side) {
        return side.name().toLowerCase(Locale.ROOT);
    }

    private final class Permit implements WritePermit {
        private final Handover handover;
        private final Epoch epoch;
        private final Stage stage;
        /** The list of the thread that took it, until it is closed or handed off. */
        private List<Permit> heldIn;
        private boolean closed;

        Permit(Handover handover, Epoch epoch, Stage stage) {
            this.handover = handover;
            this.epoch = epoch;
            this.stage = stage;
            this.heldIn = heldByThread.get();
            synchronized (heldIn) {
                heldIn.add(this);
            }
        }

        @Override
        public void handOff() {
            List<Permit> list = heldIn;
            if (list != null) {
                heldIn = null;
                synchronized (list) {
                    list.remove(this);
                }
            }
        }

        @Override
        public Stage stage() {
            return stage;
        }

        @Override
        public long deadlineNanos() {
            return epoch.confirmedNanos + pauseNanos;
        }

        @Override
        public boolean copyWindowOpen() {
            return System.nanoTime() + reserveNanos - deadlineNanos() < 0;
        }

        @Override
        public boolean renew() {
            if (handover.current != epoch) {
                return false;
            }
            if (copyWindowOpen()) {
                // Nothing to reload: no lock, which every asynchronous write and the copier's fence would share.
                return true;
            }
            synchronized (leaseLock) {
                // Writers queued behind another's reload find the window renewed and load nothing.
                if (handover.current == epoch && !copyWindowOpen()) {
                    refresh.run();
                }
            }
            return handover.current == epoch;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                handOff();
                epoch.inFlight.decrement();
            }
        }

        @Override
        public String toString() {
            return "WritePermit[" + stage + ", " + TimeUnit.NANOSECONDS.toMillis(deadlineNanos() - System.nanoTime())
                    + " ms to the copy deadline]";
        }
    }
}
