package dev.cutover.router.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Counts confirmed mismatches per field under a bounded set of names, so that they can be meter
 * tags: the first {@link #LIMIT} distinct fields get their own count, every later one is counted
 * under {@link #OTHER}. Thread-safe.
 */
public final class MismatchFields {
    /** The most distinct field names counted on their own. */
    public static final int LIMIT = 50;
    /** The name that counts the fields seen after the first {@link #LIMIT}. */
    public static final String OTHER = "(other)";
    /** The name of a difference in the result as a whole rather than in one of its fields. */
    public static final String RESULT = "(result)";

    private static final Pattern POSITION = Pattern.compile("\\[[^\\]]*]");
    private static final Pattern NAME = Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]{0,63}");
    private static final int MAX_FIELD_LENGTH = 200;

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> order = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<Consumer<String>> watchers = new CopyOnWriteArrayList<>();
    private final LongAdder other = new LongAdder();
    private volatile boolean full;

    /**
     * The field a difference's path names, in the syntax of {@code ValueComparator.ignoreFields}:
     * list positions are left out ({@code lines[2].price} is {@code lines.price}), and a path segment
     * that is not a plain name (a map key such as {@code 42} or an e-mail address) becomes {@code *},
     * because such keys are data, not field names.
     *
     * @param path a {@link dev.cutover.router.ValueDifference#path()}
     * @return the field, or {@link #RESULT} for the result itself
     */
    public static String fieldOf(String path) {
        String withoutPositions = POSITION.matcher(path).replaceAll("");
        StringBuilder field = new StringBuilder();
        for (String segment : withoutPositions.split("\\.")) {
            if (segment.isEmpty()) {
                continue;
            }
            if (field.length() > 0) {
                field.append('.');
            }
            field.append(NAME.matcher(segment).matches() ? segment : "*");
        }
        if (field.length() == 0) {
            return RESULT;
        }
        return field.length() > MAX_FIELD_LENGTH ? field.substring(0, MAX_FIELD_LENGTH) : field.toString();
    }

    /**
     * Counts one mismatch for each of the given fields.
     *
     * @param fields distinct fields, as {@link #fieldOf(String)} names them
     */
    public void count(List<String> fields) {
        for (String field : fields) {
            counter(field).increment();
        }
    }

    /**
     * Calls the watcher with every field name counted on its own so far, then with each new one when it
     * is first counted (on the thread that counts it), and with {@link #OTHER} once it is first used.
     *
     * @param watcher called with each name at least once (twice when it is first counted while the
     *     watcher is being added); must be quick, idempotent and must not throw
     */
    public void watch(Consumer<String> watcher) {
        watchers.add(watcher);
        for (String field : names()) {
            watcher.accept(field);
        }
    }

    /** @return the counts by field name, in the order the names were first counted */
    public Map<String, Long> snapshot() {
        Map<String, Long> copy = new LinkedHashMap<>();
        for (String field : names()) {
            copy.put(field, count(field));
        }
        return Collections.unmodifiableMap(copy);
    }

    /**
     * @param field a field name
     * @return the mismatches counted under it, 0 if none
     */
    public long count(String field) {
        LongAdder counter = counts.get(field);
        return counter == null ? 0 : counter.sum();
    }

    private List<String> names() {
        synchronized (order) {
            return List.copyOf(order.keySet());
        }
    }

    private LongAdder counter(String field) {
        LongAdder counter = counts.get(field);
        if (counter != null) {
            return counter;
        }
        if (full) {
            return otherCounter();
        }
        boolean added = false;
        synchronized (order) {
            counter = counts.get(field);
            if (counter == null) {
                if (order.size() - (order.containsKey(OTHER) ? 1 : 0) >= LIMIT) {
                    full = true;
                } else {
                    counter = new LongAdder();
                    counts.put(field, counter);
                    order.put(field, counter);
                    added = true;
                }
            }
        }
        if (counter == null) {
            return otherCounter();
        }
        if (added) {
            announce(field);
        }
        return counter;
    }

    private LongAdder otherCounter() {
        if (counts.get(OTHER) == null) {
            boolean added;
            synchronized (order) {
                added = counts.putIfAbsent(OTHER, other) == null;
                if (added) {
                    order.put(OTHER, other);
                }
            }
            if (added) {
                announce(OTHER);
            }
        }
        return other;
    }

    private void announce(String field) {
        for (Consumer<String> watcher : watchers) {
            watcher.accept(field);
        }
    }
}
