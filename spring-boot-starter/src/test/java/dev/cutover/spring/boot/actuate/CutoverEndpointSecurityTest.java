package dev.cutover.spring.boot.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.config.Customizer.withDefaults;

import dev.cutover.Cutover;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.FlagChange;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.CutoverMappings;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.autoconfigure.security.servlet.EndpointRequest;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The {@code cutover} endpoint over HTTP on a real server behind Spring Security, secured the way
 * README tells an application to: reads for any authenticated user, flips for operators only. A
 * refused flip answers 401 or 403 and leaves the migration's stage as it was; an operator's flip
 * is applied and audited under the operator's name, whatever actor the body claims.
 */
class CutoverEndpointSecurityTest {
    private static final TableMapping ACCOUNTS = TableMapping.builder("accounts").key("id", Long.class)
            .columns("balance").build();
    private static final String FLIP = "{\"stage\": \"DUAL_WRITE\", \"actor\": \"mallory\", \"reason\": \"start mirroring\"}";
    private static final TableMapping ORDERS = TableMapping.builder("orders").key("id", Long.class).columns("total").build();
    private static final TableMapping STOCK = TableMapping.builder("stock").key("sku", Long.class).columns("qty").build();
    private static final String GROUP = "{\"migrations\": \"orders, stock\", \"stage\": \"DUAL_WRITE\","
            + " \"actor\": \"mallory\", \"reason\": \"mirror both\"}";

    private static TestDatabase sourceDb;
    private static TestDatabase targetDb;
    private static ConfigurableApplicationContext context;
    private static String base;
    private static Cutover cutover;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        sourceDb = TestDatabases.create(Engine.POSTGRESQL, "secsrc");
        targetDb = TestDatabases.create(Engine.POSTGRESQL, "sectgt");
        for (TestDatabase db : List.of(sourceDb, targetDb)) {
            db.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)",
                    "CREATE TABLE orders (id BIGINT PRIMARY KEY, total BIGINT NOT NULL)",
                    "CREATE TABLE stock (sku BIGINT PRIMARY KEY, qty BIGINT NOT NULL)");
        }
        context = new SpringApplicationBuilder(SecuredApplication.class).web(WebApplicationType.SERVLET)
                .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
                        "cutover.source.url=" + sourceDb.jdbcUrl(), "cutover.target.url=" + targetDb.jdbcUrl(),
                        "cutover.create-tables=true", "management.endpoints.web.exposure.include=cutover",
                        "management.endpoint.cutover.access=unrestricted")
                .run();
        base = "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort()
                + "/actuator/cutover";
        cutover = context.getBean(Cutover.class);
    }

    @AfterAll
    static void stop() {
        if (context != null) {
            context.close();
        }
        if (sourceDb != null) {
            sourceDb.close();
        }
        if (targetDb != null) {
            targetDb.close();
        }
    }

    @Test
    void onlyAnOperatorFlipsAndARefusedFlipLeavesTheStage() throws Exception {
        assertThat(get(null).statusCode()).as("anonymous read").isEqualTo(401);
        HttpResponse<String> read = get("bob:bob-secret");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).contains("\"accounts\"").contains("\"stage\":\"SOURCE_ONLY\"");

        assertThat(post(null).statusCode()).as("anonymous flip").isEqualTo(401);
        assertThat(post("alice:wrong").statusCode()).as("flip with a wrong password").isEqualTo(401);
        assertThat(post("bob:bob-secret").statusCode()).as("flip by a user who is no operator").isEqualTo(403);
        assertThat(cutover.migration("accounts").stage()).as("every refused flip left it").isEqualTo(Stage.SOURCE_ONLY);
        assertThat(cutover.flags().audit("accounts", 10)).as("nothing audited").isEmpty();

        HttpResponse<String> flipped = post("alice:alice-secret");
        assertThat(flipped.statusCode()).isEqualTo(200);
        assertThat(flipped.body()).contains("\"stage\":\"DUAL_WRITE\"");
        assertThat(cutover.migration("accounts").stage()).isEqualTo(Stage.DUAL_WRITE);
        List<FlagChange> audit = cutover.flags().audit("accounts", 10);
        assertThat(audit).isNotEmpty().allSatisfy(change -> {
            assertThat(change.actor()).as("the principal, not the body's actor").isEqualTo("alice");
            assertThat(change.reason()).isEqualTo("start mirroring");
        });
    }

    @Test
    void onlyAnOperatorMovesSeveralMigrationsTogether_auditedPerMigrationUnderTheOperatorsName() throws Exception {
        assertThat(post(null, "", GROUP).statusCode()).as("anonymous group move").isEqualTo(401);
        assertThat(post("bob:bob-secret", "", GROUP).statusCode()).as("group move by a viewer").isEqualTo(403);
        assertThat(cutover.migration("orders").stage()).isEqualTo(Stage.SOURCE_ONLY);
        assertThat(cutover.migration("stock").stage()).isEqualTo(Stage.SOURCE_ONLY);

        HttpResponse<String> moved = post("alice:alice-secret", "", GROUP);
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        assertThat(cutover.migration("orders").stage()).isEqualTo(Stage.DUAL_WRITE);
        assertThat(cutover.migration("stock").stage()).isEqualTo(Stage.DUAL_WRITE);
        for (String migration : List.of("orders", "stock")) {
            FlagChange change = cutover.flags().audit(migration, 1).get(0);
            assertThat(change.actor()).isEqualTo("alice");
            assertThat(change.reason()).isEqualTo("mirror both");
        }
        HttpResponse<String> skipping = post("alice:alice-secret", "", GROUP.replace("DUAL_WRITE", "TARGET_ONLY"));
        assertThat(skipping.statusCode()).as("a move that skips stages").isEqualTo(400);
        assertThat(cutover.migration("orders").stage()).isEqualTo(Stage.DUAL_WRITE);
    }

    private HttpResponse<String> get(String credentials) throws Exception {
        return http.send(request(credentials).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String credentials) throws Exception {
        return post(credentials, "/accounts", FLIP);
    }

    private HttpResponse<String> post(String credentials, String path, String body) throws Exception {
        return http.send(request(credentials).uri(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String credentials) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(10));
        if (credentials != null) {
            request.header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return request;
    }

    /** An application with the starter, the actuator and Spring Security, configured as README shows. */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class SecuredApplication {
        @Bean
        CutoverMappings cutoverMappings() {
            return migrations -> migrations.migration("accounts", ACCOUNTS).migration("orders", ORDERS)
                    .migration("stock", STOCK);
        }

        @Bean
        SecurityFilterChain actuatorSecurity(HttpSecurity http) throws Exception {
            return http.securityMatcher(EndpointRequest.toAnyEndpoint())
                    .authorizeHttpRequests(requests -> requests
                            .requestMatchers(EndpointRequest.to(CutoverEndpoint.class).withHttpMethod(HttpMethod.POST))
                            .hasRole("OPERATOR")
                            .anyRequest().authenticated())
                    .httpBasic(withDefaults())
                    // Operators' tools send no CSRF token; HTTP Basic on every request is not a browser session.
                    .csrf(csrf -> csrf.ignoringRequestMatchers(EndpointRequest.toAnyEndpoint()))
                    .build();
        }

        @Bean
        InMemoryUserDetailsManager users() {
            return new InMemoryUserDetailsManager(
                    User.withUsername("alice").password("{noop}alice-secret").roles("OPERATOR").build(),
                    User.withUsername("bob").password("{noop}bob-secret").roles("VIEWER").build());
        }
    }
}
