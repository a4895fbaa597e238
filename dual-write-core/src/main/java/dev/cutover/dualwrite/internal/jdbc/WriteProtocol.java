package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * What the JDBC wrappers ask of the dual-write core: the stage, the counters, and the shared mirror
 * of written keys. Implemented by {@code CutoverDataSource}; thread-safe.
 */
public interface WriteProtocol {
    /** @return the migration's current stage */
    Stage stage();

    /**
     * Counts a write statement on the primary.
     *
     * @param primary the side written
     * @param succeeded whether it succeeded
     */
    void primaryWrite(Side primary, boolean succeeded);

    /**
     * Mirrors keys the primary has committed: each is copied, or queued behind its pending entries,
     * or queued when the copy fails, all within one copy budget. The copies read and lock the
     * primary's rows on the connection that committed, and the queue's bookkeeping runs on it too
     * when the queue lives behind the same pool, so that the mirror borrows nothing from a pool whose
     * every connection may be held by writers waiting for their own mirror. Never throws.
     *
     * @param primary the side that committed
     * @param connection the physical connection that committed, outside any transaction; it is left
     *     outside one, with its auto-commit mode as found
     * @param keys the keys written
     */
    void committed(Side primary, Connection connection, List<WrittenKey> keys);

    /**
     * Queues keys whose commit failed, because a failure reported at commit may hide a commit. Never throws.
     *
     * @param primary the side whose commit failed
     * @param keys the keys written
     */
    void commitFailed(Side primary, List<WrittenKey> keys);

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

    /**
     * Copies keys whose retry entries were committed with them, within one copy budget, reading the
     * primary's rows on the connection that committed; a failed copy is left to its entry. Never throws.
     *
     * @param primary the side that committed
     * @param connection the physical connection that committed, outside any transaction
     * @param keys the keys written
     */
    void outboxCommitted(Side primary, Connection connection, List<WrittenKey> keys);

    /**
     * A key a statement wrote.
     *
     * @param entity the mapped entity
     * @param key the routing key, in the source's terms
     */
    record WrittenKey(String entity, String key) {
    }
}
