package dev.cutover.flags;

import java.time.Instant;
import java.util.Objects;

/**
 * One audited flip: which migration, its state before and after, who made it, why, and when.
 *
 * @param migration the migration name
 * @param before the state the flip replaced
 * @param after the state the flip stored; its version is {@code before.version() + 1}
 * @param actor who flipped, as given by the caller (a user, a tool, a deployment)
 * @param reason why, as given by the caller; may be empty
 * @param at when the flip was stored (UTC instant)
 */
public record FlagChange(String migration, MigrationState before, MigrationState after, String actor, String reason,
                         Instant at) {
    /**
     * Checks that every component is present.
     *
     * @param migration the migration name
     * @param before the state the flip replaced
     * @param after the state the flip stored
     * @param actor who flipped
     * @param reason why
     * @param at when the flip was stored
     * @throws NullPointerException if a component is null
     */
    public FlagChange {
        Objects.requireNonNull(migration, "null migration");
        Objects.requireNonNull(before, "null before");
        Objects.requireNonNull(after, "null after");
        Objects.requireNonNull(actor, "null actor");
        Objects.requireNonNull(reason, "null reason");
        Objects.requireNonNull(at, "null at");
    }
}
