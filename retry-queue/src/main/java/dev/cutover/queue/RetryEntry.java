package dev.cutover.queue;

import java.time.Instant;
import java.util.Objects;

/**
 * A queued entry as stored: an immutable snapshot, taken when it was claimed or looked up.
 *
 * @param id the entry's identity, unique in its store and ascending in enqueue order; it is also
 *     the entry's sequence within its key (see {@link #sequence()})
 * @param migration the migration's name
 * @param entity the table or DAO
 * @param key the routing key
 * @param mode how to replay it
 * @param operation the operation's name
 * @param payload the recorded values as JSON text, exactly as stored (may be invalid if the row was
 *     written by something else than this library)
 * @param status pending or parked
 * @param attempts failed replay attempts so far (0 for a fresh or requeued entry)
 * @param nextAttemptAt the earliest time of the next replay
 * @param lastError the last failure's type and message, or null if it never failed
 * @param createdAt when it was enqueued
 * @param leaseOwner the instance whose worker holds it, or null if none does
 * @param leaseUntil when that lease ends, or null if none
 */
public record RetryEntry(long id, String migration, String entity, String key, ReplayMode mode, String operation,
        String payload, EntryStatus status, int attempts, Instant nextAttemptAt, String lastError, Instant createdAt,
        String leaseOwner, Instant leaseUntil) {

    /**
     * Checks the required components.
     *
     * @throws NullPointerException if a component other than lastError, leaseOwner or leaseUntil is null
     */
    public RetryEntry {
        Objects.requireNonNull(migration, "null migration");
        Objects.requireNonNull(entity, "null entity");
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(mode, "null mode");
        Objects.requireNonNull(operation, "null operation");
        Objects.requireNonNull(payload, "null payload");
        Objects.requireNonNull(status, "null status");
        Objects.requireNonNull(nextAttemptAt, "null nextAttemptAt");
        Objects.requireNonNull(createdAt, "null createdAt");
    }

    /**
     * The entry's place within its (migration, entity, key): entries of one key are replayed in
     * ascending sequence. Sequences come from the store's ascending identity, so they increase
     * within a key but are not contiguous.
     *
     * @return the sequence, equal to {@link #id()}
     */
    public long sequence() {
        return id;
    }

    /**
     * A description for logs: id, migration, entity and key, never the payload.
     *
     * @return e.g. {@code "#42 orders-v2/orders/1001"}
     */
    public String describe() {
        return "#" + id + " " + migration + "/" + entity + "/" + key;
    }

    /**
     * Omits the payload, which may hold personal data.
     *
     * @return a description for logs and test failures
     */
    @Override
    public String toString() {
        return "RetryEntry[" + describe() + " " + mode + " " + operation + " " + status + " attempts=" + attempts
                + (leaseOwner == null ? "" : " leased by " + leaseOwner + " until " + leaseUntil) + "]";
    }
}
