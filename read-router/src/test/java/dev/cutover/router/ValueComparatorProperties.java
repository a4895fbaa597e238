package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class ValueComparatorProperties {
    record Node(Object left, Object right) {
    }

    private final ValueComparator comparator = ValueComparator.ofDefaults();

    @Property(tries = 1_000)
    void aValue_equalsItself_andADeepCopy(@ForAll("values") Object value) {
        assertEquals(List.of(), comparator.compare(value, value));
        assertEquals(List.of(), comparator.compare(value, rebuild(value, -1, new int[1], new ArrayList<>(), "")));
    }

    @Property(tries = 1_000)
    void aSingleChangedLeaf_isReportedAtItsPath_withBothValues(@ForAll("values") Object value,
                                                               @ForAll @IntRange(min = 0, max = 10_000) int pick) {
        List<Leaf> leaves = new ArrayList<>();
        rebuild(value, -1, new int[1], leaves, "");
        int changedIndex = pick % leaves.size();
        Object changed = rebuild(value, changedIndex, new int[1], new ArrayList<>(), "");
        Leaf leaf = leaves.get(changedIndex);

        List<ValueDifference> differences = comparator.compare(value, changed);

        assertEquals(List.of(new ValueDifference(leaf.path, unwrap(leaf.value), unwrap(changedLeaf(leaf.value)))), differences);
    }

    @Provide
    Arbitrary<Object> values() {
        return Arbitraries.recursive(ValueComparatorProperties::leaves, inner -> Arbitraries.oneOf(
                inner.list().ofMinSize(1).ofMaxSize(4).map(list -> (Object) list),
                Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6), inner)
                        .ofMinSize(1).ofMaxSize(4).map(map -> (Object) map),
                Arbitraries.entries(inner, inner).map(e -> (Object) new Node(e.getKey(), e.getValue())),
                inner.map(v -> (Object) Optional.of(v))), 0, 3);
    }

    private static Arbitrary<Object> leaves() {
        return Arbitraries.oneOf(
                Arbitraries.integers().map(i -> (Object) i),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.strings().ofMaxLength(8).map(s -> (Object) s),
                Arbitraries.bigDecimals().ofScale(2).between(BigDecimal.valueOf(-1_000_000), BigDecimal.valueOf(1_000_000))
                        .map(d -> (Object) d),
                Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.longs().between(0, 4_000_000_000L).map(s -> (Object) Instant.ofEpochSecond(s, 123_456_789)),
                Arbitraries.integers().between(0, 100_000).map(d -> (Object) LocalDateTime.of(2000, 1, 1, 0, 0).plusMinutes(d)),
                Arbitraries.just(Optional.empty()));
    }

    /**
     * Copies a value deeply, changing the leaf with the given index (or none for -1), and lists the
     * leaves with their paths in the comparator's path syntax.
     */
    private static Object rebuild(Object value, int changeIndex, int[] counter, List<Leaf> leaves, String path) {
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                copy.add(rebuild(list.get(i), changeIndex, counter, leaves, path + "[" + i + "]"));
            }
            return copy;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(k, rebuild(v, changeIndex, counter, leaves, child(path, (String) k))));
            return copy;
        }
        if (value instanceof Node node) {
            return new Node(rebuild(node.left(), changeIndex, counter, leaves, child(path, "left")),
                    rebuild(node.right(), changeIndex, counter, leaves, child(path, "right")));
        }
        if (value instanceof Optional<?> optional && optional.isPresent()) {
            return Optional.of(rebuild(optional.get(), changeIndex, counter, leaves, path));
        }
        leaves.add(new Leaf(path, value));
        return counter[0]++ == changeIndex ? changedLeaf(value) : copyLeaf(value);
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static Object copyLeaf(Object leaf) {
        if (leaf instanceof String s) {
            return new String(s.toCharArray());
        }
        if (leaf instanceof BigDecimal d) {
            return new BigDecimal(d.unscaledValue(), d.scale());
        }
        return leaf;
    }

    private static Object changedLeaf(Object leaf) {
        if (leaf instanceof Integer i) {
            return i + 1;
        }
        if (leaf instanceof Long l) {
            return l + 1;
        }
        if (leaf instanceof String s) {
            return s + "!";
        }
        if (leaf instanceof BigDecimal d) {
            return d.add(BigDecimal.ONE);
        }
        if (leaf instanceof Boolean b) {
            return !b;
        }
        if (leaf instanceof Instant t) {
            return t.plusNanos(1_000);
        }
        if (leaf instanceof LocalDateTime t) {
            return t.plusSeconds(1);
        }
        if (leaf instanceof Optional<?>) {
            return Optional.of("present");
        }
        throw new IllegalArgumentException("no change defined for " + leaf);
    }

    /** Differences report an Optional's content, or null for an empty one. */
    private static Object unwrap(Object leaf) {
        return leaf instanceof Optional<?> o ? o.orElse(null) : leaf;
    }

    private record Leaf(String path, Object value) {
    }
}
