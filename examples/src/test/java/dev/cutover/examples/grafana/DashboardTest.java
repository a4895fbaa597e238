package dev.cutover.examples.grafana;

import dev.cutover.queue.micrometer.RetryQueueMetrics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.micrometer.DualWriteMetrics;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.flags.micrometer.MigrationFlagsMetrics;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.NonRetryableReplayException;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.micrometer.ReadRouterMetrics;
import dev.cutover.testsupport.Await;
import dev.cutover.verifier.micrometer.VerifierMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the Grafana dashboard and the README's metrics list honest: binds every Cutover meter to a
 * Prometheus registry, scrapes it, and checks that each series and label the dashboard queries is
 * really exported, and that every meter the binders register is listed in the README.
 */
class DashboardTest {
    private static final Path DASHBOARD = Path.of("grafana", "cutover-dashboard.json");
    private static final Path README = Path.of("..", "README.md");
    private static final String MIGRATION = "orders";
    /** A series name, optionally followed by its label matchers. */
    private static final Pattern SERIES = Pattern.compile("\\b(cutover_[a-z0-9_]+)(\\{([^}]*)})?");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");

    private static PrometheusMeterRegistry registry;
    /** Series name to the label names it carries, from a real scrape. */
    private static Map<String, Set<String>> scraped;

    @BeforeAll
    static void bindEveryMeterAndScrape() throws Exception {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicBoolean failedOnce = new AtomicBoolean();
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build();
             ReadRouter router = ReadRouter.builder(flags, MIGRATION).build();
             RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), (entry, payload) -> {
                 // One entry replays, one fails once and then replays, one parks: every queue counter appears.
                 if (entry.key().equals("park")) {
                     throw new NonRetryableReplayException("parked on purpose");
                 }
                 if (entry.key().equals("retry") && failedOnce.compareAndSet(false, true)) {
                     throw new IllegalStateException("fails once on purpose");
                 }
             }, RetryQueueConfig.custom().initialBackoff(Duration.ofMillis(1))
                     .maxBackoff(Duration.ofMillis(10)).pollInterval(Duration.ofMillis(5)).build())) {
            flags.moveTo(MIGRATION, Stage.DUAL_WRITE, "dashboard-test", "a known migration");
            new MigrationFlagsMetrics(flags).bindTo(registry);
            new RetryQueueMetrics(queue).bindTo(registry);
            new ReadRouterMetrics(router).bindTo(registry);
            new DualWriteMetrics(new DualWriteCounters(), MIGRATION).bindTo(registry);
            new VerifierMetrics(MIGRATION).bindTo(registry);
            for (String key : List.of("ok", "retry", "park")) {
                queue.enqueue(NewRetryEntry.resync(MIGRATION, "orders", key));
            }
            queue.start();
            Await.until("every queue counter is registered", () -> registry.find("cutover.retry.queue.replayed").counter() != null
                    && registry.find("cutover.retry.queue.retried").counter() != null
                    && registry.find("cutover.retry.queue.parked").counter() != null);
            scraped = parse(registry.scrape());
        }
    }

    @Test
    void everySeriesAndLabelTheDashboardQueries_isExported() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        List<String> queries = new ArrayList<>();
        collectQueries(dashboard, queries);
        assertTrue(queries.size() > 20, "the dashboard queries: " + queries);
        Set<String> problems = new TreeSet<>();
        Set<String> used = new HashSet<>();
        for (String query : queries) {
            Matcher series = SERIES.matcher(query);
            while (series.find()) {
                String name = series.group(1);
                used.add(name);
                Set<String> labels = scraped.get(name);
                if (labels == null) {
                    String family = name.substring(0, name.indexOf('_', "cutover_".length()) + 1);
                    problems.add(name + " is not exported (query: " + query + "); exported " + family + "* series: "
                            + scraped.keySet().stream().filter(n -> n.startsWith(family)).sorted().toList());
                    continue;
                }
                if (series.group(3) != null) {
                    Matcher matcher = MATCHER.matcher(series.group(3));
                    while (matcher.find()) {
                        if (!labels.contains(matcher.group(1))) {
                            problems.add(name + " has no label " + matcher.group(1) + "; it has " + labels);
                        }
                    }
                }
            }
        }
        assertEquals(Set.of(), problems);
        for (String family : List.of("cutover_flags_stage", "cutover_router_reads_total", "cutover_dualwrite_mirrors_total",
                "cutover_retry_queue_depth", "cutover_retry_queue_oldest_age_seconds", "cutover_retry_queue_parked_depth",
                "cutover_router_shadow_mismatched_total", "cutover_router_fallbacks_total", "cutover_verifier_differences")) {
            assertTrue(used.contains(family), "the dashboard shows " + family);
        }
    }

    @Test
    void everyPanel_usesTheDatasourceVariable_andHasAUniqueId() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertTrue(ids.add(panel.get("id").asInt()), "duplicate panel id " + panel.get("id"));
            assertFalse(panel.get("title").asText().isBlank());
            if (!panel.get("type").asText().equals("row")) {
                assertEquals("${datasource}", panel.get("datasource").get("uid").asText(), panel.get("title").asText());
                assertTrue(panel.get("targets").size() > 0, panel.get("title").asText());
            }
        }
    }

    @Test
    void everyMeterTheBindersRegister_isListedInTheReadme() throws Exception {
        String readme = Files.readString(README);
        String metrics = readme.substring(readme.indexOf("## Metrics"));
        metrics = metrics.substring(0, metrics.indexOf("\n## ", 1));
        Set<String> missing = new TreeSet<>();
        for (Meter meter : registry.getMeters()) {
            String name = meter.getId().getName();
            if (!metrics.contains("`" + name + "`")) {
                missing.add(name);
            }
        }
        assertEquals(Set.of(), missing, "meters missing from the README's Metrics section");
    }

    private static void collectQueries(JsonNode node, List<String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                if ((field.getKey().equals("expr") || field.getKey().equals("definition")) && field.getValue().isTextual()) {
                    into.add(field.getValue().asText());
                } else {
                    collectQueries(field.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collectQueries(child, into));
        }
    }

    /** Reads the series names and their label names from Prometheus's text format. */
    private static Map<String, Set<String>> parse(String exposition) {
        Map<String, Set<String>> series = new HashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
            Set<String> labels = series.computeIfAbsent(name, n -> new HashSet<>());
            if (brace >= 0 && brace < space) {
                Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(line.substring(brace, line.indexOf('}')));
                while (label.find()) {
                    labels.add(label.group(1));
                }
            }
        }
        return series;
    }
}
