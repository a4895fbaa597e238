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
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A DELETE of a parent row whose children a foreign key deletes or updates ({@code ON DELETE CASCADE},
 * {@code ON DELETE SET NULL}) on the primary: the children are rows of mapped tables that the
 * statement changes besides the ones it names. Keyed only by the parent's rows, the children kept
 * their rows on the other side (which, as the README asks, has no foreign keys between the mapped
 * tables), every one an acknowledged write lost there until the verifier ran.
 */
class CascadingForeignKeyTest {

    private static final List<String> TABLES = List.of("orders", "order_lines", "line_tags", "notes");

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void rowsAForeignKeyDeletesOrUpdates_areMirroredWithTheParent_downTheChain(Engine engine) throws Exception {
        try (Fixture f = Fixture.withOrderTables(engine)) {
            TestDatabase source = f.source;
            TestDatabase target = f.target;
            DataSource app = f.dualWriting("shop", f.copier(
                    TableMapping.builder("orders").key("id", Long.class).column("customer").build(),
                    TableMapping.builder("order_lines").key("id", Long.class).columns("order_id", "sku").build(),
                    TableMapping.builder("line_tags").key("id", Long.class).columns("line_id", "tag").build(),
                    TableMapping.builder("notes").key("id", Long.class).columns("order_id", "body").build()));
            for (long order = 1; order <= 3; order++) {
                execute(app, "INSERT INTO orders (id, customer) VALUES (" + order + ", 'c" + order + "')");
                for (long line = 1; line <= 2; line++) {
                    long id = order * 10 + line;
                    execute(app, "INSERT INTO order_lines (id, order_id, sku) VALUES (" + id + ", " + order + ", 's')");
                    execute(app, "INSERT INTO line_tags (id, line_id, tag) VALUES (" + id + ", " + id + ", 't')");
                }
                execute(app, "INSERT INTO notes (id, order_id, body) VALUES (" + order + ", " + order + ", 'n')");
            }

            execute(app, "DELETE FROM orders WHERE id = 1");
            try (Connection connection = app.getConnection();
                    PreparedStatement delete = connection.prepareStatement("DELETE FROM orders WHERE customer = ?")) {
                delete.setString(1, "c2");
                assertEquals(1, delete.executeUpdate());
            }

            for (String table : TABLES) {
                assertEquals(contents(source, table), contents(target, table), table + " on both sides");
            }
            assertEquals(List.of(List.of(3L, "s"), List.of(3L, "s")),
                    RowCopierTest.rows(target, "SELECT order_id, sku FROM order_lines ORDER BY id").stream()
                            .map(row -> List.<Object>of(((Number) row.get(0)).longValue(), row.get(1))).toList(),
                    "the cascaded lines are gone from the target too");
            assertEquals(3, RowCopierTest.rows(target, "SELECT id FROM notes WHERE order_id IS NULL").size()
                    + RowCopierTest.rows(target, "SELECT id FROM notes WHERE order_id = 3").size(),
                    "notes 1 and 2 lost their order on the target too");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void aCascadeIntoATableOfAnotherMigration_refusesTheDelete_beforeItWrites(Engine engine) throws Exception {
        try (Fixture f = Fixture.withOrderTables(engine)) {
            TestDatabase source = f.source;
            TestDatabase target = f.target;
            RowCopier orders = f.copier(TableMapping.builder("orders").key("id", Long.class).column("customer").build());
            RowCopier lines = f.copier(
                    TableMapping.builder("order_lines").key("id", Long.class).columns("order_id", "sku").build());
            RetryQueue queue = f.closing(RetryQueue.create(RetryStore.inMemory(),
                    CopyReplayHandler.of(java.util.Map.of("orders", orders, "lines", lines), f.flags),
                    RetryQueueConfig.ofDefaults()));
            DataSource app = DualWrite.dataSource(source.dataSource(4), target.dataSource(4))
                    .migration("orders").flags(f.flags).router(f.closing(ReadRouter.builder(f.flags, "orders").build()))
                    .retryQueue(queue).rowCopier(orders)
                    .addMigration("lines", f.closing(ReadRouter.builder(f.flags, "lines").build()), lines,
                            new DualWriteCounters())
                    .passThrough("line_tags", "notes").build();
            f.flags.moveTo("orders", Stage.DUAL_WRITE, "test", "test");
            f.flags.moveTo("lines", Stage.DUAL_WRITE, "test", "test");
            execute(app, "INSERT INTO orders (id, customer) VALUES (1, 'c1')");
            execute(app, "INSERT INTO order_lines (id, order_id, sku) VALUES (11, 1, 's')");

            SQLException refused = assertThrows(SQLFeatureNotSupportedException.class,
                    () -> execute(app, "DELETE FROM orders WHERE id = 1"));
            assertTrue(refused.getMessage().contains("order_lines") && refused.getMessage().contains("Fix:"),
                    refused.getMessage());
            assertEquals(1, RowCopierTest.rows(source, "SELECT id FROM orders").size(), "nothing written");

            execute(app, "DELETE FROM order_lines WHERE order_id = 1");
            execute(app, "DELETE FROM orders WHERE id = 1");
            for (String table : List.of("orders", "order_lines")) {
                assertEquals(contents(source, table), contents(target, table), table + " on both sides");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void aTableThatCascadesIntoItself_isFollowedLevelByLevel_andATooDeepChainIsRefused(Engine engine) throws Exception {
        try (Fixture f = new Fixture(engine)) {
            TestDatabase source = f.source;
            TestDatabase target = f.target;
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE categories (id BIGINT PRIMARY KEY, parent_id BIGINT)");
            }
            source.execute("ALTER TABLE categories ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id)"
                    + " REFERENCES categories (id) ON DELETE CASCADE");
            DataSource app = f.dualWriting("tree",
                    f.copier(TableMapping.builder("categories").key("id", Long.class).column("parent_id").build()));
            // A chain of 4 rows under 1, and one of 10 under 100.
            for (long id = 1; id <= 4; id++) {
                execute(app, "INSERT INTO categories (id, parent_id) VALUES (" + id + ", " + (id == 1 ? "NULL" : id - 1) + ")");
            }
            for (long id = 100; id <= 109; id++) {
                execute(app, "INSERT INTO categories (id, parent_id) VALUES (" + id + ", "
                        + (id == 100 ? "NULL" : id - 1) + ")");
            }

            execute(app, "DELETE FROM categories WHERE id = 1");
            assertEquals(contents(source, "categories"), contents(target, "categories"));
            assertEquals(10, contents(target, "categories").size(), "the chain under 1 is gone on both sides");

            SQLException refused = assertThrows(SQLFeatureNotSupportedException.class,
                    () -> execute(app, "DELETE FROM categories WHERE id = 100"));
            assertTrue(refused.getMessage().contains("levels") && refused.getMessage().contains("Fix:"),
                    refused.getMessage());
            assertEquals(10, contents(source, "categories").size(), "nothing of the refused delete written");
            execute(app, "DELETE FROM categories WHERE id = 105");
            execute(app, "DELETE FROM categories WHERE id = 100");
            assertEquals(List.of(), contents(source, "categories"));
            assertEquals(List.of(), contents(target, "categories"));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void anUpdateOfAReferencedColumn_mirrorsTheRowsItsForeignKeyUpdates(Engine engine) throws Exception {
        try (Fixture f = new Fixture(engine)) {
            TestDatabase source = f.source;
            TestDatabase target = f.target;
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE codes (id BIGINT PRIMARY KEY, code VARCHAR(10) NOT NULL UNIQUE)");
                db.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, code VARCHAR(10))");
            }
            source.execute("ALTER TABLE items ADD CONSTRAINT fk_code FOREIGN KEY (code) REFERENCES codes (code)"
                    + " ON UPDATE CASCADE");
            DataSource app = f.dualWriting("catalog", f.copier(
                    TableMapping.builder("codes").key("id", Long.class).column("code").build(),
                    TableMapping.builder("items").key("id", Long.class).column("code").build()));
            execute(app, "INSERT INTO codes (id, code) VALUES (1, 'a')");
            execute(app, "INSERT INTO items (id, code) VALUES (10, 'a')");
            execute(app, "INSERT INTO items (id, code) VALUES (11, 'a')");

            execute(app, "UPDATE codes SET code = 'b' WHERE id = 1");
            assertEquals(List.of(List.of(10L, "b"), List.of(11L, "b")), contents(source, "items"));
            assertEquals(contents(source, "items"), contents(target, "items"));
            assertEquals(contents(source, "codes"), contents(target, "codes"));
        }
    }

    private static void createTables(TestDatabase db, boolean foreignKeys) throws SQLException {
        db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(20) NOT NULL)");
        db.execute("CREATE TABLE order_lines (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, sku VARCHAR(20))");
        db.execute("CREATE TABLE line_tags (id BIGINT PRIMARY KEY, line_id BIGINT NOT NULL, tag VARCHAR(20))");
        db.execute("CREATE TABLE notes (id BIGINT PRIMARY KEY, order_id BIGINT, body VARCHAR(20))");
        if (foreignKeys) {
            db.execute("ALTER TABLE order_lines ADD CONSTRAINT fk_line_order FOREIGN KEY (order_id)"
                    + " REFERENCES orders (id) ON DELETE CASCADE");
            db.execute("ALTER TABLE line_tags ADD CONSTRAINT fk_tag_line FOREIGN KEY (line_id)"
                    + " REFERENCES order_lines (id) ON DELETE CASCADE");
            db.execute("ALTER TABLE notes ADD CONSTRAINT fk_note_order FOREIGN KEY (order_id)"
                    + " REFERENCES orders (id) ON DELETE SET NULL");
        }
    }

    private static List<List<Object>> contents(TestDatabase db, String table) throws SQLException {
        return RowCopierTest.rows(db, "SELECT * FROM " + table + " ORDER BY id").stream()
                .map(row -> row.stream().map(v -> v instanceof Number n ? (Object) n.longValue() : v).toList())
                .toList();
    }

    private static void execute(DataSource app, String sql) throws SQLException {
        try (Connection connection = app.getConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        }
    }

    /** Two fresh databases of one engine, in-memory flags, and what the tests build on them, closed together. */
    private static final class Fixture implements AutoCloseable {
        final TestDatabase source;
        final TestDatabase target;
        final MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).refreshInterval(Duration.ofMillis(50))
                .build();
        private final java.util.Deque<AutoCloseable> opened = new java.util.ArrayDeque<>();

        Fixture(Engine engine) {
            source = closing(TestDatabases.create(engine, "fksrc"));
            target = closing(TestDatabases.create(engine, "fktgt"));
        }

        /** Orders, their lines, the lines' tags and the orders' notes; foreign keys on the source only. */
        static Fixture withOrderTables(Engine engine) throws SQLException {
            Fixture fixture = new Fixture(engine);
            createTables(fixture.source, true);
            createTables(fixture.target, false);
            return fixture;
        }

        <T extends AutoCloseable> T closing(T resource) {
            opened.push(resource);
            return resource;
        }

        RowCopier copier(TableMapping... mappings) {
            RowCopier.Builder builder = RowCopier.builder(source.dataSource(4), target.dataSource(4));
            for (TableMapping mapping : mappings) {
                builder.mapping(mapping);
            }
            return builder.build();
        }

        /** The application's data source of one migration, moved to DUAL_WRITE. */
        DataSource dualWriting(String migration, RowCopier copier) {
            RetryQueue queue = closing(RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of(migration, copier,
                    flags), RetryQueueConfig.ofDefaults()));
            DataSource app = DualWrite.dataSource(source.dataSource(4), target.dataSource(4)).migration(migration)
                    .flags(flags).router(closing(ReadRouter.builder(flags, migration).build())).retryQueue(queue)
                    .rowCopier(copier).build();
            flags.moveTo(migration, Stage.DUAL_WRITE, "test", "test");
            return app;
        }

        @Override
        public void close() throws Exception {
            while (!opened.isEmpty()) {
                opened.pop().close();
            }
            flags.close();
        }
    }
}
