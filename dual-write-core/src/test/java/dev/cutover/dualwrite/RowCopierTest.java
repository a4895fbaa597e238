package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.flags.Side;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Copies rows by key between real databases of every supported dialect, renamed and transformed. */
class RowCopierTest {
    /**
     * Every instance, in every process, must name a key's receiving lock alike, or copies of the key
     * from two instances would not wait for each other: numbers by value, table names in any case.
     */
    @Test
    void receivingKeyLock_isNamedByTableAndValue() {
        int id = ReceivingLocks.keyLockId("account", List.of(2L));
        assertEquals(id, ReceivingLocks.keyLockId("ACCOUNT", List.of(2)));
        assertEquals(id, ReceivingLocks.keyLockId("account", List.of(new BigDecimal("2.0"))));
        assertEquals(-1_777_233_872, id, "a specified hash, not one that may change with the JVM");
        assertNotEquals(id, ReceivingLocks.keyLockId("account", List.of(3L)));
        assertNotEquals(id, ReceivingLocks.keyLockId("accounts", List.of(2L)));
        assertNotEquals(ReceivingLocks.keyLockId("t", List.of("a", "bc")), ReceivingLocks.keyLockId("t", List.of("ab", "c")));
    }


    static Stream<Arguments> enginePairs() {
        Stream<Arguments> same = TestDatabases.engines().map(e -> Arguments.of(e, e));
        Stream<Arguments> cross = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB)
                ? Stream.of(Arguments.of(Engine.MARIADB, Engine.POSTGRESQL), Arguments.of(Engine.H2_MYSQL, Engine.H2))
                : Stream.of(Arguments.of(Engine.H2_MYSQL, Engine.H2));
        return Stream.concat(same, cross);
    }

    /** Source customer(id, full_name, balance DECIMAL) to target customers(customer_id, name, balance_cents BIGINT). */
    static TableMapping customers() {
        return TableMapping.builder("customers")
                .sourceTable("customer").targetTable("customers")
                .key("id", "customer_id", Long.class)
                .column("full_name", "name")
                .column("balance", "balance_cents",
                        v -> v == null ? null : ((BigDecimal) v).movePointRight(2).longValueExact(),
                        v -> v == null ? null : BigDecimal.valueOf(((Number) v).longValue(), 2))
                .column("note")
                .build();
    }

    static void createTables(TestDatabase source, TestDatabase target) {
        source.execute("CREATE TABLE customer (id BIGINT PRIMARY KEY, full_name VARCHAR(100) NOT NULL,"
                + " balance DECIMAL(12,2), note VARCHAR(100))");
        target.execute("CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL,"
                + " balance_cents BIGINT, note VARCHAR(100))");
    }

    /**
     * MariaDB's ON DUPLICATE KEY UPDATE fires on any unique index: a copy of a row that takes over
     * another row's e-mail (whose own copy is still queued) updated that other row instead, silently,
     * and left its own row out. Such tables are now written by key, and the collision fails the copy.
     */
    @org.junit.jupiter.api.Test
    void aCopyCollidingOnAnotherUniqueIndex_failsInsteadOfOverwritingTheOtherRow() throws SQLException {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "uniqsrc");
                TestDatabase target = TestDatabases.create(Engine.MARIADB, "uniqtgt")) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE member (id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE,"
                        + " name VARCHAR(100))");
            }
            TableMapping members = TableMapping.builder("member").key("id", Long.class).column("email").column("name")
                    .build();
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(members).build();
            source.execute("INSERT INTO member VALUES (1, 'a@example.com', 'ada')");
            resync.copy("member", "1");
            // Member 1 gives up the address and member 2 takes it; member 2's copy comes first.
            source.execute("UPDATE member SET email = 'b@example.com' WHERE id = 1");
            source.execute("INSERT INTO member VALUES (2, 'a@example.com', 'grace')");

            assertThrows(SQLException.class, () -> resync.copy("member", "2"));
            assertEquals(List.of(List.of(1L, "a@example.com", "ada")), rows(target, "SELECT id, email, name FROM member"
                    + " ORDER BY id"), "the other row is untouched and nothing half-written");

            resync.copy("member", "1");
            resync.copy("member", "2");
            resync.copy("member", "2");
            String select = "SELECT id, email, name FROM member ORDER BY id";
            assertEquals(rows(source, select), rows(target, select));
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void resync_copiesInsertsUpdatesAndDeletesWithRenamesAndTransforms(Engine sourceEngine, Engine targetEngine)
            throws SQLException {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "resyncsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "resynctgt")) {
            createTables(source, target);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(customers()).build();

            source.execute("INSERT INTO customer VALUES (1, 'Ada Lovelace', 12.34, NULL)");
            resync.copy("customers", "1");
            assertEquals(List.of(List.of(1L, "Ada Lovelace", 1234L, "null")), rows(target, "SELECT customer_id, name,"
                    + " balance_cents, note FROM customers ORDER BY customer_id"));

            source.execute("UPDATE customer SET full_name = 'Ada King', balance = 0.05, note = 'vip' WHERE id = 1");
            resync.copy("customers", "1");
            resync.copy("customers", "1");
            assertEquals(List.of(List.of(1L, "Ada King", 5L, "vip")), rows(target, "SELECT customer_id, name,"
                    + " balance_cents, note FROM customers ORDER BY customer_id"));

            source.execute("DELETE FROM customer WHERE id = 1");
            resync.copy("customers", "1");
            resync.copy("customers", "2");
            assertEquals(List.of(), rows(target, "SELECT customer_id FROM customers"));
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void resync_fromTarget_writesTheSourceThroughTheInverseTransforms(Engine sourceEngine, Engine targetEngine)
            throws SQLException {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "backsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "backtgt")) {
            createTables(source, target);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(customers()).build();
            source.execute("INSERT INTO customer VALUES (7, 'Old', 1.00, 'x')", "INSERT INTO customer VALUES (8, 'Gone', 2.00, NULL)");
            target.execute("INSERT INTO customers VALUES (7, 'New', 250, NULL)");

            resync.copy("customers", "7", Side.TARGET);
            resync.copy("customers", "8", Side.TARGET);

            assertEquals(List.of(List.of(7L, "New", new BigDecimal("2.50"), "null")),
                    rows(source, "SELECT id, full_name, balance, note FROM customer ORDER BY id"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void resync_withCompositeKey_upsertsAndDeletesTheOneRow(Engine engine) throws SQLException {
        try (TestDatabase source = TestDatabases.create(engine, "compsrc");
                TestDatabase target = TestDatabases.create(engine, "comptgt")) {
            String ddl = "CREATE TABLE line (order_id BIGINT NOT NULL, line_no INT NOT NULL, sku VARCHAR(20),"
                    + " PRIMARY KEY (order_id, line_no))";
            source.execute(ddl, "INSERT INTO line VALUES (1, 1, 'a,b'), (1, 2, 'c')");
            target.execute(ddl, "INSERT INTO line VALUES (1, 2, 'stale'), (1, 3, 'orphan')");
            TableMapping lines = TableMapping.builder("lines").sourceTable("line")
                    .key("order_id", Long.class).key("line_no", Integer.class).column("sku").build();
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(lines).build();

            for (String key : List.of(lines.key(1, 1), lines.key(1, 2), lines.key(1, 3))) {
                resync.copy("lines", key);
            }

            assertEquals(List.of(List.of(1L, 1L, "a,b"), List.of(1L, 2L, "c")),
                    rows(target, "SELECT order_id, line_no, sku FROM line ORDER BY order_id, line_no"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void resync_ofKeyOnlyTable_insertsOnceAndDeletes(Engine engine) throws SQLException {
        try (TestDatabase source = TestDatabases.create(engine, "keyonlysrc");
                TestDatabase target = TestDatabases.create(engine, "keyonlytgt")) {
            source.execute("CREATE TABLE tag (name VARCHAR(20) PRIMARY KEY)", "INSERT INTO tag VALUES ('red')");
            target.execute("CREATE TABLE tag (name VARCHAR(20) PRIMARY KEY)", "INSERT INTO tag VALUES ('blue')");
            TableMapping tags = TableMapping.builder("tags").sourceTable("tag").key("name", String.class).build();
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(tags).build();

            resync.copy("tags", "red");
            resync.copy("tags", "red");
            resync.copy("tags", "blue");

            assertEquals(List.of(List.of("red")), rows(target, "SELECT name FROM tag"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void resync_whenTheTargetRejectsTheRow_throwsAndLeavesTheTargetUnchanged(Engine engine) throws SQLException {
        try (TestDatabase source = TestDatabases.create(engine, "rejectsrc");
                TestDatabase target = TestDatabases.create(engine, "rejecttgt")) {
            source.execute("CREATE TABLE customer (id BIGINT PRIMARY KEY, full_name VARCHAR(100) NOT NULL,"
                    + " balance DECIMAL(12,2), note VARCHAR(100))", "INSERT INTO customer VALUES (1, 'x', 1.00, 'way too long')");
            target.execute("CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL,"
                    + " balance_cents BIGINT, note VARCHAR(100) CHECK (note <> 'way too long'))");
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(customers()).build();

            assertThrows(SQLException.class, () -> resync.copy("customers", "1"));

            assertEquals(List.of(), rows(target, "SELECT customer_id FROM customers"));
            assertEquals(1, rows(source, "SELECT id FROM customer").size(), "the source is only read");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void resync_ofUnknownEntityOrMalformedKey_isRejected(Engine engine) {
        try (TestDatabase db = TestDatabases.create(engine, "unknown")) {
            RowCopier resync = RowCopier.builder(db.dataSource(1), db.dataSource(1)).mapping(customers()).build();
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> resync.copy("orders", "1"));
            assertEquals("Entity 'orders' is not mapped; mapped entities are [customers]", unknown.getMessage());
            IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
                    () -> resync.copy("customers", "abc"));
            assertEquals("Key part 'abc' of customers is not a valid Long for key column id", malformed.getMessage());
        }
    }

    /** Rows as lists of values, numbers as Long (or BigDecimal when they have a fraction), null as "null". */
    static List<List<Object>> rows(TestDatabase db, String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int width = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= width; i++) {
                    row.add(normalise(rs.getObject(i)));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    static Object normalise(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.scale() > 0 ? decimal : (Object) decimal.longValueExact();
        }
        if (value instanceof Number number) {
            return number.longValue();
        }
        return value;
    }
}
