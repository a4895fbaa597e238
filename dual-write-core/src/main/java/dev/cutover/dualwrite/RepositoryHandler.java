package dev.cutover.dualwrite;

import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.common.CutoverException;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryStore;
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
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The proxy's behaviour: the write protocol and read routing described on {@link RepositoryBuilder}. */
final class RepositoryHandler implements InvocationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RepositoryHandler.class);

    private final Class<?> type;
    private final Object source;
    private final Object target;
    private final String migration;
    private final MigrationFlags flags;
    private final ReadRouter router;
    private final RetryQueue queue;
    private final KeyResync resync;
    private final Map<String, MethodPlan> plans = new HashMap<>();
    private final DualWriteStats stats;
    private final CircuitBreaker breaker;
    /** Where crash-safe repositories record write-ahead intents; null in the default mode. */
    private final RetryStore intentStore;
    private final Duration intentDelay;

    RepositoryHandler(Class<?> type, Object source, Object target, String migration, MigrationFlags flags,
            ReadRouter router, RetryQueue queue, KeyResync resync, Map<Method, MethodPlan> plans, DualWriteStats stats,
            CircuitBreaker breaker, RetryStore intentStore, Duration intentDelay) {
        this.type = type;
        this.source = source;
        this.target = target;
        this.migration = migration;
        this.flags = flags;
        this.router = router;
        this.queue = queue;
        this.resync = resync;
        this.stats = stats;
        this.breaker = breaker;
        this.intentStore = intentStore;
        this.intentDelay = intentDelay;
        plans.forEach((method, plan) -> this.plans.put(lookupKey(method), plan));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return objectMethod(proxy, method, args);
        }
        MethodPlan plan = plans.get(lookupKey(method));
        switch (plan.kind()) {
            case DEFAULT:
                return InvocationHandler.invokeDefault(proxy, method, args);
            case READ:
                return router.read(plan.operation(), plan.readKey(args), () -> call(source, method, args),
                        () -> call(target, method, args));
            default:
                return write(plan, args);
        }
    }

    private Object write(MethodPlan plan, Object[] args) throws Throwable {
        List<String> keys = plan.writeKeys(args);
        Stage stage = flags.state(migration).stage();
        if (!stage.dualWrites()) {
            return callPrimary(stage.writesSource() ? Side.SOURCE : Side.TARGET, plan, args);
        }
        Side primary = stage.primary();
        if (intentStore != null) {
            return writeCrashSafe(plan, args, keys, primary);
        }
        Object result;
        try {
            result = callPrimary(primary, plan, args);
        } catch (Throwable failure) {
            // A failure reported at commit may hide a committed write: let the queue copy whatever committed.
            for (String key : keys) {
                enqueue(plan.entity(), key, primary);
            }
            throw failure;
        }
        for (String key : keys) {
            mirror(plan.entity(), key, primary);
        }
        return result;
    }

    /** The crash-safe variant: durable intents first, so a failed or lost copy needs no further entry. */
    private Object writeCrashSafe(MethodPlan plan, Object[] args, List<String> keys, Side primary) throws Throwable {
        Instant due = Instant.now().plus(intentDelay);
        for (String key : keys) {
            try {
                intentStore.enqueue(ResyncReplayHandler.intent(migration, plan.entity(), key, primary), due);
                stats.enqueued(primary.other(), true);
            } catch (RuntimeException e) {
                stats.enqueued(primary.other(), false);
                throw new CutoverException("Cannot record the write-ahead intent of " + MethodPlan.signature(plan.method())
                        + " for " + migration + "/" + plan.entity() + "/" + key + ", so the write was not made: "
                        + e.getMessage(), e);
            }
        }
        Object result = callPrimary(primary, plan, args);
        for (String key : keys) {
            copy(plan.entity(), key, primary);
        }
        return result;
    }

    private Object callPrimary(Side primary, MethodPlan plan, Object[] args) throws Throwable {
        try {
            Object result = call(primary == Side.SOURCE ? source : target, plan.method(), args);
            stats.primaryWrite(primary, true);
            return result;
        } catch (Throwable t) {
            stats.primaryWrite(primary, false);
            throw t;
        }
    }

    private void mirror(String entity, String key, Side from) {
        if (pending(entity, key)) {
            stats.deferredBehindPending(from.other());
            enqueue(entity, key, from);
            return;
        }
        if (!copy(entity, key, from)) {
            enqueue(entity, key, from);
        }
    }

    /** Copies a key directly through the circuit breaker; @return false if it was not copied */
    private boolean copy(String entity, String key, Side from) {
        if (!breaker.tryAcquirePermission()) {
            stats.mirrorFailed(from.other());
            return false;
        }
        long start = breaker.getCurrentTimestamp();
        try {
            resync.resync(entity, key, from);
            long duration = breaker.getCurrentTimestamp() - start;
            breaker.onSuccess(duration, breaker.getTimestampUnit());
            stats.mirrored(from.other(), breaker.getTimestampUnit().toNanos(duration));
            return true;
        } catch (Exception e) {
            breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), e);
            stats.mirrorFailed(from.other());
            LOG.warn("Mirror of {}/{}/{} to the {} failed, left to the retry-queue: {}", migration, entity, key,
                    from.other().name().toLowerCase(Locale.ROOT), e.toString());
            return false;
        }
    }

    /** Whether the queue holds entries for the key; when the queue cannot tell, a direct copy is still safe. */
    private boolean pending(String entity, String key) {
        try {
            return queue.isPending(migration, entity, key);
        } catch (RuntimeException e) {
            LOG.warn("Retry-queue could not tell whether {}/{}/{} is pending; copying it directly: {}", migration, entity,
                    key, e.toString());
            return false;
        }
    }

    private void enqueue(String entity, String key, Side from) {
        try {
            queue.enqueue(ResyncReplayHandler.entry(migration, entity, key, from));
            stats.enqueued(from.other(), true);
        } catch (RuntimeException e) {
            stats.enqueued(from.other(), false);
            LOG.error("Could not queue the resync of {}/{}/{} after its mirror failed: the {} may stay behind for this"
                    + " key until it is written again or verified", migration, entity, key,
                    from.other().name().toLowerCase(Locale.ROOT), e);
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

    private static String lookupKey(Method method) {
        return method.getName() + Arrays.toString(method.getParameterTypes());
    }
}
