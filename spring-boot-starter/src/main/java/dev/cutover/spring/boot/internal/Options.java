package dev.cutover.spring.boot.internal;

import dev.cutover.common.CutoverConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The set properties of one {@code cutover.*} group, turned into calls on one of the runtime's
 * builders. Each value is tried alone on a fresh builder as it is added, so that an out-of-range
 * value fails start-up naming its property (Spring Boot reports where it was set) rather than a
 * builder field.
 *
 * @param <B> the builder type
 */
public final class Options<B> {
    private final String prefix;
    private final Supplier<B> fresh;
    private final Consumer<B> check;
    private final List<Consumer<B>> setters = new ArrayList<>();

    /**
     * Starts a group.
     *
     * @param prefix the group's property prefix, e.g. {@code cutover.retry-queue}
     * @param fresh makes an empty builder to try a value on
     * @param check validates a builder the way its setters alone do not (e.g. builds it); may do nothing
     */
    public Options(String prefix, Supplier<B> fresh, Consumer<B> check) {
        this.prefix = prefix;
        this.fresh = fresh;
        this.check = check;
    }

    /**
     * Adds a property if it is set.
     *
     * @param name the property's name within the group, in kebab case
     * @param value its value, or null when unset
     * @param setter the builder's setter
     * @param <V> the value type
     * @return this
     * @throws InvalidConfigurationPropertyValueException if the builder refuses the value
     */
    public <V> Options<B> set(String name, V value, BiConsumer<B, V> setter) {
        if (value == null) {
            return this;
        }
        Consumer<B> call = builder -> setter.accept(builder, value);
        try {
            B builder = fresh.get();
            call.accept(builder);
            check.accept(builder);
        } catch (CutoverConfigurationException | IllegalArgumentException | NullPointerException e) {
            throw new InvalidConfigurationPropertyValueException(prefix + "." + name, value, e.getMessage());
        }
        setters.add(call);
        return this;
    }

    /**
     * Applies every set property to a builder.
     *
     * @param builder the builder
     */
    public void applyTo(B builder) {
        setters.forEach(setter -> setter.accept(builder));
    }
}
