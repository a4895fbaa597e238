package dev.cutover.dualwrite;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/** What the proxy does with one method, decided once when the repository is built. */
final class MethodPlan {
    enum Kind { READ, WRITE, DEFAULT }

    private final Method method;
    private final Kind kind;
    private final String entity;
    private final Function<Object[], ?> keyFunction;
    /** For a read served by a target DAO of another model: the call's arguments in the target's terms; else null. */
    private final UnaryOperator<Object[]> argsToTarget;
    private final UnaryOperator<Object> resultToSource;

    MethodPlan(Method method, Kind kind, String entity, Function<Object[], ?> keyFunction) {
        this(method, kind, entity, keyFunction, null, null);
    }

    private MethodPlan(Method method, Kind kind, String entity, Function<Object[], ?> keyFunction,
            UnaryOperator<Object[]> argsToTarget, UnaryOperator<Object> resultToSource) {
        this.method = method;
        this.kind = kind;
        this.entity = entity;
        this.keyFunction = keyFunction;
        this.argsToTarget = argsToTarget;
        this.resultToSource = resultToSource;
    }

    /** @return this read's plan with the transforms of {@link RepositoryBuilder#targetRead} */
    MethodPlan withTargetRead(UnaryOperator<Object[]> toTarget, UnaryOperator<Object> toSource) {
        return new MethodPlan(method, kind, entity, keyFunction, toTarget, toSource);
    }

    /**
     * The arguments the target DAO is called with: the caller's, or a transform of a copy of them.
     *
     * @throws IllegalStateException if the transform returns the wrong number of arguments
     */
    Object[] targetArgs(Object[] args) {
        if (argsToTarget == null) {
            return args;
        }
        Object[] converted = argsToTarget.apply(args == null ? new Object[0] : args.clone());
        int expected = method.getParameterCount();
        if (converted == null || converted.length != expected) {
            throw new IllegalStateException("targetRead(\"" + method.getName() + "\", ...) turned the arguments of "
                    + signature(method) + " into " + (converted == null ? "null" : converted.length + " argument(s)")
                    + ", but the method takes " + expected);
        }
        return converted;
    }

    /** @return the target DAO's result in the source's terms */
    Object sourceResult(Object targetResult) {
        return resultToSource == null ? targetResult : resultToSource.apply(targetResult);
    }

    Method method() {
        return method;
    }

    Kind kind() {
        return kind;
    }

    /** @return the mapped entity a write changes; null for reads */
    String entity() {
        return entity;
    }

    /** @return the name reads are routed and counted by */
    String operation() {
        return method.getName();
    }

    /**
     * The routing key value of a write, checked before anything is written: a single key as the key
     * function returned it, turned into text by {@link #writeKeys(Object)} only when a copy needs it
     * (a write of one side only does not), or a batch's keys.
     *
     * @throws IllegalArgumentException if the key is null, an empty list or array, or holds a null
     */
    Object writeKey(Object[] args) {
        Object value = keyFunction.apply(args == null ? new Object[0] : args);
        if (value == null) {
            throw new IllegalArgumentException(signature(method) + ": the routing key is null, so the write cannot be mirrored");
        }
        if (value instanceof Iterable || value.getClass().isArray()) {
            // A batch is checked and turned into keys now: an Iterable may not be iterable twice.
            return writeKeys(value);
        }
        return value;
    }

    /**
     * The keys a write names, from the value {@link #writeKey(Object[])} checked.
     *
     * @throws IllegalArgumentException if the value is an empty list or array, or holds a null
     */
    List<String> writeKeys(Object value) {
        if (!(value instanceof Iterable || value.getClass().isArray())) {
            return List.of(String.valueOf(value));
        }
        List<String> keys = new ArrayList<>();
        collect(value, keys);
        if (keys.isEmpty()) {
            // An empty key list would run the write with nothing to copy or queue: whatever it changes
            // would reach the primary only, silently.
            throw new IllegalArgumentException(signature(method) + ": the routing key list is empty, so the write"
                    + " cannot be mirrored and was not made. Fix: make the routing key name every row the write"
                    + " changes (one key per batch element), and skip the call when there is nothing to write");
        }
        return keys;
    }

    /**
     * The key of a read as the key function gave it, which the router renders as text only when its
     * decision needs it; null for a keyless read (no key configured, null, or several keys).
     */
    Object readKey(Object[] args) {
        if (keyFunction == null) {
            return null;
        }
        Object value = keyFunction.apply(args == null ? new Object[0] : args);
        if (value == null || value instanceof Iterable || value.getClass().isArray()) {
            return null;
        }
        return value;
    }

    private void collect(Object value, List<String> keys) {
        if (value == null) {
            return;
        }
        if (value instanceof Iterable<?> iterable) {
            for (Object element : iterable) {
                keys.add(element(element));
            }
        } else if (value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                keys.add(element(Array.get(value, i)));
            }
        } else {
            keys.add(String.valueOf(value));
        }
    }

    private String element(Object element) {
        if (element == null) {
            throw new IllegalArgumentException(signature(method)
                    + ": a routing key in the batch is null, so the write cannot be mirrored");
        }
        return String.valueOf(element);
    }

    /** @return e.g. {@code CustomerDao.rename(long,String)} */
    static String signature(Method method) {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName() + "("
                + Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(",")) + ")";
    }

    @Override
    public String toString() {
        return kind + " " + signature(method);
    }
}
