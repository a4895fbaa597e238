package dev.cutover.examples.shop;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source that can be switched off, to play a target outage in the demo: while it is down,
 * new connections are refused and every call on a connection already handed out fails, as when a
 * database server goes away mid-traffic.
 */
final class OutageSwitch implements DataSource {
    private static final Set<String> ALWAYS_ALLOWED = Set.of("close", "isClosed", "isValid", "unwrap", "isWrapperFor",
            "hashCode", "equals", "toString", "rollback", "setAutoCommit", "getAutoCommit");

    private final DataSource delegate;
    private volatile boolean down;

    OutageSwitch(DataSource delegate) {
        this.delegate = delegate;
    }

    void goDown() {
        down = true;
    }

    void comeBack() {
        down = false;
    }

    private void check() throws SQLException {
        if (down) {
            throw new SQLTransientConnectionException("target database unreachable (outage injected by the demo)");
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        check();
        return guard(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        check();
        return guard(delegate.getConnection(username, password));
    }

    private Connection guard(Connection connection) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (!ALWAYS_ALLOWED.contains(method.getName())) {
                check();
            }
            try {
                return method.invoke(connection, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, handler);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return delegate.isWrapperFor(iface);
    }
}
