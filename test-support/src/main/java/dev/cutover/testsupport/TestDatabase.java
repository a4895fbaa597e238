package dev.cutover.testsupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

/**
 * One freshly created database (or H2 in-memory database) that belongs to one test class.
 *
 * <p>{@link #close()} closes every pool handed out and drops the database. Thread-safe.
 */
public final class TestDatabase implements AutoCloseable {
    private final Engine engine;
    private final String name;
    private final ServerUrl server;
    private final String jdbcUrl;
    private final List<HikariDataSource> pools = new CopyOnWriteArrayList<>();

    TestDatabase(Engine engine, String name, ServerUrl server, String jdbcUrl) {
        this.engine = engine;
        this.name = name;
        this.server = server;
        this.jdbcUrl = jdbcUrl;
    }

    /** @return the engine */
    public Engine engine() {
        return engine;
    }

    /** @return the database name, unique per test run */
    public String name() {
        return name;
    }

    /** @return a JDBC URL of this database, with credentials in its parameters */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** @return host of the server, for a {@link TcpForwarder} in front of it */
    public String host() {
        requireServer();
        return server.host();
    }

    /** @return port of the server, for a {@link TcpForwarder} in front of it */
    public int port() {
        requireServer();
        return server.port();
    }

    /**
     * A JDBC URL of this database that connects through a forwarder instead of directly.
     *
     * @param forwarder a forwarder started in front of {@link #host()}:{@link #port()}
     * @return the URL
     */
    public String jdbcUrlVia(TcpForwarder forwarder) {
        requireServer();
        return server.withHostPort("127.0.0.1", forwarder.port()).forDatabase(name);
    }

    /**
     * A new connection pool on this database, closed with it.
     *
     * @param maxSize the pool's maximum size
     * @return the pool
     */
    public DataSource dataSource(int maxSize) {
        return pool(jdbcUrl, maxSize, 5_000, null);
    }

    /** @return a new pool of at most 8 connections on this database, closed with it */
    public DataSource dataSource() {
        return dataSource(8);
    }

    /**
     * A new pool that connects through a forwarder, with short timeouts so that a cut connection
     * is noticed within about a second; closed with this database.
     *
     * @param forwarder the forwarder in front of this database's server
     * @param maxSize the pool's maximum size
     * @return the pool
     */
    public DataSource dataSourceVia(TcpForwarder forwarder, int maxSize) {
        // HikariCP 5.1.0 reads the driver's default isolation from the pool's first connection; if a
        // cut closes that connection during the read, it keeps -1 and sets that isolation on every
        // new connection, which PostgreSQL refuses: the pool never opens a connection again. An
        // explicit isolation (the engine's default) keeps the pool usable after such a cut.
        return pool(jdbcUrlVia(forwarder), maxSize, 1_000,
                engine == Engine.MARIADB ? "TRANSACTION_REPEATABLE_READ" : "TRANSACTION_READ_COMMITTED");
    }

    /**
     * A new pool with HikariCP's default settings (30 s {@code connectionTimeout}, 5 s validation,
     * the pool kept full) but for its size: the pool an application gets when it configures nothing,
     * so that tests see the waits a real application would; closed with this database.
     *
     * @param maxSize the pool's maximum size
     * @return the pool
     */
    public DataSource defaultPool(int maxSize) {
        return defaultPool(jdbcUrl, maxSize);
    }

    /**
     * Like {@link #defaultPool(int)}, connecting through a forwarder.
     *
     * @param forwarder the forwarder in front of this database's server
     * @param maxSize the pool's maximum size
     * @return the pool
     */
    public DataSource defaultPoolVia(TcpForwarder forwarder, int maxSize) {
        return defaultPool(jdbcUrlVia(forwarder), maxSize);
    }

    private DataSource defaultPool(String url, int maxSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(maxSize);
        config.setPoolName("test-default-" + name + "-" + pools.size());
        HikariDataSource pool = new HikariDataSource(config);
        pools.add(pool);
        return pool;
    }

    /**
     * A plain connection outside any pool; the caller closes it.
     *
     * @return the connection
     * @throws SQLException if the database cannot be reached
     */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl);
    }

    /**
     * Runs statements in auto-commit mode, for test fixtures.
     *
     * @param sql the statements, run in order
     */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String each : sql) {
                s.execute(each);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Fixture SQL failed on " + engine + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads rows for a test's assertion, on a plain connection.
     *
     * @param sql a query
     * @return each row's values as text ({@code null} for NULL), joined by {@code /}, in the query's order
     */
    public List<String> rows(String sql) {
        List<String> rows = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    values.add(rs.getString(i));
                }
                rows.add(String.join("/", values));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Query failed on " + engine + ": " + e.getMessage(), e);
        }
        return rows;
    }

    private DataSource pool(String url, int maxSize, long connectionTimeoutMillis, String isolation) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(maxSize);
        config.setMinimumIdle(0);
        if (isolation != null) {
            config.setTransactionIsolation(isolation);
        }
        config.setConnectionTimeout(Math.max(250, connectionTimeoutMillis));
        config.setValidationTimeout(250);
        config.setPoolName("test-" + name + "-" + pools.size());
        config.setInitializationFailTimeout(-1);
        HikariDataSource pool = new HikariDataSource(config);
        pools.add(pool);
        return pool;
    }

    private void requireServer() {
        if (server == null) {
            throw new IllegalStateException(engine + " runs in memory: it has no server to forward to");
        }
    }

    @Override
    public void close() {
        pools.forEach(HikariDataSource::close);
        pools.clear();
        if (server == null) {
            execute("SHUTDOWN");
        } else {
            TestDatabases.drop(engine, server, name);
        }
    }

    @Override
    public String toString() {
        return engine.name();
    }
}
