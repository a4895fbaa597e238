package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What the JDBC wrappers ask of the dual-write core for one migration: the counters, the write
 * permits, and the shared mirror of written keys. Implemented by {@code CutoverDataSource}, once per
 * migration; thread-safe.
 */
public interface WriteProtocol {
    /**
     * Counts a write statement on the primary.
     *
     * @param primary the side written
     * @param succeeded whether it succeeded
     */
    void primaryWrite(Side primary, boolean succeeded);

    /**
     * Mirrors keys the primary has committed, all within one copy budget: each is copied, or queued
     * behind its pending entries, or queued when the copy fails; with the transactional outbox
     * ({@code outbox}) each is only copied, a failed copy being left to the entry committed with it.
     * The copies read and lock the primary's rows on the connection that committed, and the queue's
     * bookkeeping runs on it too when the queue lives behind the same pool, so that the mirror borrows
     * nothing from a pool whose every connection may be held by writers waiting for their own mirror.
     * Under a write permit a key whose copy misses the permit's copy window is a late write, queued
     * for a copy from the primary after the handover. Never throws.
     *
     * @param primary the side that committed
     * @param connection the physical connection that committed, outside any transaction; it is left
     *     outside one, with its auto-commit mode as found
     * @param keys the keys written
     * @param permit the transaction's write permit, or null
     * @param outbox whether the keys' retry entries were committed with them
     * @return false if any key was late
     */
    boolean committed(Side primary, Connection connection, List<WrittenKey> keys, WritePermit permit, boolean outbox);

    /**
     * Queues keys whose commit failed, because a failure reported at commit may hide a commit; under
     * a permit only within its copy window. Never throws.
     *
     * @param primary the side whose commit failed
     * @param keys the keys written
     * @param permit the transaction's write permit, or null
     */
    void commitFailed(Side primary, List<WrittenKey> keys, WritePermit permit);

    /**
     * @param primary the side being written
     * @return whether writes to it record their retry entries in their own transaction
     */
    boolean outbox(Side primary);

    /**
     * Records the retry entries of the keys in the primary's open transaction, before its commit.
     *
     * @param connection the primary connection, in the transaction that wrote the keys
     * @param primary the side written
     * @param keys the keys written
     * @throws SQLException if an entry cannot be written; the caller rolls back
     */
    void writeOutbox(Connection connection, Side primary, List<WrittenKey> keys) throws SQLException;

    // ---- the fenced primary handover (Handovers.beginWrite) ----

    /**
     * Starts a write of the migration: waits out a handover in progress, checks the flags' lease.
     *
     * @return the permit, held until the transaction ends
     * @throws SQLException (SQLState 40001, nothing written) if the handover does not finish in time or
     *     the flags cannot be confirmed
     */
    WritePermit beginWrite() throws SQLException;

    /**
     * A key a statement wrote.
     *
     * @param entity the mapped entity
     * @param key the routing key, in the source's terms
     */
    record WrittenKey(String entity, String key) {
    }
}
