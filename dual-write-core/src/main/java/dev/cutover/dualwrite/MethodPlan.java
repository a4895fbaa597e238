package dev.cutover.dualwrite;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/** What the proxy does with one method, decided once when the repository is built. */
final class MethodPlan {
    enum Kind { READ, WRITE, DEFAULT }

    private final Method method;
    private final Kind kind;
    private final String entity;
    private final Function<Object[], ?> keyFunction;

    MethodPlan(Method method, Kind kind, String entity, Function<Object[], ?> keyFunction) {
        this.method = method;
        this.kind = kind;
        this.entity = entity;
        this.keyFunction = keyFunction;
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
     * The keys a write names; checked before anything is written.
     *
     * @throws IllegalArgumentException if the key is null, empty or holds a null
     */
    List<String> writeKeys(Object[] args) {
        Object value = keyFunction.apply(args == null ? new Object[0] : args);
        List<String> keys = new ArrayList<>();
        collect(value, keys);
        if (keys.isEmpty() && !(value instanceof Iterable || (value != null && value.getClass().isArray()))) {
            throw new IllegalArgumentException(signature(method) + ": the routing key is null, so the write cannot be mirrored");
        }
        return keys;
    }

    /** @return the key of a read, or null for a keyless read (no key configured, null, or several keys) */
    String readKey(Object[] args) {
        if (keyFunction == null) {
            return null;
        }
        Object value = keyFunction.apply(args == null ? new Object[0] : args);
        if (value == null || value instanceof Iterable || value.getClass().isArray()) {
            return null;
        }
        return String.valueOf(value);
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
