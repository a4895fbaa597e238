package dev.cutover.spring.boot;

import dev.cutover.Cutover;

/**
 * Adjusts the runtime's builder after the {@code cutover.*} properties were applied, for what they
 * do not cover (e.g. {@code readRouterConfig} with a custom circuit breaker, or a
 * {@code stateDataSource}). Beans of this type are applied in their {@code @Order}.
 *
 * <p>The builder's {@code flags}, {@code retryQueue} and {@code rowCopier} methods take one
 * customizer each and replace the one built from the properties: set those options as properties,
 * or set them all here.
 */
@FunctionalInterface
public interface CutoverBuilderCustomizer {
    /**
     * Customizes the builder.
     *
     * @param builder the runtime's builder, over the source and target DataSources
     */
    void customize(Cutover.Builder builder);
}
