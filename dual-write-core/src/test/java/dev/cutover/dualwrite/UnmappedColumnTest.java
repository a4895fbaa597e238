package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A column the application writes but the mapping leaves out (an embeddable's column forgotten, a
 * column a later schema migration added): copies carry only mapped columns and the verifier compares
 * only those, so every acknowledged value of it was missing on the other side with the verifier clean
 * (NewUserJpaTest with {@code city} left out of the customers' mapping). It is refused instead.
 */
class UnmappedColumnTest {

    @Test
    void aWriteOfAColumnTheMappingDoesNotCopy_isRefusedBeforeItWrites_andMappedColumnsStillGo() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "colsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "coltgt");
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).refreshInterval(Duration.ofMillis(50))
                        .handoverPause(Duration.ofMillis(200)).build()) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL, city VARCHAR(40))");
            }
            RowCopier copier = RowCopier.builder(source.dataSource(4), target.dataSource(4))
                    .mapping(TableMapping.builder("customers").key("id", Long.class).column("name").build())
                    .build();
            try (RetryQueue queue = RetryQueue.create(RetryStore.inMemory(),
                    CopyReplayHandler.of("customers", copier, flags), RetryQueueConfig.ofDefaults());
                    ReadRouter router = ReadRouter.builder(flags, "customers").build()) {
                queue.start();
                DataSource app = DualWrite.dataSource(source.dataSource(4), target.dataSource(4))
                        .migration("customers").flags(flags).router(router).retryQueue(queue).rowCopier(copier).build();
                execute(app, "INSERT INTO customers (id, name, city) VALUES (1, 'ann', 'Oslo')"); // SOURCE_ONLY
                flags.moveTo("customers", Stage.DUAL_WRITE, "test", "test");

                SQLException update = assertThrows(SQLFeatureNotSupportedException.class,
                        () -> execute(app, "UPDATE customers SET name = 'ann', city = 'Rome' WHERE id = 1"));
                assertTrue(update.getMessage().contains("column city") && update.getMessage().contains("columns(...)"),
                        update.getMessage());
                assertThrows(SQLFeatureNotSupportedException.class,
                        () -> execute(app, "INSERT INTO customers (id, name, city) VALUES (2, 'bob', 'Pisa')"));
                assertEquals(List.of(List.of(1L, "ann", "Oslo")), rows(source), "nothing of the refused ones written");

                execute(app, "UPDATE customers SET name = 'anna' WHERE id = 1");
                execute(app, "INSERT INTO customers (id, name) VALUES (3, 'cy')");
                assertEquals(List.of(List.of(1L, "anna"), List.of(3L, "cy")),
                        rows(target).stream().map(row -> row.subList(0, 2)).toList());
            }
        }
    }

    private static void execute(DataSource app, String sql) throws SQLException {
        try (Connection connection = app.getConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        }
    }

    private static List<List<Object>> rows(TestDatabase db) throws SQLException {
        return RowCopierTest.rows(db, "SELECT id, name, city FROM customers ORDER BY id").stream()
                .map(row -> {
                    List<Object> values = new java.util.ArrayList<>();
                    values.add(((Number) row.get(0)).longValue());
                    values.add(row.get(1));
                    if (row.get(2) != null) {
                        values.add(row.get(2));
                    }
                    return values;
                }).toList();
    }
}
