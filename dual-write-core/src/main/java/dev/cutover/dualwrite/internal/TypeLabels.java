package dev.cutover.dualwrite.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Labels for values by their type, as a chain of {@code instanceof} tests would give them: a value
 * takes the label of the first listed type it is an instance of. Immutable.
 *
 * @param <T> the labels' type
 */
public final class TypeLabels<T> {
    private final List<Map.Entry<Class<?>, T>> labels;

    private TypeLabels(List<Map.Entry<Class<?>, T>> labels) {
        this.labels = labels;
    }

    /**
     * @param labels each type with its label, in the order they are tried
     * @param <T> the labels' type
     * @return the labels
     */
    @SafeVarargs
    public static <T> TypeLabels<T> of(Map.Entry<Class<?>, T>... labels) {
        return new TypeLabels<>(List.of(labels));
    }

    /**
     * @param value a value, or null
     * @return the label of the first type the value is an instance of; empty for null or a value of
     *     none of the types
     */
    public Optional<T> labelOf(Object value) {
        for (Map.Entry<Class<?>, T> label : labels) {
            if (label.getKey().isInstance(value)) {
                return Optional.of(label.getValue());
            }
        }
        return Optional.empty();
    }
}
