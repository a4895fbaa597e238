package dev.cutover.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.cutover.common.internal.Names;
import java.util.Objects;

/**
 * A write to queue: what failed on the target and how to replay it.
 *
 * @param migration the migration's name: 1 to {@value #MAX_MIGRATION} ASCII letters, digits, {@code _}, {@code .} or {@code -}
 * @param entity the table or DAO the write belongs to, at most {@value #MAX_ENTITY} characters
 * @param key the routing key (e.g. the primary key as text) that orders the entries of an entity,
 *     at most {@value #MAX_KEY} characters
 * @param mode how to replay it
 * @param operation the operation's name for the handler, e.g. {@code "upsert"}, at most
 *     {@value #MAX_OPERATION} characters
 * @param payload the recorded values as JSON; {@link NullNode} when there are none (e.g. for
 *     {@link ReplayMode#RESYNC})
 */
public record NewRetryEntry(String migration, String entity, String key, ReplayMode mode, String operation,
        JsonNode payload) {
    /** Longest migration name stored. */
    public static final int MAX_MIGRATION = 64;
    /** Longest entity name stored. */
    public static final int MAX_ENTITY = 128;
    /** Longest routing key stored. */
    public static final int MAX_KEY = 255;
    /** Longest operation name stored. */
    public static final int MAX_OPERATION = 64;

    /**
     * Validates the entry.
     *
     * @throws NullPointerException if any component is null
     * @throws dev.cutover.common.CutoverConfigurationException if the migration name is illegal
     * @throws IllegalArgumentException if the entity, key or operation is blank or longer than its maximum, or the mode is
     *     {@link ReplayMode#UNKNOWN}
     */
    public NewRetryEntry {
        Names.checkMigrationName(migration);
        requireText(entity, "entity", MAX_ENTITY);
        requireText(key, "key", MAX_KEY);
        Objects.requireNonNull(mode, "null mode");
        if (mode == ReplayMode.UNKNOWN) {
            throw new IllegalArgumentException("mode UNKNOWN only describes stored entries whose mode cannot be read;"
                    + " enqueue REPLAY or RESYNC");
        }
        requireText(operation, "operation", MAX_OPERATION);
        Objects.requireNonNull(payload, "null payload");
    }

    /**
     * An entry that resynchronises a key from the source; it carries no payload.
     *
     * @param migration the migration's name
     * @param entity the table or DAO
     * @param key the routing key
     * @return the entry, with operation {@code "resync"}
     */
    public static NewRetryEntry resync(String migration, String entity, String key) {
        return new NewRetryEntry(migration, entity, key, ReplayMode.RESYNC, "resync", NullNode.getInstance());
    }

    private static void requireText(String value, String field, int max) {
        Objects.requireNonNull(value, () -> "null " + field);
        if (value.isBlank() || value.length() > max) {
            throw new IllegalArgumentException(field + " must be 1 to " + max + " characters and not blank, but was '"
                    + value + "' (" + value.length() + " characters)");
        }
    }
}
