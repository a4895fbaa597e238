package dev.cutover.flags;

/**
 * Told when the flags of a migration change, whether the change was made through this
 * {@link MigrationFlags} or found by its background refresh (another instance, an operator's SQL,
 * a flag provider).
 *
 * <p>Called on the thread that made or found the change, after the new state is visible through
 * {@link MigrationFlags#state(String)}; keep it quick. A change is a difference in the flags (stage,
 * percentages, canary keys); a version bump that changes none of them is not reported. Exceptions
 * it throws are caught and logged.
 */
@FunctionalInterface
public interface FlagListener {
    /**
     * Reacts to a change.
     *
     * @param before the state until now ({@link MigrationState#initial(String)} if none was known)
     * @param after the new state
     */
    void onChange(MigrationState before, MigrationState after);
}
