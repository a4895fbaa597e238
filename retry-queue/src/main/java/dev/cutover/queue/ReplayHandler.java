package dev.cutover.queue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.Set;

/**
 * SPI: applies one queued entry to the target. The table-aware implementation comes from the
 * dual-write core; tests and simple uses supply their own.
 *
 * <p>The queue calls a handler from several worker threads at once, never for two entries of the
 * same (migration, entity, key) at the same time, and always in the key's sequence order. A
 * handler must therefore be thread-safe across keys. It must also be idempotent: an entry whose
 * replay succeeded may be delivered again after a crash or an expired lease.
 *
 * <p>How the outcome is read:
 * <ul>
 *   <li>returning normally: the entry is removed;
 *   <li>{@link NonRetryableReplayException}: the entry is parked at once;
 *   <li>a Jackson {@link com.fasterxml.jackson.core.JsonProcessingException} (e.g. from
 *       {@code treeToValue}): the payload cannot be deserialized, the entry is parked at once;
 *   <li>any other exception: the attempt failed, the entry backs off and is retried until the
 *       configured maximum of attempts, then parked.
 * </ul>
 */
@FunctionalInterface
public interface ReplayHandler {
    /**
     * Applies an entry to the target.
     *
     * @param entry the entry, with its mode, operation, key and attempt count so far
     * @param payload the entry's payload, already parsed as JSON
     * @throws NonRetryableReplayException if retrying cannot help
     * @throws Exception if the attempt failed and may succeed later
     */
    void replay(RetryEntry entry, JsonNode payload) throws Exception;

    /**
     * The migrations whose entries this handler can replay. A queue claims only their entries and
     * leaves the others pending for instances whose handler knows them, so that during a rolling
     * deploy that adds a migration the instances still on the old version neither replay nor park
     * the new migration's entries. The queue asks before every claim, so a handler may add migrations
     * while the queue runs; it must not answer an empty set when the queue is created.
     *
     * @return the migrations' names, or empty (the default) if the handler takes the entries of every
     *     migration
     */
    default Optional<Set<String>> migrations() {
        return Optional.empty();
    }
}
