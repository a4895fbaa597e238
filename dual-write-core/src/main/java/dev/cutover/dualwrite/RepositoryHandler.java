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
import java.util.Map;

/** The proxy's behaviour: the write protocol and read routing described on {@link RepositoryBuilder}. */
final class RepositoryHandler implements InvocationHandler {
    private final Class<?> type;
    private final Object source;
    private final Object target;
    private final String migration;
    private final MigrationFlags flags;
    private final ReadRouter router;
    private final Map<String, MethodPlan> plans = new HashMap<>();
    private final DualWriteStats stats;
    private final Mirror mirror;
    private final KeyResync resync;
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
        this.stats = stats;
        this.mirror = new Mirror(migration, queue, resync, stats, breaker);
        this.resync = resync;
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
                        () -> plan.sourceResult(call(target, method, plan.targetArgs(args))));
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
            mirror.enqueue(mirrorKeys(plan, keys), primary, null, CopyBudget.start(resync.copyBudget()));
            throw failure;
        }
        mirror.mirror(mirrorKeys(plan, keys), primary, null);
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
        mirror.copy(mirrorKeys(plan, keys), primary, null);
        return result;
    }

    private static List<Mirror.Key> mirrorKeys(MethodPlan plan, List<String> keys) {
        return keys.stream().map(key -> new Mirror.Key(plan.entity(), key)).toList();
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
