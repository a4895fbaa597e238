package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.IsolatedClasspath;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Repositories of plain interfaces run without JDBI on the classpath: the check for open JDBI
 * transactions loads JDBI's classes only for DAOs whose proxy JDBI made.
 */
class WithoutJdbiTest {
    @Test
    void plainRepository_dualWrites_withoutJdbiOnTheClasspath() throws Exception {
        try (URLClassLoader loader = IsolatedClasspath.without("/org/jdbi/")) {
            assertFalse(IsolatedClasspath.canLoad(loader, "org.jdbi.v3.core.Jdbi"),
                    "JDBI must really be missing for this test to mean anything");
            Method run = loader.loadClass(Scenario.class.getName()).getMethod("run");
            assertEquals("[[1, ada], [2, bob]]", run.invoke(null));
        }
    }

    /** The repository: a plain interface. */
    public interface Names {
        @Write
        void put(@RoutingKey long id, String name);
    }

    /** Runs inside the class loader without JDBI. */
    public static final class Scenario {
        private Scenario() {
        }

        /**
         * Wraps two implementations of {@link Names}, a class and a JDK proxy, and writes through
         * each in {@code DUAL_WRITE}.
         *
         * @return the target's rows
         * @throws Exception if a step fails
         */
        public static String run() throws Exception {
            // DriverManager hands out only drivers of the caller's loader: register this loader's H2.
            Class.forName("org.h2.Driver", true, Scenario.class.getClassLoader());
            try (TestDatabase source = TestDatabases.create(Engine.H2, "nojdbisrc");
                    TestDatabase target = TestDatabases.create(Engine.H2, "nojdbitgt");
                    MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
                for (TestDatabase db : List.of(source, target)) {
                    db.execute("CREATE TABLE names (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL)");
                }
                RowCopier copier = RowCopier.builder(source.dataSource(2), target.dataSource(2))
                        .mapping(TableMapping.builder("names").key("id", Long.class).column("name").build())
                        .build();
                try (RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of("names", copier),
                        RetryQueueConfig.custom().pollInterval(Duration.ofMillis(5)).build())) {
                    DataSource sourcePool = source.dataSource(2);
                    Names byClass = (id, name) -> insert(sourcePool, id, name);
                    Names byProxy = (Names) Proxy.newProxyInstance(Names.class.getClassLoader(),
                            new Class<?>[] {Names.class}, (proxy, method, args) -> {
                                insert(sourcePool, (Long) args[0], (String) args[1]);
                                return null;
                            });
                    Names unused = (id, name) -> {
                        throw new AssertionError("the target DAO is not called in DUAL_WRITE");
                    };
                    List<Names> repositories = new ArrayList<>();
                    for (Names dao : List.of(byClass, byProxy)) {
                        repositories.add(DualWrite.repository(Names.class).source(dao).target(unused).migration("names")
                                .flags(flags).retryQueue(queue).rowCopier(copier, "names").build());
                    }
                    flags.forceMoveTo("names", Stage.DUAL_WRITE, "test", "no jdbi");
                    repositories.get(0).put(1, "ada");
                    repositories.get(1).put(2, "bob");
                }
                List<List<Object>> rows = new ArrayList<>();
                try (Connection c = target.connect(); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT id, name FROM names ORDER BY id")) {
                    while (rs.next()) {
                        rows.add(List.of(rs.getLong(1), rs.getString(2)));
                    }
                }
                return rows.toString();
            }
        }

        private static void insert(DataSource dataSource, long id, String name) {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement insert = c.prepareStatement("INSERT INTO names (id, name) VALUES (?, ?)")) {
                insert.setLong(1, id);
                insert.setString(2, name);
                insert.executeUpdate();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
