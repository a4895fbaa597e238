package dev.cutover.spring.boot;

import dev.cutover.dualwrite.TableMapping;

/**
 * The migrations of the application, declared as a bean: the starter registers them in the runtime
 * at start-up, in the order given.
 *
 * <pre>{@code
 * @Bean
 * CutoverMappings cutoverMappings() {
 *     return migrations -> migrations
 *             .migration("owners", TableMapping.builder("owners").key("id", Integer.class)
 *                     .columns("first_name", "last_name", "address", "city", "telephone").build());
 * }
 * }</pre>
 *
 * <p>Several beans of this type may each register their own migrations; names must not repeat.
 * The application's primary DataSource mirrors the tables of the migrations
 * {@code cutover.data-source.migrations} names, by default all of them, each table under its own
 * migration's stage; reach each with {@code cutover.migration(name)}, e.g. to wrap repositories.
 */
@FunctionalInterface
public interface CutoverMappings {
    /**
     * Registers migrations.
     *
     * @param migrations where to register them
     */
    void register(Registry migrations);

    /** Where {@link CutoverMappings} register migrations. */
    interface Registry {
        /**
         * Registers a migration: a name for its flags, queue entries and meters, and the tables it
         * moves together (one stage for all); see {@code dev.cutover.Cutover#migration}.
         *
         * @param name 1 to 64 ASCII letters, digits, {@code _}, {@code -} or {@code .}
         * @param mapping the first table it moves
         * @param more further tables it moves
         * @return this registry, for the next migration
         * @throws IllegalArgumentException if the name is illegal or already registered
         */
        Registry migration(String name, TableMapping mapping, TableMapping... more);
    }
}
