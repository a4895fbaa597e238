package dev.cutover.dualwrite;

import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.common.CutoverException;
import dev.cutover.common.internal.Redaction;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryStore;
import dev.cutover.queue.internal.RetryStores;
import dev.cutover.router.ReadRouter;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/** The proxy's behaviour: the write protocol and read routing described on {@link RepositoryBuilder}. */
final class RepositoryHandler implements InvocationHandler {
    private final Class<?> type;
    private final Object source;
    private final Object target;
    private final String migration;
    private final MigrationFlags flags;
    private final ReadRouter router;
    private final Map<String, MethodPlan> plans = new HashMap<>();
    /**
     * The plans by the {@code Method} the proxy passes, filled on first use: looking a plan up by
     * name and parameter types built a string on every call. The proxy may pass another interface's
     * {@code Method} for a method two interfaces declare, so the first lookup goes by signature.
     */
    private final Map<Method, MethodPlan> plansByMethod = new ConcurrentHashMap<>();
    private final DualWriteCounters stats;
    private final Mirror mirror;
    private final RowCopier resync;
    /** Where crash-safe repositories record write-ahead intents; null in the default mode. */
    private final RetryStore intentStore;
    private final Duration intentDelay;
    /** The asynchronous mirror ({@link MirrorMode#ASYNC}); null in the synchronous mode. */
    private final AsyncMirror async;
    /** The callers' transactions, whose writes are copied after they commit; null if not known. */
    private final CallerTransactions callerTransactions;
    private final TransactionWrites.Key transactionKey;
    /**
     * Whether a call of the source's (the target's) DAO would join a JDBI transaction open on the
     * calling thread; null when that cannot be told (not a JDBI on-demand DAO).
     */
    private final BooleanSupplier sourceInTransaction;
    private final BooleanSupplier targetInTransaction;

    RepositoryHandler(Class<?> type, Object source, Object target, String migration, MigrationFlags flags,
            ReadRouter router, RetryQueue queue, RowCopier resync, Map<Method, MethodPlan> plans, DualWriteCounters stats,
            CircuitBreaker breaker, RetryStore intentStore, Duration intentDelay, CallerTransactions callerTransactions,
            BooleanSupplier sourceInTransaction, BooleanSupplier targetInTransaction) {
        this.type = type;
        this.source = source;
        this.target = target;
        this.migration = migration;
        this.flags = flags;
        this.router = router;
        this.stats = stats;
        this.mirror = new Mirror(migration, queue, resync, stats, breaker);
        this.resync = resync;
        this.intentStore = intentStore;
        this.intentDelay = intentDelay;
        this.callerTransactions = callerTransactions;
        this.transactionKey = new TransactionWrites.Key(flags, migration);
        this.sourceInTransaction = sourceInTransaction;
        this.targetInTransaction = targetInTransaction;
        this.async = resync == null ? null : resync.asyncMirror();
        if (async != null) {
            async.watch(flags, migration);
        }
        HandoverSteps.register(flags, migration, queue, resync);
        plans.forEach((method, plan) -> this.plans.put(lookupKey(method), plan));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return objectMethod(proxy, method, args);
        }
        MethodPlan plan = planOf(method);
        switch (plan.kind()) {
            case DEFAULT:
                return InvocationHandler.invokeDefault(proxy, method, args);
            case READ:
                Object key = plan.readKey(args);
                if (callerTransactions != null) {
                    TransactionWrites writes = key == null ? null : transactionWrites();
                    if (writes != null && writes.owes(String.valueOf(key))) {
                        // Written in the caller's open transaction: only the primary's side sees it.
                        return read(writes.permit().stage().primary(), plan, method, args);
                    }
                }
                if (key != null && async != null && async.owes(migration, String.valueOf(key))) {
                    // Read-your-writes: the other side may not have this key's latest write yet.
                    return readPrimary(plan, method, args);
                }
                if (key != null && plan.entity() != null && readsMayGoToTheOtherSide()
                        && mirror.mayBeQueued(plan.entity(), String.valueOf(key))) {
                    // Read-your-writes after a copy that failed (a target outage): the key's writes wait
                    // in the retry-queue, and the other side lacks them until their entry is replayed.
                    return readPrimary(plan, method, args);
                }
                return router.read(plan.operation(), key, () -> call(source, method, args),
                        () -> plan.sourceResult(call(target, method, plan.targetArgs(args))));
            default:
                return write(plan, args);
        }
    }

    private Object write(MethodPlan plan, Object[] args) throws Throwable {
        boolean knownTransaction = callerTransactions != null && callerTransactions.active();
        if (knownTransaction) {
            // In the asynchronous mode too: its copier could run before the commit and, on PostgreSQL,
            // copy "no row" for the transaction's still-invisible insert, with nothing queued.
            return writeInCallerTransaction(plan, args);
        }
        Object key = plan.writeKey(args);
        // The permit fences primary moves: it waits out a handover and bounds the copy's window. In
        // the asynchronous mode the keys left pending hold it on until they are copied or queued; the
        // synchronous mode, the default, closes it here and pays for no holder count.
        WritePermit permit = Handovers.beginWrite(flags, migration);
        AsyncMirror.HeldPermit held = async == null ? null : new AsyncMirror.HeldPermit(permit);
        try {
            Stage stage = permit.stage();
            Side written = stage.dualWrites() ? stage.primary() : stage.writesSource() ? Side.SOURCE : Side.TARGET;
            if (!knownTransaction) {
                refuseInUnknownTransaction(plan, written);
            }
            if (!stage.dualWrites()) {
                return callPrimary(written, plan, args);
            }
            Side primary = stage.primary();
            List<String> keys = plan.writeKeys(key);
            if (intentStore != null) {
                return writeCrashSafe(plan, args, keys, primary, permit, held);
            }
            Object result;
            try {
                result = callPrimary(primary, plan, args);
            } catch (Throwable failure) {
                // A failure reported at commit may hide a committed write: let the queue copy whatever committed.
                try {
                    mirror.enqueue(mirrorKeys(plan, keys), primary, null, CopyBudget.start(resync.copyBudget()), permit);
                } catch (UnmirroredWriteException unqueued) {
                    failure.addSuppressed(unqueued);
                }
                throw failure;
            }
            if (async != null && !(permit.copyWindowOpen() && permit.renew())) {
                // The primary moved (or the copy window is closing) while the write ran: a pending
                // key could miss the window, so this write is mirrored as in the synchronous mode,
                // which fails the call if it is late instead of acknowledging it.
                if (!mirror.mirror(mirrorKeys(plan, keys), primary, null, permit)) {
                    throw late(plan, primary);
                }
            } else if (async != null) {
                List<Mirror.Key> left = async.submit(mirror, mirrorKeys(plan, keys), primary, held);
                // Keys past the backlog are queued; once the copier is closed they are mirrored as in
                // the synchronous mode. Either way the call is acknowledged only once they are safe.
                if (!left.isEmpty() && !(async.closed() ? mirror.mirror(new java.util.ArrayList<>(left), primary, null,
                        permit) : mirror.enqueue(new java.util.ArrayList<>(left), primary, null,
                        CopyBudget.start(resync.copyBudget()), permit))) {
                    throw late(plan, primary);
                }
            } else if (!mirror.mirror(mirrorKeys(plan, keys), primary, null, permit)) {
                throw late(plan, primary);
            }
            return result;
        } finally {
            if (held == null) {
                permit.close();
            } else {
                // The keys left pending hold the permit for the copier; this thread's write is done.
                permit.handOff();
                held.release();
            }
        }
    }

    /** @return whether the router may send a read to the side that receives copies */
    private boolean readsMayGoToTheOtherSide() {
        MigrationState state = flags.state(migration);
        return state.stage() == Stage.SHIFT_READS && state.targetReadPercent() > 0;
    }

    /** Serves a read from the primary side, whatever the router would choose. */
    private Object readPrimary(MethodPlan plan, Method method, Object[] args) throws Exception {
        return read(flags.state(migration).stage().primary(), plan, method, args);
    }

    private Object read(Side side, MethodPlan plan, Method method, Object[] args) throws Exception {
        return side == Side.SOURCE ? call(source, method, args)
                : plan.sourceResult(call(target, method, plan.targetArgs(args)));
    }

    private TransactionWrites transactionWrites() {
        return callerTransactions.find(transactionKey) instanceof TransactionWrites writes ? writes : null;
    }

    /**
     * A write inside the caller's open transaction: its keys are copied once the transaction
     * commits ({@link TransactionWrites}), not inside the call, where the copy would wait on the row
     * locks of the very transaction that holds them. The first write of the migration in the
     * transaction takes the permit that its later writes share until it ends.
     */
    private Object writeInCallerTransaction(MethodPlan plan, Object[] args) throws Throwable {
        TransactionWrites writes = transactionWrites();
        if (writes == null) {
            WritePermit permit = Handovers.beginWrite(flags, migration);
            Stage stage = permit.stage();
            if (!stage.dualWrites()) {
                try {
                    return callPrimary(stage.writesSource() ? Side.SOURCE : Side.TARGET, plan, args);
                } finally {
                    permit.close();
                }
            }
            writes = new TransactionWrites(migration, permit);
            try {
                callerTransactions.register(transactionKey, writes);
            } catch (RuntimeException e) {
                permit.close();
                throw e;
            }
        }
        WritePermit permit = writes.permit();
        Side primary = permit.stage().primary();
        List<String> keys = plan.writeKeys(plan.writeKey(args));
        if (intentStore != null) {
            recordIntents(plan, keys, primary, permit);
        }
        writes.add(mirror, intentStore, resync.copyBudget(), mirrorKeys(plan, keys));
        return callPrimary(primary, plan, args);
    }

    /**
     * Refuses a write whose DAO would join a transaction open on this thread that Cutover does not
     * know about: its copy, made right after the call on a connection of its own, would not see the
     * transaction's uncommitted rows (an insert would reach one side only) or would wait on their
     * locks. Refused in every stage, single-side ones too, so that the call fails while the
     * application is first deployed in {@code SOURCE_ONLY}, not once the flip to {@code DUAL_WRITE}
     * makes it lose writes.
     */
    private void refuseInUnknownTransaction(MethodPlan plan, Side written) {
        BooleanSupplier probe = written == Side.SOURCE ? sourceInTransaction : targetInTransaction;
        if (probe == null || !probe.getAsBoolean()) {
            return;
        }
        String side = written.name().toLowerCase(java.util.Locale.ROOT);
        throw new UnknownTransactionException("Refused " + MethodPlan.signature(plan.method()) + " of migration "
                + migration + " before calling the " + side + " DAO; nothing was written. It was called inside a JDBI"
                + " transaction open on this thread, which the DAO would join, and "
                + (callerTransactions == null ? "the runtime was given no callerTransactions(...)"
                        : "the runtime's callerTransactions (" + callerTransactions.getClass().getName() + ") reports"
                        + " no transaction active on this thread")
                + ". The copy to the other side runs right after the call on a connection of its own, which cannot"
                + " see the transaction's uncommitted rows: the write would reach the " + side + " only, or the copy"
                + " would wait on the transaction's row locks. Call the repository outside the transaction, so that"
                + " each call commits on its own; or give the runtime the transactions, so that the copies are made"
                + " after the commit: Cutover.builder(source, target).callerTransactions(JdbiCallerTransactions.of(jdbi)), jdbi"
                + " being the Jdbi whose transactions the DAOs join (RepositoryBuilder.callerTransactions(...) for a"
                + " repository built by hand)");
    }

    private LateWriteException late(MethodPlan plan, Side primary) {
        return new LateWriteException(MethodPlan.signature(plan.method()) + " wrote the " + primary.name().toLowerCase(
                java.util.Locale.ROOT) + " of migration " + migration + ", but its copy window closed before the copy"
                + " was made: the primary moved while the write was in flight, or this instance's flags were not"
                + " confirmed in time. It was not copied; once the handover is done the retry-queue copies the key from"
                + " the primary, so the write may or may not persist, as a whole. Retry the call");
    }

    /**
     * The crash-safe variant: durable intents first, so that a process that dies between the primary
     * write and its copy leaves an entry for the key. A copy that fails records the intent again,
     * due at once: a write that took longer than {@code intentDelay} may have had its intent
     * replayed before it committed.
     *
     * <p>An intent says "copy the key's current row once {@code due} has passed". It is coalesced
     * with the key's newest entry when that is a pending, unleased intent of the same direction: that
     * entry is then due at the later of the two due times, and no entry is added, so that a key written
     * many times during a target outage keeps one intent instead of one per write. This keeps every
     * write covered, including one of another thread or instance still in flight under the older
     * intent: that write was to end before the older due time, and the coalesced entry copies the row
     * no earlier than that, so its copy still sees the write; this write's own copy is due no earlier
     * than its own intent would have been. An intent that is leased is being replayed, and its copy
     * may have read the row already; it is never changed, and a new intent is added behind it. The
     * coalescing is committed before the primary call starts, so a crash at any point leaves an entry
     * due after this write. Writes that keep a key busy push its intent later each time; it then
     * replays once the key rests for {@code intentDelay}, while each write's direct copy keeps the
     * mirror current meanwhile.
     */
    private Object writeCrashSafe(MethodPlan plan, Object[] args, List<String> keys, Side primary, WritePermit permit,
            AsyncMirror.HeldPermit held) throws Throwable {
        recordIntents(plan, keys, primary, permit);
        Object result = callPrimary(primary, plan, args);
        if (async != null) {
            // The intents already cover every key, also one the backlog has no room for; once the
            // copier is closed, the keys are copied inside the call, as in the synchronous mode.
            List<Mirror.Key> left = async.submit(mirror, mirrorKeys(plan, keys), primary, held);
            if (!left.isEmpty() && async.closed() && !mirror.copy(new java.util.ArrayList<>(left), primary, null,
                    permit, intentStore)) {
                throw late(plan, primary);
            }
        } else if (!mirror.copy(mirrorKeys(plan, keys), primary, null, permit, intentStore)) {
            throw late(plan, primary);
        }
        return result;
    }

    /** Records the write-ahead intents of a crash-safe write, within the permit's copy window. */
    private void recordIntents(MethodPlan plan, List<String> keys, Side primary, WritePermit permit) {
        Instant due = Instant.now().plus(intentDelay);
        for (String key : keys) {
            try {
                RetryStores.enqueueCoalescing(intentStore, CopyReplayHandler.intent(migration, plan.entity(), key, primary), due);
                stats.enqueued(primary.other(), true);
            } catch (RuntimeException e) {
                stats.enqueued(primary.other(), false);
                throw new CutoverException("Cannot record the write-ahead intent of " + MethodPlan.signature(plan.method())
                        + " for " + migration + "/" + plan.entity() + "/" + key + ", so the write was not made: "
                        + Redaction.message(e, false), e);
            }
        }
        if (!permit.ensureCopyWindow()) {
            // The intents came too late to be fenced by the handover; they copy the old primary's
            // unchanged rows, and a late-write entry after them makes the key follow the new primary.
            mirrorKeys(plan, keys).forEach(key -> mirror.late(key, primary));
            throw new LateWriteException("Cannot make " + MethodPlan.signature(plan.method()) + " in migration " + migration
                    + ": recording its write-ahead intents took past its copy window (the primary may have moved), so"
                    + " the write was not made. Retry the call");
        }
    }

    private static List<Mirror.Key> mirrorKeys(MethodPlan plan, List<String> keys) {
        return keys.stream().map(key -> new Mirror.Key(plan.entity(), key)).toList();
    }

    private Object callPrimary(Side primary, MethodPlan plan, Object[] args) throws Throwable {
        long start = System.nanoTime();
        try {
            Object result = call(primary == Side.SOURCE ? source : target, plan.method(), args);
            stats.primaryWrite(primary, true, System.nanoTime() - start);
            return result;
        } catch (Throwable t) {
            stats.primaryWrite(primary, false);
            throw t;
        }
    }

    private Object objectMethod(Object proxy, Method method, Object[] args) {
        switch (method.getName()) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            default:
                return "Cutover " + type.getSimpleName() + " (migration " + migration + ")";
        }
    }

    /** Calls a DAO method, passing on the exception it threw rather than the reflection wrapper. */
    private static Object call(Object dao, Method method, Object[] args) throws Exception {
        try {
            return method.invoke(dao, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception exception) {
                throw exception;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private MethodPlan planOf(Method method) {
        MethodPlan plan = plansByMethod.get(method);
        return plan != null ? plan : plansByMethod.computeIfAbsent(method, m -> plans.get(lookupKey(m)));
    }

    private static String lookupKey(Method method) {
        return method.getName() + Arrays.toString(method.getParameterTypes());
    }
}
