package dev.cutover.queue;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * A {@link RetryStore} in a relational database, which can also enqueue inside the caller's own
 * transaction so that an entry commits or rolls back together with the source write that caused it.
 *
 * <p>Claims use {@code SELECT ... FOR UPDATE SKIP LOCKED} on PostgreSQL, MariaDB 10.6+ and MySQL 8,
 * and an optimistic conditional {@code UPDATE} on H2. Time columns hold epoch milliseconds (UTC).
 * Thread-safe.
 */
public interface JdbcRetryStore extends RetryStore {

    /**
     * Creates the table and its indexes if they do not exist yet; nothing else ever creates them.
     *
     * @throws dev.cutover.common.CutoverException if the DDL fails
     */
    void createTables();

    /**
     * The table's name.
     *
     * @return {@code <tablePrefix>retry_entry}
     */
    String tableName();

    /**
     * The pool this store borrows its own connections from: a caller that holds a connection of that
     * very pool can use {@link #enqueue(Connection, NewRetryEntry, Instant)} instead of borrowing a
     * second one.
     *
     * @return the data source the store was created with
     */
    DataSource dataSource();

    /**
     * Adds an entry using the caller's connection, inside whatever transaction it has open; the
     * connection is neither committed nor closed. Enqueue after the source write, in the same
     * transaction: the source row's lock then orders the entries of a key as their writes.
     *
     * @param connection the caller's connection to the database holding the table
     * @param entry the entry; a {@link ReplayMode#RESYNC} entry removes the pending, unleased
     *     entries of its key in the same transaction
     * @param now its creation time, also its first due time
     * @return the new entry's id
     * @throws SQLException if the insert fails; the caller decides whether to roll back
     */
    long enqueue(Connection connection, NewRetryEntry entry, Instant now) throws SQLException;
}
