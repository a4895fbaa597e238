package dev.cutover.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A handler that records, per key, the sequences it applied and catches two workers applying one
 * key at once (a per-key in-flight counter that must never exceed 1). Thread-safe.
 */
class RecordingHandler implements ReplayHandler {
    private final Map<String, List<Long>> appliedByKey = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger applied = new AtomicInteger();

    @Override
    public void replay(RetryEntry entry, JsonNode payload) throws Exception {
        String key = entry.entity() + "/" + entry.key();
        AtomicInteger counter = inFlight.computeIfAbsent(key, k -> new AtomicInteger());
        if (counter.incrementAndGet() > 1) {
            overlaps.incrementAndGet();
        }
        try {
            beforeApply(entry);
            List<Long> sequences = appliedByKey.computeIfAbsent(key, k -> new ArrayList<>());
            synchronized (sequences) {
                sequences.add(entry.sequence());
            }
            applied.incrementAndGet();
        } finally {
            counter.decrementAndGet();
        }
    }

    /** Hook for subclasses that fail or block; runs while the key counts as in flight. */
    void beforeApply(RetryEntry entry) throws Exception {
        Thread.yield();
    }

    int applied() {
        return applied.get();
    }

    List<Long> appliedSequences(String entity, String key) {
        List<Long> sequences = appliedByKey.getOrDefault(entity + "/" + key, List.of());
        synchronized (sequences) {
            return List.copyOf(sequences);
        }
    }

    /**
     * Asserts that every key saw exactly its expected sequences in ascending order, allowing a
     * sequence to repeat right after itself (an at-least-once redelivery), and that no key was ever
     * applied by two workers at once.
     */
    void assertAppliedInOrder(Map<String, List<Long>> expectedByKey, boolean allowRedelivery) {
        assertEquals(0, overlaps.get(), "keys applied by two workers at once");
        assertEquals(expectedByKey.keySet(), appliedByKey.keySet(), "keys applied");
        for (Map.Entry<String, List<Long>> expected : expectedByKey.entrySet()) {
            List<Long> actual;
            List<Long> recorded = appliedByKey.get(expected.getKey());
            synchronized (recorded) {
                actual = new ArrayList<>(recorded);
            }
            for (int i = 1; i < actual.size(); i++) {
                assertTrue(actual.get(i) > actual.get(i - 1) || (allowRedelivery && actual.get(i).equals(actual.get(i - 1))),
                        "key " + expected.getKey() + " applied out of order: " + actual);
            }
            assertEquals(expected.getValue(), actual.stream().distinct().toList(), "sequences of " + expected.getKey());
        }
    }
}
