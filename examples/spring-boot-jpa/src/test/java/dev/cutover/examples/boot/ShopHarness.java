package dev.cutover.examples.boot;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.verifier.VerificationReport;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sample application on two test databases, driven only through its HTTP API, with every write
 * recorded in the acknowledged-write oracle. Each writer thread owns the customers it creates and
 * their orders, so it knows each row's state and can name every write's effect before it is sent;
 * rows with ids the database generates are recorded when the response names them (nobody else can
 * write a key before its id is handed out).
 */
final class ShopHarness implements AutoCloseable {
    static final String ABSENT = "<no row>";
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(ShopHarness.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final String[] SKUS = {"apple", "pear", "plum", "fig", "kiwi"};

    private final TestDatabase source;
    private final TestDatabase target;
    private final ConfigurableApplicationContext app;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final AcknowledgedWriteOracle<String, String> oracle = new AcknowledgedWriteOracle<>(ABSENT);
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Warnings warnings = new Warnings();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong customerSerial = new AtomicLong();
    private volatile WriteTimer writeTimer;

    /**
     * Starts the application on the two databases, with the pool sizes and polling of a test.
     *
     * @param poolSize each side's pool (HikariCP maximum-pool-size)
     */
    ShopHarness(TestDatabase source, TestDatabase target, int poolSize) {
        this(source, target, List.of(
                "--cutover.source.hikari.maximum-pool-size=" + poolSize,
                "--cutover.target.hikari.maximum-pool-size=" + poolSize,
                "--cutover.flags.refresh-interval=100ms",
                "--cutover.retry-queue.poll-interval=50ms",
                "--spring.jpa.properties.hibernate.session_factory.statement_inspector="
                        + RecordingStatementInspector.class.getName()));
    }

    /**
     * Starts the application on the two databases.
     *
     * @param settings further command-line arguments; none leaves the sample's defaults (HikariCP's pools)
     */
    ShopHarness(TestDatabase source, TestDatabase target, List<String> settings) {
        this.source = source;
        this.target = target;
        RecordingStatementInspector.reset();
        // Command-line arguments: they take precedence over the sample's application.properties (its H2 URLs).
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--cutover.source.url=" + source.jdbcUrl(),
                "--cutover.target.url=" + target.jdbcUrl(),
                "--spring.sql.init.platform=" + platform(source.engine()),
                "--cutover.target.sql-init.platform=" + platform(target.engine()),
                "--spring.main.banner-mode=off"));
        args.addAll(settings);
        app = new SpringApplicationBuilder(ShopApplication.class).run(args.toArray(String[]::new));
        warnings.start();
        base = "http://localhost:" + ((WebServerApplicationContext) app).getWebServer().getPort();
    }

    private static String platform(Engine engine) {
        return switch (engine) {
            case POSTGRESQL -> "postgresql";
            case MARIADB -> "mariadb";
            default -> "h2";
        };
    }

    Migration migration() {
        return app.getBean(Cutover.class).migration("shop");
    }

    AcknowledgedWriteOracle<String, String> oracle() {
        return oracle;
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    List<String> refusals() {
        return warnings.matching("Cutover refused");
    }

    long requests() {
        return requests.get();
    }

    /** Takes the round-trip time of a write request. */
    @FunctionalInterface
    interface WriteTimer {
        /**
         * @param request the method and path with ids replaced by {@code {id}}, e.g. {@code PUT /orders/{id}/lines}
         * @param nanos the time from sending the request to receiving the whole answer
         */
        void timed(String request, long nanos);
    }

    /**
     * Hands the round-trip time of each write request to the application's API (POST, PUT and DELETE
     * outside {@code /actuator}) to {@code timer} from now on; null stops it.
     */
    void timeWrites(WriteTimer timer) {
        writeTimer = timer;
    }

    // ---- operator calls through the actuator endpoint ----

    /** Flips the migration through {@code POST /actuator/cutover/shop}, as an operator would. */
    void flip(Stage stage, double targetReadPercent, double shadowReadPercent) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("stage", stage.name());
        body.put("targetReadPercent", targetReadPercent);
        body.put("shadowReadPercent", shadowReadPercent);
        body.put("actor", "test");
        body.put("reason", "walk the stages");
        Response response = send("POST", "/actuator/cutover/shop", body);
        if (response.status() != 200) {
            throw new AssertionError("flip to " + stage + " answered " + response.status() + ": " + response.body());
        }
        LOG.info("Stage {} (target reads {}%, shadow reads {}%)", stage, targetReadPercent, shadowReadPercent);
    }

    /**
     * Verifies until a run is clean: each run queues the keys it finds different, the workers copy
     * them from the primary, and the next run proves them. The history's copy, as the runbook has it.
     *
     * @return the clean report
     */
    VerificationReport settle() {
        VerificationReport report = null;
        for (int run = 0; run < 10; run++) {
            report = migration().verify();
            if (report.isClean()) {
                return report;
            }
            Await.until("the retry-queue has drained", () -> migration().queueDepth().pending() == 0);
        }
        throw new AssertionError("verifier still finds differences: " + report.toJson());
    }

    // ---- the workload ----

    /**
     * Runs writers at once, each doing {@code operations} random operations on customers of its own
     * (reads checked against what it wrote), and waits for them.
     */
    void traffic(int writers, int operations, long seed) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            Writer writer = new Writer(new Random(seed * 1_000 + w));
            done.add(pool.submit(() -> {
                start.await();
                writer.run(operations);
                return null;
            }));
        }
        start.countDown();
        for (Future<?> future : done) {
            try {
                future.get(5, TimeUnit.MINUTES);
            } catch (Exception e) {
                failures.add("writer died: " + e);
            }
        }
        pool.shutdownNow();
    }

    /** One writer: its customers and their orders as it last wrote them. */
    private final class Writer {
        private final Random random;
        private final List<CustomerModel> customers = new ArrayList<>();

        Writer(Random random) {
            this.random = random;
        }

        void run(int operations) {
            for (int i = 0; i < operations; i++) {
                try {
                    step();
                } catch (RequestFailed e) {
                    failures.add(e.getMessage());
                }
            }
        }

        private void step() {
            if (customers.isEmpty() || random.nextInt(6) == 0) {
                createCustomer();
                return;
            }
            CustomerModel customer = customers.get(random.nextInt(customers.size()));
            List<OrderModel> open = customer.orders.values().stream().filter(o -> o.status.equals("OPEN")).toList();
            switch (random.nextInt(8)) {
                case 0, 1 -> placeOrder(customer);
                case 2 -> rename(customer);
                case 3 -> {
                    if (!open.isEmpty()) {
                        replaceLines(open.get(random.nextInt(open.size())));
                    } else {
                        placeOrder(customer);
                    }
                }
                case 4 -> closeOpenOrders(customer);
                case 5 -> {
                    if (!customer.orders.isEmpty()) {
                        List<OrderModel> all = List.copyOf(customer.orders.values());
                        deleteOrder(customer, all.get(random.nextInt(all.size())));
                    } else {
                        placeOrder(customer);
                    }
                }
                default -> read(customer);
            }
        }

        private void createCustomer() {
            String email = "c" + customerSerial.incrementAndGet() + "-" + random.nextInt(1_000_000) + "@shop.test";
            JsonNode body = expect(201, send("POST", "/customers", Map.of("name", "Ann", "email", email)));
            CustomerModel customer = new CustomerModel(body.get("id").asLong(), "Ann", email);
            oracle.begin(customer.key(), "create " + customer.key(),
                    Effect.requiring(ABSENT::equals, s -> customer.row())).acknowledged();
            customers.add(customer);
        }

        private void placeOrder(CustomerModel customer) {
            List<Map<String, Object>> lines = randomLines();
            JsonNode body = expect(201, send("POST", "/customers/" + customer.id + "/orders", Map.of("lines", lines)));
            OrderModel order = new OrderModel(body.get("id").asLong(), customer.id);
            order.apply(body);
            Map<String, Effect<String>> effects = new LinkedHashMap<>();
            effects.put(order.key(), Effect.requiring(ABSENT::equals, s -> order.row()));
            order.lines.forEach((key, row) -> effects.put(key, Effect.requiring(ABSENT::equals, s -> row)));
            oracle.begin("place " + order.key(), effects).acknowledged();
            customer.orders.put(order.id, order);
        }

        private void rename(CustomerModel customer) {
            String name = "Name" + random.nextInt(1_000);
            String after = row(name, customer.email, customer.version + 1);
            AcknowledgedWriteOracle<String, String>.Write write = oracle.begin(customer.key(),
                    "rename " + customer.key(), Effect.requiring(s -> !ABSENT.equals(s), s -> after));
            JsonNode body = expectRecording(write, 200, send("PUT", "/customers/" + customer.id,
                    Map.of("name", name, "version", customer.version)));
            customer.name = name;
            customer.version = body.get("version").asLong();
            check(customer.row().equals(after), "rename answered " + body + ", expected " + after);
        }

        private void replaceLines(OrderModel order) {
            List<Map<String, Object>> lines = randomLines();
            BigDecimal total = lines.stream().map(l -> ((BigDecimal) l.get("unitPrice"))
                    .multiply(BigDecimal.valueOf((Integer) l.get("quantity")))).reduce(BigDecimal.ZERO, BigDecimal::add)
                    .setScale(2);
            String after = row(order.customerId, "OPEN", total.toPlainString(), order.version + 1);
            Map<String, Effect<String>> effects = new LinkedHashMap<>();
            effects.put(order.key(), Effect.requiring(s -> !ABSENT.equals(s), s -> after));
            order.lines.keySet().forEach(key -> effects.put(key, s -> ABSENT));
            AcknowledgedWriteOracle<String, String>.Write write = oracle.begin("replace lines of " + order.key(), effects);
            JsonNode body = expectRecording(write, 200, send("PUT", "/orders/" + order.id + "/lines",
                    Map.of("lines", lines, "version", order.version)));
            order.apply(body);
            check(order.row().equals(after), "replace answered " + body + ", expected " + after);
            Map<String, Effect<String>> inserted = new LinkedHashMap<>();
            order.lines.forEach((key, row) -> inserted.put(key, Effect.requiring(ABSENT::equals, s -> row)));
            oracle.begin("new lines of " + order.key(), inserted).acknowledged();
        }

        private void closeOpenOrders(CustomerModel customer) {
            Map<String, Effect<String>> effects = new LinkedHashMap<>();
            List<OrderModel> open = customer.orders.values().stream().filter(o -> o.status.equals("OPEN")).toList();
            for (OrderModel order : open) {
                String after = row(order.customerId, "CLOSED", order.total, order.version + 1);
                effects.put(order.key(), Effect.requiring(s -> !ABSENT.equals(s), s -> after));
            }
            AcknowledgedWriteOracle<String, String>.Write write = effects.isEmpty() ? null
                    : oracle.begin("close orders of " + customer.key(), effects);
            JsonNode body = expectRecording(write, 200, send("POST", "/customers/" + customer.id + "/orders/close", null));
            check(body.get("closed").asInt() == open.size(), "closed " + body + " of " + open.size() + " open orders");
            open.forEach(o -> {
                o.status = "CLOSED";
                o.version++;
            });
        }

        private void deleteOrder(CustomerModel customer, OrderModel order) {
            Map<String, Effect<String>> effects = new LinkedHashMap<>();
            effects.put(order.key(), s -> ABSENT);
            order.lines.keySet().forEach(key -> effects.put(key, s -> ABSENT));
            AcknowledgedWriteOracle<String, String>.Write write = oracle.begin("delete " + order.key(), effects);
            expectRecording(write, 204, send("DELETE", "/orders/" + order.id, null));
            customer.orders.remove(order.id);
        }

        /** Reads what this writer wrote last, by key and by derived queries; reads may be served by the target. */
        private void read(CustomerModel customer) {
            JsonNode byId = expect(200, send("GET", "/customers/" + customer.id, null));
            check(row(byId.get("name").asText(), byId.get("email").asText(), byId.get("version").asLong())
                    .equals(customer.row()), "read " + byId + ", wrote " + customer.row());
            JsonNode byEmail = expect(200, send("GET", "/customers?email=" + customer.email, null));
            check(byEmail.get("id").asLong() == customer.id, "find by email answered " + byEmail);
            JsonNode open = expect(200, send("GET", "/customers/" + customer.id + "/orders?status=OPEN", null));
            long expectedOpen = customer.orders.values().stream().filter(o -> o.status.equals("OPEN")).count();
            check(open.size() == expectedOpen, "open orders " + open + ", expected " + expectedOpen);
            for (OrderModel order : customer.orders.values()) {
                JsonNode read = expect(200, send("GET", "/orders/" + order.id, null));
                OrderModel seen = new OrderModel(order.id, order.customerId);
                seen.apply(read);
                check(seen.row().equals(order.row()) && seen.lines.equals(order.lines),
                        "read " + read + ", wrote " + order.row() + " " + order.lines);
                break;
            }
            expect(200, send("GET", "/orders/count?status=OPEN", null));
        }

        private List<Map<String, Object>> randomLines() {
            List<Map<String, Object>> lines = new ArrayList<>();
            int count = 1 + random.nextInt(4);
            for (int i = 0; i < count; i++) {
                lines.add(Map.of("sku", SKUS[random.nextInt(SKUS.length)], "quantity", 1 + random.nextInt(5),
                        "unitPrice", BigDecimal.valueOf(50 + random.nextInt(2_000), 2)));
            }
            return lines;
        }
    }

    private static final class CustomerModel {
        final long id;
        final String email;
        final Map<Long, OrderModel> orders = new LinkedHashMap<>();
        String name;
        long version;

        CustomerModel(long id, String name, String email) {
            this.id = id;
            this.name = name;
            this.email = email;
        }

        String key() {
            return "customers:" + id;
        }

        String row() {
            return ShopHarness.row(name, email, version);
        }
    }

    private static final class OrderModel {
        final long id;
        final long customerId;
        String status;
        String total;
        long version;
        Map<String, String> lines = new LinkedHashMap<>();

        OrderModel(long id, long customerId) {
            this.id = id;
            this.customerId = customerId;
        }

        /** Takes the order as the API answered it: status, total, version and its lines. */
        void apply(JsonNode body) {
            status = body.get("status").asText();
            total = body.get("total").decimalValue().setScale(2).toPlainString();
            version = body.get("version").asLong();
            lines = new LinkedHashMap<>();
            for (JsonNode line : body.get("lines")) {
                lines.put("order_lines:" + line.get("id").asLong(), ShopHarness.row(id, line.get("sku").asText(),
                        line.get("quantity").asInt(), line.get("unitPrice").decimalValue().setScale(2).toPlainString()));
            }
        }

        String key() {
            return "orders:" + id;
        }

        String row() {
            return ShopHarness.row(customerId, status, total, version);
        }
    }

    static String row(Object... values) {
        return java.util.Arrays.stream(values).map(String::valueOf).collect(Collectors.joining("|"));
    }

    // ---- checking both sides ----

    /** Checks both sides against the oracle, and that neither holds a row nobody wrote. */
    void checkOracle() {
        Map<String, String> sourceRows = rows(source);
        Map<String, String> targetRows = rows(target);
        Set<String> written = oracle.keys();
        for (Map.Entry<String, Map<String, String>> side : Map.of("source", sourceRows, "target", targetRows)
                .entrySet()) {
            List<String> unknown = side.getValue().keySet().stream().filter(k -> !written.contains(k)).toList();
            check(unknown.isEmpty(), "the " + side.getKey() + " holds rows no acknowledged write made: " + unknown);
        }
        oracle.check(sourceRows, targetRows);
    }

    /** @return every row of the shop's tables by key ({@code customers:1}) as the oracle states them */
    static Map<String, String> rows(TestDatabase database) {
        Map<String, String> rows = new HashMap<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery("SELECT id, name, email, version FROM customers")) {
                while (rs.next()) {
                    rows.put("customers:" + rs.getLong(1), row(rs.getString(2), rs.getString(3), rs.getLong(4)));
                }
            }
            try (ResultSet rs = statement.executeQuery("SELECT id, customer_id, status, total, version FROM orders")) {
                while (rs.next()) {
                    rows.put("orders:" + rs.getLong(1), row(rs.getLong(2), rs.getString(3),
                            rs.getBigDecimal(4).setScale(2).toPlainString(), rs.getLong(5)));
                }
            }
            try (ResultSet rs = statement.executeQuery(
                    "SELECT id, order_id, sku, quantity, unit_price FROM order_lines")) {
                while (rs.next()) {
                    rows.put("order_lines:" + rs.getLong(1), row(rs.getLong(2), rs.getString(3), rs.getInt(4),
                            rs.getBigDecimal(5).setScale(2).toPlainString()));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read " + database, e);
        }
        return rows;
    }

    /** Logs each distinct statement Hibernate sent, with its count. */
    void logStatements() {
        Map<String, Long> statements = RecordingStatementInspector.statements();
        LOG.info("Hibernate sent {} distinct statements ({} in all) through Cutover's DataSource:\n{}",
                statements.size(), statements.values().stream().mapToLong(Long::longValue).sum(),
                statements.entrySet().stream().map(e -> String.format("%6d  %s", e.getValue(), e.getKey()))
                        .collect(Collectors.joining("\n")));
    }

    // ---- HTTP ----

    record Response(int status, String body) {
    }

    /** A request that did not answer as expected: a failed request, collected for the final verdict. */
    private static final class RequestFailed extends RuntimeException {
        RequestFailed(String message) {
            super(message);
        }
    }

    Response send(String method, String path, Object body) {
        requests.incrementAndGet();
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofMinutes(2)).header("Content-Type", "application/json");
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            WriteTimer timer = method.equals("GET") || path.startsWith("/actuator") ? null : writeTimer;
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (timer != null) {
                timer.timed(method + " " + path.replaceAll("/[0-9]+", "/{id}"), System.nanoTime() - start);
            }
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Response(-1, method + " " + path + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Response(-1, method + " " + path + ": interrupted");
        }
    }

    private static JsonNode expect(int status, Response response) {
        if (response.status() != status) {
            throw new RequestFailed("expected " + status + ", got " + response.status() + ": " + response.body());
        }
        try {
            return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new RequestFailed("unreadable answer " + response.body());
        }
    }

    private static JsonNode expectRecording(AcknowledgedWriteOracle<String, String>.Write write, int status,
            Response response) {
        try {
            JsonNode body = expect(status, response);
            if (write != null) {
                write.acknowledged();
            }
            return body;
        } catch (RequestFailed e) {
            if (write != null) {
                write.failed(e);
            }
            throw e;
        }
    }

    private static void check(boolean condition, String failure) {
        if (!condition) {
            throw new RequestFailed(failure);
        }
    }

    /** Collects the application's WARN and ERROR log events while it runs. */
    private static final class Warnings extends AppenderBase<ILoggingEvent> {
        private final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();

        @Override
        public void start() {
            Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            setContext(root.getLoggerContext());
            super.start();
            root.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                events.add(event.getFormattedMessage()
                        + (event.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy())));
            }
        }

        List<String> matching(String text) {
            return events.stream().filter(e -> e.contains(text)).toList();
        }
    }

    @Override
    public void close() {
        try {
            app.close();
        } finally {
            warnings.stop();
        }
    }
}
