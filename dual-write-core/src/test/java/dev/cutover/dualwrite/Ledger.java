package dev.cutover.dualwrite;

import java.sql.SQLException;

/** A bank ledger repository: order matters for its increments, which makes it a good dual-write test. */
public interface Ledger {
    @Write
    void open(@RoutingKey long id, String owner) throws SQLException;

    @Write
    void deposit(@RoutingKey long id, long amount) throws SQLException;

    @Write
    void rename(@RoutingKey long id, String owner) throws SQLException;

    @Write
    void close(@RoutingKey long id) throws SQLException;

    /** Moves money between two accounts in one transaction; its keys come from a builder function. */
    @Write
    void transfer(long from, long to, long amount) throws SQLException;

    @Read
    Long balance(@RoutingKey long id) throws SQLException;

    /** Opens an account with a first deposit, through the proxy's own methods. */
    default void openWithDeposit(long id, String owner, long amount) throws SQLException {
        open(id, owner);
        deposit(id, amount);
    }
}
