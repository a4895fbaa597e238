package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An instance that starts while a migration writes both sides with the source primary, and whose
 * target has stopped answering (a partition: connections hang, nothing is refused). While the source
 * is primary a target outage must not hold or fail a write: the instance's first write waits for the
 * handover it runs on first sight of the migration, and that handover reads the target only as far
 * as a stalled target allows, within its own short bound. Two target pools: HikariCP's defaults
 * (a borrow gives up after 30 s, which the first write used to wait), and one whose borrows wait as
 * long as it takes, as DBCP's and c3p0's do by default (the first write used to hang until the target
 * came back).
 */
class TargetStallAtStartTest {
    private static final TableMapping ITEMS = TableMapping.builder("items").key("id", Long.class).columns("qty").build();

    /** Both pools in the soak; the one that hung before in every run, to keep mvn -B verify within its time. */
    static Stream<Boolean> pools() {
        return Boolean.getBoolean("cutover.soak") ? Stream.of(false, true) : Stream.of(true);
    }

    @ParameterizedTest(name = "borrows without a timeout: {0}")
    @MethodSource("pools")
    void anInstanceStartingDuringATargetStall_writesTheSourceAndQueuesItsCopies(boolean unboundedBorrows)
            throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "stallsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "stalltgt");
             TcpForwarder forwarder = TcpForwarder.in(targetDb)) {
            for (TestDatabase db : List.of(sourceDb, targetDb)) {
                db.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, qty BIGINT NOT NULL)");
            }
            try (Cutover first = Cutover.builder(sourceDb.defaultPool(10), targetDb.defaultPool(10)).build()) {
                first.migration("items", ITEMS).moveTo(Stage.DUAL_WRITE, "ops", "start mirroring");
            }

            DataSource source = sourceDb.defaultPool(10);
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(targetDb.jdbcUrlVia(forwarder));
            if (unboundedBorrows) {
                config.setConnectionTimeout(0);
            }
            try (HikariDataSource target = new HikariDataSource(config);
                 Cutover second = Cutover.builder(source, target).build()) {
                DataSource application = second.migration("items", ITEMS).dataSource();
                forwarder.stall();
                CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                    execute(application, "INSERT INTO items (id, qty) VALUES (1, 5)");
                    execute(application, "UPDATE items SET qty = qty + 1 WHERE id = 1");
                });
                Await.until("the writes return while the target still stalls", writes::isDone);
                writes.join();
                assertEquals(List.of(6L), column(source, "SELECT qty FROM items WHERE id = 1"));

                forwarder.restore();
                Await.until("the queued copy reaches the target once it answers again",
                        () -> column(target, "SELECT qty FROM items").equals(List.of(6L)));
            }
        }
    }

    private static void execute(DataSource dataSource, String sql) {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Long> column(DataSource dataSource, String sql) {
        List<Long> values = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return values;
    }
}
