package dev.cutover.spring.boot.jpa;

import static dev.cutover.spring.boot.UserTestSupport.becomes;
import static dev.cutover.spring.boot.UserTestSupport.checkOracle;
import static dev.cutover.spring.boot.UserTestSupport.createCutoverTables;
import static dev.cutover.spring.boot.UserTestSupport.delete;
import static dev.cutover.spring.boot.UserTestSupport.drainAndVerify;
import static dev.cutover.spring.boot.UserTestSupport.insert;
import static dev.cutover.spring.boot.UserTestSupport.jpaProperties;
import static dev.cutover.spring.boot.UserTestSupport.num;
import static dev.cutover.spring.boot.UserTestSupport.readRows;
import static dev.cutover.spring.boot.UserTestSupport.row;
import static dev.cutover.spring.boot.UserTestSupport.split;
import static dev.cutover.spring.boot.UserTestSupport.unknownRows;
import static dev.cutover.spring.boot.UserTestSupport.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.UserTestSupport;
import dev.cutover.spring.boot.jpa.ShopService.Edited;
import dev.cutover.spring.boot.jpa.ShopService.LineSpec;
import dev.cutover.spring.boot.jpa.ShopService.Placed;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Write;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Data JPA application adopting the starter the way README's "Spring Boot" and "Spring Boot
 * and JPA" sections describe, with nothing but {@code cutover.source.url} and {@code cutover.target.url}
 * set among Cutover's properties, Hibernate at Boot's defaults plus JDBC batching, HikariCP at its
 * defaults and the JVM's own time zone. Four threads call the service while the migration walks
 * DUAL_WRITE, SHIFT_READS, TARGET_PRIMARY and back; every acknowledged call is recorded in the
 * oracle, and at the end both databases must hold what those calls imply and the verifier be clean.
 */
class NewUserJpaTest {
    private static final Logger LOG = LoggerFactory.getLogger(NewUserJpaTest.class);
    private static final Map<String, String> ABSENT = Map.of();
    private static final int WRITERS = 4;
    private static final int HOT_CUSTOMERS = 3;
    private static final Duration HOLD = Duration.ofMillis(2500);

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#walkSourceEngines")
    void toPostgres(Engine sourceEngine) throws Exception {
        run(sourceEngine);
    }

    /** Two replicas of the application on the same databases, the flips made on one of them. */
    @Test
    void postgresToPostgres_twoInstances() throws Exception {
        run(Engine.POSTGRESQL, 2);
    }

    private void run(Engine sourceEngine) throws Exception {
        run(sourceEngine, 1);
    }

    private void run(Engine sourceEngine, int instances) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "jpanewsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "jpanewtgt")) {
            source.execute(split(schema(sourceEngine)));
            target.execute(split(schema(Engine.POSTGRESQL)));
            createCutoverTables(source);
            List<ConfigurableApplicationContext> contexts = new ArrayList<>();
            try {
                for (int i = 0; i < instances; i++) {
                    contexts.add(new SpringApplicationBuilder(ShopApp.class)
                            .web(WebApplicationType.NONE)
                            .properties(jpaProperties(source, target).toArray(String[]::new))
                            .run());
                }
                new Scenario(contexts, source, target).run();
            } finally {
                contexts.forEach(ConfigurableApplicationContext::close);
            }
        }
    }

    /** One run: the writers, the flips and the final checks. */
    private static final class Scenario {
        private final List<ShopService> shops;
        private final Migration migration;
        private final TestDatabase source;
        private final TestDatabase target;
        private final AcknowledgedWriteOracle<String, Map<String, String>> oracle =
                new AcknowledgedWriteOracle<>(ABSENT);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        private final AtomicLong failedInserts = new AtomicLong();
        private final List<Long> hot = new ArrayList<>();
        private final boolean crossEngine;

        Scenario(List<ConfigurableApplicationContext> contexts, TestDatabase source, TestDatabase target) {
            this.crossEngine = source.engine() != target.engine();
            this.shops = contexts.stream().map(c -> c.getBean(ShopService.class)).toList();
            this.migration = contexts.get(0).getBean(Cutover.class).migration(ShopApp.MIGRATION);
            this.source = source;
            this.target = target;
        }

        void run() throws Exception {
            for (int i = 0; i < HOT_CUSTOMERS; i++) {
                hot.add(new Writer(100 + i).createCustomer());
            }
            List<Writer> writers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                Writer writer = new Writer(i);
                writers.add(writer);
                Thread thread = new Thread(writer, "writer-" + i);
                threads.add(thread);
                thread.start();
            }
            Thread.sleep(HOLD.toMillis());
            flip(Stage.DUAL_WRITE, null);
            step("backfill", () -> migration.backfill().build().run());
            Thread.sleep(HOLD.toMillis());
            flip(Stage.SHIFT_READS, 50.0);
            Thread.sleep(HOLD.toMillis());
            if (!crossEngine) {
                // Across engines Hibernate's SQL is the source's dialect: README stops such applications before
                // TARGET_PRIMARY (there, MariaDB's "next value for" failed every insert on PostgreSQL).
                flip(Stage.TARGET_PRIMARY, 100.0);
                Thread.sleep(HOLD.toMillis());
                flip(Stage.SHIFT_READS, null);
                Thread.sleep(HOLD.toMillis());
            }
            flip(Stage.DUAL_WRITE, null);
            Thread.sleep(HOLD.toMillis());
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(30).toMillis());
                if (thread.isAlive()) {
                    problems.add("HANG: " + thread.getName() + " still running 30 s after stop: "
                            + Arrays.toString(thread.getStackTrace()));
                }
            }
            LOG.info("calls {} failures {}", new TreeMap<>(calls), new TreeMap<>(failures));
            drainAndVerify(migration, Duration.ofSeconds(30), problems);
            Map<String, Map<String, String>> sourceRows = rows(source);
            Map<String, Map<String, String>> targetRows = rows(target);
            checkOracle(oracle, sourceRows, targetRows, problems);
            List<String> unknown = unknownRows(oracle.keys(), sourceRows, targetRows);
            if (!unknown.isEmpty()) {
                LOG.warn("{} rows no acknowledged call wrote ({} failed inserting calls): {}", unknown.size(),
                        failedInserts.get(), unknown);
                if (failedInserts.get() == 0) {
                    problems.add("rows nobody acknowledged: " + unknown);
                }
            }
            LOG.info("{} acknowledged, {} failed writes; {} rows on the source", oracle.acknowledged(),
                    oracle.maybe(), sourceRows.size());
            assertThat(problems).as("problems").isEmpty();
            assertThat(oracle.acknowledged()).isGreaterThan(100);
        }

        private void flip(Stage stage, Double targetReadPercent) {
            step("moveTo " + stage, () -> {
                migration.moveTo(stage, "new-user", "probe");
                if (targetReadPercent != null) {
                    migration.setTargetReadPercent(targetReadPercent, "new-user", "probe");
                }
            });
        }

        private void step(String what, Runnable action) {
            UserTestSupport.step(LOG, problems, what, action);
        }

        /** One writer thread: owns its customers (and their orders), shares the hot customers. */
        private final class Writer implements Runnable {
            private final Random random;
            private final int number;
            private final ShopService shop;
            private final Map<Long, Owned> owned = new LinkedHashMap<>();
            private int made;

            Writer(int number) {
                this.number = number;
                this.shop = shops.get(number % shops.size());
                this.random = new Random(number * 7919L);
            }

            @Override
            public void run() {
                while (!stop.get()) {
                    try {
                        once();
                    } catch (RuntimeException e) {
                        // recorded by call(); the customer it touched is no longer tracked
                    }
                }
            }

            private void once() {
                if (owned.size() < 3 || random.nextInt(100) < 5) {
                    createCustomer();
                    return;
                }
                List<Owned> mine = new ArrayList<>(owned.values());
                Owned customer = mine.get(random.nextInt(mine.size()));
                Ord order = customer.orders.isEmpty() ? null
                        : new ArrayList<>(customer.orders.values()).get(random.nextInt(customer.orders.size()));
                int op = random.nextInt(100);
                if (op < 25 || order == null) {
                    placeOrder(customer);
                } else if (op < 40) {
                    editOrder(customer, order);
                } else if (op < 47) {
                    deleteOrder(customer, order);
                } else if (op < 55) {
                    cancelOpen(customer);
                } else if (op < 62) {
                    addToTotals(customer);
                } else if (op < 68) {
                    dropLargeLines(customer, order);
                } else if (op < 83) {
                    addPoints();
                } else if (op < 89) {
                    promote(customer);
                } else if (op < 93 && owned.size() > 3) {
                    deleteCustomer(customer);
                } else {
                    count("read");
                    shop.lineCount(order.id);
                }
            }

            long createCustomer() {
                LocalDateTime at = now();
                String name = "c" + number + "-" + (made++);
                Address address = new Address("street " + name, "city" + number);
                Tier tier = Tier.values()[random.nextInt(3)];
                long id;
                count("createCustomer");
                try {
                    id = shop.createCustomer(name, name + "@example.com", address, tier, at);
                } catch (RuntimeException e) {
                    failed("createCustomer", e);
                    failedInserts.incrementAndGet();
                    throw e;
                }
                Map<String, String> row = row("name", name, "email", name + "@example.com", "street",
                        address.street(), "city", address.city(), "tier", tier.name(), "points", "0",
                        "created_at", at.toString(), "last_order_at", "null");
                oracle.begin("c:" + id, "createCustomer " + id, insert(row)).acknowledged();
                if (number < 100) {
                    owned.put(id, new Owned(id, row));
                }
                return id;
            }

            private void placeOrder(Owned customer) {
                LocalDateTime at = now();
                List<LineSpec> specs = new ArrayList<>();
                for (int i = random.nextInt(4); i >= 0; i--) {
                    specs.add(new LineSpec("sku-" + random.nextInt(50), 1 + random.nextInt(5),
                            BigDecimal.valueOf(100 + random.nextInt(9900), 2)));
                }
                Map<String, String> customerRow = with(customer.row, "points",
                        String.valueOf(Long.parseLong(customer.row.get("points")) + 1), "last_order_at", at.toString());
                Placed placed = call("placeOrder", customer,
                        Map.of("c:" + customer.id, becomes(customerRow)), () -> shop.placeOrder(customer.id, specs, at));
                customer.row = customerRow;
                BigDecimal total = BigDecimal.ZERO;
                Map<String, Effect<Map<String, String>>> inserts = new HashMap<>();
                Ord order = new Ord(placed.orderId());
                for (int i = 0; i < specs.size(); i++) {
                    LineSpec spec = specs.get(i);
                    total = total.add(spec.unitPrice().multiply(BigDecimal.valueOf(spec.quantity())));
                    Map<String, String> line = row("order_id", String.valueOf(placed.orderId()), "sku", spec.sku(),
                            "quantity", String.valueOf(spec.quantity()), "unit_price", num(spec.unitPrice()));
                    order.lines.put(placed.lineIds().get(i), line);
                    inserts.put("l:" + placed.lineIds().get(i), insert(line));
                }
                order.row = row("customer_id", String.valueOf(customer.id), "status", OrderStatus.OPEN.name(),
                        "total", num(total), "placed_at", at.toString());
                inserts.put("o:" + placed.orderId(), insert(order.row));
                oracle.begin("placeOrder inserts " + placed, inserts).acknowledged();
                customer.orders.put(order.id, order);
            }

            private void editOrder(Owned customer, Ord order) {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Long removed = order.lines.isEmpty() ? null : order.lines.keySet().stream().min(Long::compare).get();
                if (removed != null) {
                    effects.put("l:" + removed, delete());
                }
                LineSpec spec = new LineSpec("edit-" + random.nextInt(50), 1 + random.nextInt(5),
                        BigDecimal.valueOf(100 + random.nextInt(9900), 2));
                BigDecimal total = spec.unitPrice().multiply(BigDecimal.valueOf(spec.quantity()));
                for (Map.Entry<Long, Map<String, String>> line : order.lines.entrySet()) {
                    if (!line.getKey().equals(removed)) {
                        total = total.add(new BigDecimal(line.getValue().get("unit_price"))
                                .multiply(new BigDecimal(line.getValue().get("quantity"))));
                    }
                }
                OrderStatus status = random.nextBoolean() ? OrderStatus.PAID : OrderStatus.SHIPPED;
                Map<String, String> orderRow = with(order.row, "status", status.name(), "total", num(total));
                effects.put("o:" + order.id, becomes(orderRow));
                Edited edited = call("editOrder", customer, effects, () -> shop.editOrder(order.id, status, spec));
                if (removed != null && !removed.equals(edited.removedLineId())) {
                    problems.add("editOrder removed line " + edited.removedLineId() + ", expected " + removed);
                }
                order.row = orderRow;
                order.lines.remove(removed);
                Map<String, String> line = row("order_id", String.valueOf(order.id), "sku", spec.sku(), "quantity",
                        String.valueOf(spec.quantity()), "unit_price", num(spec.unitPrice()));
                oracle.begin("l:" + edited.addedLineId(), "editOrder insert " + edited.addedLineId(), insert(line))
                        .acknowledged();
                order.lines.put(edited.addedLineId(), line);
            }

            private void deleteOrder(Owned customer, Ord order) {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                effects.put("o:" + order.id, delete());
                order.lines.keySet().forEach(id -> effects.put("l:" + id, delete()));
                call("deleteOrder", customer, effects, () -> {
                    shop.deleteOrder(order.id);
                    return null;
                });
                customer.orders.remove(order.id);
            }

            private void deleteCustomer(Owned customer) {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                effects.put("c:" + customer.id, delete());
                for (Ord order : customer.orders.values()) {
                    effects.put("o:" + order.id, delete());
                    order.lines.keySet().forEach(id -> effects.put("l:" + id, delete()));
                }
                call("deleteCustomer", customer, effects, () -> {
                    shop.deleteCustomer(customer.id);
                    return null;
                });
                owned.remove(customer.id);
            }

            private void cancelOpen(Owned customer) {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Ord, Map<String, String>> after = new HashMap<>();
                for (Ord order : customer.orders.values()) {
                    if (OrderStatus.OPEN.name().equals(order.row.get("status"))) {
                        Map<String, String> changed = with(order.row, "status", OrderStatus.CANCELLED.name());
                        after.put(order, changed);
                        effects.put("o:" + order.id, becomes(changed));
                    }
                }
                if (effects.isEmpty()) {
                    effects.put("c:" + customer.id, becomes(customer.row));
                }
                int changed = call("cancelOpenOrders", customer, effects, () -> shop.cancelOpenOrders(customer.id));
                if (changed != after.size()) {
                    problems.add("cancelOpenOrders changed " + changed + " rows, expected " + after.size());
                }
                after.forEach((order, row) -> order.row = row);
            }

            private void addToTotals(Owned customer) {
                BigDecimal delta = new BigDecimal("1.10");
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Ord, Map<String, String>> after = new HashMap<>();
                for (Ord order : customer.orders.values()) {
                    Map<String, String> changed = with(order.row, "total",
                            num(new BigDecimal(order.row.get("total")).add(delta)));
                    after.put(order, changed);
                    effects.put("o:" + order.id, becomes(changed));
                }
                if (effects.isEmpty()) {
                    effects.put("c:" + customer.id, becomes(customer.row));
                }
                call("addToTotals(native)", customer, effects, () -> shop.addToTotals(customer.id, delta));
                after.forEach((order, row) -> order.row = row);
            }

            private void dropLargeLines(Owned customer, Ord order) {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                List<Long> dropped = new ArrayList<>();
                order.lines.forEach((id, line) -> {
                    if (Integer.parseInt(line.get("quantity")) > 3) {
                        dropped.add(id);
                        effects.put("l:" + id, delete());
                    }
                });
                effects.put("o:" + order.id, becomes(order.row));
                call("dropLargeLines(jpql delete)", customer, effects, () -> shop.dropLargeLines(order.id, 3));
                dropped.forEach(order.lines::remove);
            }

            private void addPoints() {
                long id = hot.get(random.nextInt(hot.size()));
                long points = 1 + random.nextInt(9);
                Effect<Map<String, String>> effect = Effect.requiring(s -> !s.isEmpty(),
                        s -> with(s, "points", String.valueOf(Long.parseLong(s.get("points")) + points)));
                count("addPoints");
                Write write = oracle.begin("c:" + id, "addPoints " + id + " +" + points, effect);
                try {
                    shop.addPoints(id, points);
                    write.acknowledged();
                } catch (RuntimeException e) {
                    write.failed(e);
                    failed("addPoints", e);
                }
            }

            private void promote(Owned customer) {
                Tier tier = Tier.values()[random.nextInt(3)];
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<String, String> customerRow = with(customer.row, "tier", tier.name());
                effects.put("c:" + customer.id, becomes(customerRow));
                Map<Ord, Map<String, String>> after = new HashMap<>();
                customer.orders.values().stream().limit(2).forEach(order -> {
                    Map<String, String> changed = with(order.row, "status", OrderStatus.PAID.name());
                    after.put(order, changed);
                    effects.put("o:" + order.id, becomes(changed));
                });
                List<Long> ids = after.keySet().stream().map(o -> o.id).toList();
                call("promote", customer, effects, () -> {
                    shop.promote(customer.id, tier, ids);
                    return null;
                });
                customer.row = customerRow;
                after.forEach((order, row) -> order.row = row);
            }

            private <T> T call(String what, Owned customer, Map<String, Effect<Map<String, String>>> effects,
                    Supplier<T> action) {
                count(what);
                Write write = oracle.begin(what + " customer " + customer.id, effects);
                try {
                    T result = action.get();
                    write.acknowledged();
                    return result;
                } catch (RuntimeException e) {
                    write.failed(e);
                    failed(what, e);
                    if (what.equals("placeOrder") || what.equals("editOrder")) {
                        failedInserts.incrementAndGet();
                    }
                    // Whole or nothing, but which one is unknown: stop writing this customer.
                    owned.remove(customer.id);
                    throw e;
                }
            }
        }

        private void count(String what) {
            calls.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
        }

        private void failed(String what, RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String kind = what + ": " + e.getClass().getSimpleName() + " / " + root.getClass().getSimpleName() + ": "
                    + String.valueOf(root.getMessage()).lines().findFirst().orElse("");
            if (failures.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet() == 1) {
                LOG.warn("first failure of kind {}", kind, e);
                if (!expected(e)) {
                    problems.add("unexpected failure: " + kind);
                }
            }
        }
    }

    /**
     * What an application must expect and retry: Hibernate's optimistic lock, and a transaction in
     * flight across a move of the primary (SQLState 40001).
     */
    private static boolean expected(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.springframework.orm.ObjectOptimisticLockingFailureException
                    || cause instanceof SQLException sql && "40001".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** A customer one writer owns, with its orders as the writer last wrote them. */
    private static final class Owned {
        final long id;
        Map<String, String> row;
        final Map<Long, Ord> orders = new LinkedHashMap<>();

        Owned(long id, Map<String, String> row) {
            this.id = id;
            this.row = row;
        }
    }

    /** An order, with its lines. */
    private static final class Ord {
        final long id;
        Map<String, String> row;
        final Map<Long, Map<String, String>> lines = new LinkedHashMap<>();

        Ord(long id) {
            this.id = id;
        }
    }

    private static LocalDateTime now() {
        return LocalDateTime.now().truncatedTo(ChronoUnit.MICROS);
    }

    /** Every row of the three tables, keyed as the oracle keys them, version columns left out. */
    private static Map<String, Map<String, String>> rows(TestDatabase db) throws SQLException {
        Map<String, Map<String, String>> rows = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            readRows(s, new String[][] {{"customers", "c:"}, {"orders", "o:"}, {"order_lines", "l:"}}, rows,
                    (rs, meta, i, column) -> value(rs, i, meta.getColumnType(i)));
        }
        return rows;
    }

    private static String value(ResultSet rs, int column, int type) throws SQLException {
        switch (type) {
            case Types.TIMESTAMP:
                LocalDateTime time = rs.getObject(column, LocalDateTime.class);
                return String.valueOf(time);
            case Types.NUMERIC, Types.DECIMAL, Types.BIGINT, Types.INTEGER, Types.SMALLINT:
                BigDecimal number = rs.getBigDecimal(column);
                return number == null ? "null" : num(number);
            default:
                return String.valueOf(rs.getString(column));
        }
    }

    /** The application's schema as its team writes it: plain DDL, Hibernate's ddl-auto left at none. */
    private static String schema(Engine engine) {
        if (engine == Engine.MARIADB) {
            return """
                    CREATE TABLE customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,
                        email VARCHAR(200) NOT NULL, street VARCHAR(200), city VARCHAR(100), tier VARCHAR(20),
                        points BIGINT NOT NULL, created_at DATETIME(6), last_order_at DATETIME(6), version BIGINT NOT NULL);
                    CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, status VARCHAR(20) NOT NULL,
                        total DECIMAL(12, 2) NOT NULL, placed_at DATETIME(6), version INT NOT NULL,
                        INDEX orders_customer (customer_id));
                    CREATE TABLE order_lines (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, sku VARCHAR(40) NOT NULL,
                        quantity INT NOT NULL, unit_price DECIMAL(10, 2) NOT NULL, INDEX order_lines_order (order_id));
                    CREATE SEQUENCE orders_seq INCREMENT BY 50;
                    CREATE SEQUENCE order_lines_seq INCREMENT BY 50;
                    """;
        }
        return """
                CREATE TABLE customers (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name VARCHAR(100) NOT NULL,
                    email VARCHAR(200) NOT NULL, street VARCHAR(200), city VARCHAR(100), tier VARCHAR(20),
                    points BIGINT NOT NULL, created_at TIMESTAMP(6), last_order_at TIMESTAMP(6), version BIGINT NOT NULL);
                CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, status VARCHAR(20) NOT NULL,
                    total NUMERIC(12, 2) NOT NULL, placed_at TIMESTAMP(6), version INT NOT NULL);
                CREATE INDEX orders_customer ON orders (customer_id);
                CREATE TABLE order_lines (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, sku VARCHAR(40) NOT NULL,
                    quantity INT NOT NULL, unit_price NUMERIC(10, 2) NOT NULL);
                CREATE INDEX order_lines_order ON order_lines (order_id);
                CREATE SEQUENCE orders_seq INCREMENT BY 50;
                CREATE SEQUENCE order_lines_seq INCREMENT BY 50;
                """;
    }
}
