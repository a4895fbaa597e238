package dev.cutover.common.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Borrows connections whose reads give up after a network timeout.
 *
 * <p>A query timeout does not help when the network stalls silently: drivers cancel a query by
 * sending a request to the server, which the stall holds back too, so the caller's thread would wait
 * until the operating system gives up on the socket, many minutes later. A network timeout
 * ({@link Connection#setNetworkTimeout}) bounds each socket read instead. The connection's own
 * timeout is put back when it is closed, so that a pool shared with the application hands it on
 * unchanged.
 */
public final class NetworkTimeouts {
    /**
     * The network timeout of the connections Cutover borrows for its own bookkeeping (retry entries,
     * checkpoints, dialect detection) unless a setting says otherwise: far above any of their
     * statements on a healthy database, far below the operating system's own give-up time.
     */
    public static final int DEFAULT_MILLIS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(NetworkTimeouts.class);

    private NetworkTimeouts() {
    }

    /**
     * Borrows a connection with a network timeout; drivers without network timeouts give their
     * connection unchanged.
     *
     * @param dataSource where to borrow from
     * @param timeoutMillis the longest wait for one network read, positive
     * @return the connection; closing it restores its timeout and closes it
     * @throws SQLException if no connection can be had
     */
    public static Connection connect(DataSource dataSource, int timeoutMillis) throws SQLException {
        Connection connection = dataSource.getConnection();
        int previous;
        try {
            previous = connection.getNetworkTimeout();
            connection.setNetworkTimeout(Runnable::run, timeoutMillis);
        } catch (SQLFeatureNotSupportedException e) {
            return connection;
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        return (Connection) Proxy.newProxyInstance(NetworkTimeouts.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close") && method.getParameterCount() == 0) {
                        restore(connection, previous);
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void restore(Connection connection, int previous) {
        try {
            if (!connection.isClosed()) {
                connection.setNetworkTimeout(Runnable::run, previous);
            }
        } catch (SQLException e) {
            LOG.debug("Could not restore the network timeout of a connection: {}", e.toString());
        }
    }
}
