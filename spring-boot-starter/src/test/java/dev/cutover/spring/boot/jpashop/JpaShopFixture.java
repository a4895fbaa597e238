package dev.cutover.spring.boot.jpashop;

import dev.cutover.spring.boot.UserTestSupport;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Schema, start-up and row dumps of the JPA shop, as its team would write them. */
final class JpaShopFixture {
    private JpaShopFixture() {
    }

    static void prepare(TestDatabase source, TestDatabase target) throws IOException {
        source.execute(UserTestSupport.split(schema(source.engine())));
        target.execute(UserTestSupport.split(schema(target.engine())));
        UserTestSupport.createCutoverTables(source);
    }

    /** A test of the shop on its two databases. */
    interface ShopTest {
        void run(ConfigurableApplicationContext context, TestDatabase source, TestDatabase target) throws Exception;
    }

    /** Runs {@code test} on new databases (the source's engine given, the target PostgreSQL), prepared, with the shop started. */
    static void withShop(Engine sourceEngine, String sourceName, String targetName, ShopTest test) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, sourceName);
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, targetName)) {
            prepare(source, target);
            try (ConfigurableApplicationContext context = start(source, target)) {
                test.run(context, source, target);
            }
        }
    }

    /** Only the two URLs among Cutover's properties; JDBC batching as the brief says. */
    static ConfigurableApplicationContext start(TestDatabase source, TestDatabase target, String... more) {
        List<String> props = new ArrayList<>(UserTestSupport.jpaProperties(source, target));
        if (source.engine() == Engine.MARIADB) {
            props.add("spring.jpa.mapping-resources=jpashop/mariadb-orm.xml");
        }
        props.addAll(Arrays.asList(more));
        return new SpringApplicationBuilder(JpaShopApp.class).web(WebApplicationType.NONE)
                .properties(props.toArray(String[]::new)).run();
    }

    /** Every row, keyed b:/p:/l:/a: by id and t: by buyer id (its tags joined), version columns left out. */
    static Map<String, Map<String, String>> dump(TestDatabase db) throws SQLException {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            UserTestSupport.readRows(s, new String[][] {{"buyers", "b:"}, {"purchases", "p:"},
                    {"purchase_lines", "l:"}, {"audit_events", "a:"}}, rows,
                    (rs, meta, i, column) -> value(rs, i, meta.getColumnTypeName(i).toLowerCase().equals("timestamptz")
                            ? Types.TIMESTAMP_WITH_TIMEZONE : meta.getColumnType(i), column));
            Map<Long, TreeSet<String>> tags = new HashMap<>();
            try (ResultSet rs = s.executeQuery("SELECT buyer_id, tag FROM buyer_tags")) {
                while (rs.next()) {
                    tags.computeIfAbsent(rs.getLong(1), k -> new TreeSet<>()).add(rs.getString(2));
                }
            }
            tags.forEach((id, set) -> rows.put("t:" + id, Map.of("tags", String.join(",", set))));
        }
        return rows;
    }

    private static String value(ResultSet rs, int column, int type, String name) throws SQLException {
        switch (type) {
            case Types.TIMESTAMP_WITH_TIMEZONE: {
                OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
                return t == null ? "null" : t.toInstant().toString();
            }
            case Types.TIMESTAMP: {
                LocalDateTime t = rs.getObject(column, LocalDateTime.class);
                if (t != null && (name.equals("last_seen") || name.equals("placed_at"))) {
                    // Instants on a database without a zone type: Hibernate normalizes them to UTC.
                    return t.toInstant(ZoneOffset.UTC).toString();
                }
                return String.valueOf(t);
            }
            case Types.NUMERIC, Types.DECIMAL, Types.BIGINT, Types.INTEGER, Types.SMALLINT: {
                BigDecimal number = rs.getBigDecimal(column);
                return number == null ? "null" : UserTestSupport.num(number);
            }
            default:
                return String.valueOf(rs.getString(column));
        }
    }

    /** The schema as the team writes it (Hibernate's ddl-auto stays none). */
    static String schema(Engine engine) {
        if (engine == Engine.MARIADB) {
            return """
                    CREATE TABLE buyers (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,
                        email VARCHAR(200) NOT NULL, street VARCHAR(200), city VARCHAR(100), tier VARCHAR(20),
                        credit DECIMAL(14, 2) NOT NULL, joined_at DATETIME(6), last_seen DATETIME(6), version BIGINT NOT NULL);
                    CREATE TABLE buyer_tags (buyer_id BIGINT NOT NULL,
                        tag VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL, PRIMARY KEY (buyer_id, tag));
                    CREATE TABLE purchases (id BIGINT PRIMARY KEY, buyer_id BIGINT NOT NULL, status VARCHAR(20) NOT NULL,
                        total DECIMAL(12, 2) NOT NULL, placed_at DATETIME(6), version INT NOT NULL, INDEX purchases_buyer (buyer_id));
                    CREATE TABLE purchase_lines (id BIGINT PRIMARY KEY, purchase_id BIGINT NOT NULL, sku VARCHAR(40) NOT NULL,
                        quantity INT NOT NULL, price DECIMAL(10, 2) NOT NULL, INDEX purchase_lines_purchase (purchase_id));
                    CREATE TABLE audit_events (id BIGINT PRIMARY KEY, buyer_id BIGINT, action VARCHAR(40), at DATETIME(6));
                    CREATE SEQUENCE purchases_seq INCREMENT BY 50;
                    CREATE SEQUENCE purchase_lines_seq INCREMENT BY 50;
                    CREATE SEQUENCE audit_events_seq INCREMENT BY 50;
                    """;
        }
        return """
                CREATE TABLE buyers (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL,
                    email VARCHAR(200) NOT NULL, street VARCHAR(200), city VARCHAR(100), tier VARCHAR(20),
                    credit NUMERIC(14, 2) NOT NULL, joined_at TIMESTAMP(6), last_seen TIMESTAMP(6) WITH TIME ZONE,
                    version BIGINT NOT NULL);
                CREATE TABLE buyer_tags (buyer_id BIGINT NOT NULL, tag VARCHAR(40) NOT NULL, PRIMARY KEY (buyer_id, tag));
                CREATE TABLE purchases (id BIGINT PRIMARY KEY, buyer_id BIGINT NOT NULL, status VARCHAR(20) NOT NULL,
                    total NUMERIC(12, 2) NOT NULL, placed_at TIMESTAMP(6) WITH TIME ZONE, version INT NOT NULL);
                CREATE INDEX purchases_buyer ON purchases (buyer_id);
                CREATE TABLE purchase_lines (id BIGINT PRIMARY KEY, purchase_id BIGINT NOT NULL, sku VARCHAR(40) NOT NULL,
                    quantity INT NOT NULL, price NUMERIC(10, 2) NOT NULL);
                CREATE INDEX purchase_lines_purchase ON purchase_lines (purchase_id);
                CREATE TABLE audit_events (id BIGINT PRIMARY KEY, buyer_id BIGINT, action VARCHAR(40), at TIMESTAMP(6));
                CREATE SEQUENCE buyers_seq INCREMENT BY 50;
                CREATE SEQUENCE purchases_seq INCREMENT BY 50;
                CREATE SEQUENCE purchase_lines_seq INCREMENT BY 50;
                CREATE SEQUENCE audit_events_seq INCREMENT BY 50;
                """;
    }
}
