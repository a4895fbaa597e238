package dev.cutover.examples.boot;

import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Write latency through the sample's HTTP API in {@code DUAL_WRITE} beside {@code SOURCE_ONLY}
 * (issue #14), on the sample as it ships: HikariCP's default pools (10 connections a side), the
 * flags' and retry-queue's default timings, no statement recording. A few HTTP clients run the
 * sample tests' workload (creates, orders, renames, line replacements, bulk closes, deletes, and
 * about a fifth reads, which are not timed); the round trip of each write request is timed at the
 * client. The stage is flipped through {@code POST /actuator/cutover/shop} between rounds, in the
 * order S D D S S D ..., so that both stages meet the same drift of a shared machine, after warm-up
 * rounds of both stages whose times are discarded. Afterwards the history written in
 * {@code SOURCE_ONLY} is copied and proven ({@code migration.verify()} until clean), both databases
 * are checked against every acknowledged write, and the two sides' rows must be equal.
 *
 * <p>Not a test (no wall-clock bound is asserted); run with
 * <pre>
 * mvn -q -pl examples/spring-boot-jpa -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.cutover.examples.boot.HttpWriteLatencyRun [-Dexec.args="--pairs pg-pg,mariadb-pg"]
 * </pre>
 * Options: {@code --pairs} ({@code pg-pg}, {@code mariadb-pg}; default both), {@code --rounds}
 * (measured rounds per stage, default 8), {@code --warmup} (discarded rounds per stage, default 3),
 * {@code --clients} (default 4), {@code --operations} (per client and round, default 250). It exits
 * with status 1 if a request failed, a statement was refused, a copy was neither made nor queued, or
 * the sides differ at the end.
 */
public final class HttpWriteLatencyRun {
    private static final Stage[] STAGES = {Stage.SOURCE_ONLY, Stage.DUAL_WRITE};

    private HttpWriteLatencyRun() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args options, see the class comment
     * @throws Exception if a pair cannot be set up
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "8"));
        int clients = Integer.parseInt(options.getOrDefault("clients", "4"));
        int operations = Integer.parseInt(options.getOrDefault("operations", "250"));
        int warmup = Integer.parseInt(options.getOrDefault("warmup", "3"));
        List<String> report = new ArrayList<>();
        boolean ok = true;
        for (String pair : options.getOrDefault("pairs", "pg-pg,mariadb-pg").split(",")) {
            Engine sourceEngine = switch (pair.trim()) {
                case "pg-pg" -> Engine.POSTGRESQL;
                case "mariadb-pg" -> Engine.MARIADB;
                default -> throw new IllegalArgumentException("unknown pair " + pair + ": pg-pg or mariadb-pg");
            };
            ok &= runPair(sourceEngine, warmup, rounds, clients, operations, report);
        }
        System.out.println();
        report.forEach(System.out::println);
        System.exit(ok ? 0 : 1);
    }

    private static boolean runPair(Engine sourceEngine, int warmup, int rounds, int clients, int operations,
            List<String> report) throws Exception {
        String pair = (sourceEngine == Engine.POSTGRESQL ? "PostgreSQL" : "MariaDB") + " -> PostgreSQL";
        try (TestDatabase source = TestDatabases.create(sourceEngine, "httpbenchsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "httpbenchtgt");
                ShopHarness shop = new ShopHarness(source, target, List.of("--logging.level.root=WARN"))) {
            String loadBefore = load();
            Map<Stage, Sample> measured = new EnumMap<>(Stage.class);
            Map<Stage, List<Double>> roundMedians = new EnumMap<>(Stage.class);
            Map<Stage, long[]> copies = new EnumMap<>(Stage.class);
            for (Stage stage : STAGES) {
                measured.put(stage, new Sample());
                roundMedians.put(stage, new ArrayList<>());
                copies.put(stage, new long[2]);
            }
            long seed = 100;
            for (int r = 0; r < warmup; r++) {                                // discarded
                for (Stage stage : STAGES) {
                    round(shop, stage, clients, operations, seed++, new Sample());
                }
            }
            for (int r = 0; r < rounds; r++) {
                Stage[] order = r % 2 == 0 ? STAGES : new Stage[] {STAGES[1], STAGES[0]};
                for (Stage stage : order) {
                    DualWriteCounters stats = shop.migration().counters();
                    long mirrored = stats.mirrored();
                    long enqueued = stats.enqueued();
                    Sample round = new Sample();
                    round(shop, stage, clients, operations, seed++, round);
                    measured.get(stage).addAll(round);
                    roundMedians.get(stage).add(round.all.percentile(50));
                    copies.get(stage)[0] += stats.mirrored() - mirrored;
                    copies.get(stage)[1] += stats.enqueued() - enqueued;
                    System.out.printf(Locale.ROOT, "%s round %d %-11s %s%n", pair, r + 1, stage, round.all.summary());
                }
            }
            String loadAfter = load();

            shop.flip(Stage.DUAL_WRITE, 0, 0);
            shop.settle();                                          // copies SOURCE_ONLY's writes, proves them
            shop.checkOracle();
            Map<String, String> sourceRows = ShopHarness.rows(source);
            boolean equal = sourceRows.equals(ShopHarness.rows(target));
            List<String> failures = shop.failures();
            List<String> refusals = shop.refusals();
            long enqueueFailures = shop.migration().counters().enqueueFailures();

            Latencies s = measured.get(Stage.SOURCE_ONLY).all;
            Latencies d = measured.get(Stage.DUAL_WRITE).all;
            report.add("## " + pair + ": " + warmup + " warm-up and " + rounds + " measured rounds per stage, "
                    + clients + " clients x " + operations + " operations per round (writes timed)");
            report.add("load average before: " + loadBefore + "; after: " + loadAfter);
            report.add("| stage | writes | avg ms | p50 ms | p99 ms | copies made / queued |");
            report.add("|---|---:|---:|---:|---:|---:|");
            for (Stage stage : STAGES) {
                Latencies l = measured.get(stage).all;
                report.add(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %d / %d |", stage, l.size(),
                        l.average(), l.percentile(50), l.percentile(99), copies.get(stage)[0], copies.get(stage)[1]));
            }
            report.add(String.format(Locale.ROOT, "| DUAL_WRITE / SOURCE_ONLY | | %.2f | %.2f | %.2f | |",
                    d.average() / s.average(), d.percentile(50) / s.percentile(50),
                    d.percentile(99) / s.percentile(99)));
            report.add("p50 ratio of each adjacent pair of rounds: " + pairRatios(roundMedians));
            report.add("");
            report.add("| request | writes per stage | SOURCE_ONLY p50 ms | DUAL_WRITE p50 ms | p50 ratio"
                    + " | avg ratio |");
            report.add("|---|---:|---:|---:|---:|---:|");
            Map<String, Latencies> sourceOnly = measured.get(Stage.SOURCE_ONLY).byRequest;
            Map<String, Latencies> dualWrite = measured.get(Stage.DUAL_WRITE).byRequest;
            for (String request : new TreeSet<>(sourceOnly.keySet())) {
                Latencies rs = sourceOnly.get(request);
                Latencies rd = dualWrite.getOrDefault(request, new Latencies());
                report.add(String.format(Locale.ROOT, "| `%s` | %d / %d | %.2f | %.2f | %.2f | %.2f |", request,
                        rs.size(), rd.size(), rs.percentile(50), rd.percentile(50),
                        rd.percentile(50) / rs.percentile(50), rd.average() / rs.average()));
            }
            report.add("afterwards: " + sourceRows.size() + " rows, target equals source: " + equal
                    + ", oracle checked " + shop.oracle().acknowledged() + " acknowledged writes; failed requests "
                    + failures.size() + ", refused statements " + refusals.size()
                    + ", copies neither made nor queued " + enqueueFailures);
            report.add("");
            failures.stream().limit(5).forEach(f -> System.out.println("failed: " + f));
            return equal && failures.isEmpty() && refusals.isEmpty() && enqueueFailures == 0;
        }
    }

    /** Flips to {@code stage} through the actuator and runs one round with the writes timed into {@code into}. */
    private static void round(ShopHarness shop, Stage stage, int clients, int operations, long seed, Sample into)
            throws InterruptedException {
        if (shop.migration().stage() != stage) {
            shop.flip(stage, 0, 0);
            Await.until("this instance's flags show " + stage, () -> shop.migration().stage() == stage);
        }
        Await.until("the retry-queue has drained", () -> shop.migration().queueDepth().pending() == 0);
        shop.timeWrites(into::add);
        try {
            shop.traffic(clients, operations, seed);
        } finally {
            shop.timeWrites(null);
        }
    }

    private static String pairRatios(Map<Stage, List<Double>> medians) {
        List<Double> s = medians.get(Stage.SOURCE_ONLY);
        List<Double> d = medians.get(Stage.DUAL_WRITE);
        double[] ratios = new double[s.size()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = d.get(i) / s.get(i);
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        StringBuilder text = new StringBuilder();
        for (double ratio : ratios) {
            text.append(String.format(Locale.ROOT, "%.2f ", ratio));
        }
        return text.append(String.format(Locale.ROOT, "(median %.2f, min %.2f, max %.2f)",
                (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2, sorted[0],
                sorted[sorted.length - 1])).toString();
    }

    private static String load() throws IOException {
        String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return fields[0] + ", " + fields[1] + ", " + fields[2];
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("options are --pairs, --rounds, --warmup, --clients and"
                        + " --operations, each with a value; got " + Arrays.toString(args));
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    /** The writes of a round or a stage: all of them, and by request. */
    private static final class Sample {
        final Latencies all = new Latencies();
        final Map<String, Latencies> byRequest = new ConcurrentHashMap<>();

        void add(String request, long nanos) {
            all.add(nanos);
            byRequest.computeIfAbsent(request, r -> new Latencies()).add(nanos);
        }

        void addAll(Sample other) {
            all.addAll(other.all);
            other.byRequest.forEach((request, latencies) ->
                    byRequest.computeIfAbsent(request, r -> new Latencies()).addAll(latencies));
        }
    }

    /** Round-trip times in nanoseconds; thread-safe. */
    private static final class Latencies {
        private long[] nanos = new long[1024];
        private int size;

        synchronized void add(long value) {
            if (size == nanos.length) {
                nanos = Arrays.copyOf(nanos, size * 2);
            }
            nanos[size++] = value;
        }

        synchronized void addAll(Latencies other) {
            long[] values = other.values();
            for (long value : values) {
                add(value);
            }
        }

        synchronized long[] values() {
            return Arrays.copyOf(nanos, size);
        }

        synchronized int size() {
            return size;
        }

        double average() {
            return Arrays.stream(values()).average().orElse(Double.NaN) / 1e6;
        }

        /** @return the nearest-rank percentile, in milliseconds */
        double percentile(double p) {
            long[] sorted = values();
            if (sorted.length == 0) {
                return Double.NaN;
            }
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(p / 100 * sorted.length);
            return sorted[Math.max(0, rank - 1)] / 1e6;
        }

        String summary() {
            return String.format(Locale.ROOT, "%5d writes  avg %6.2f ms  p50 %6.2f ms  p99 %6.2f ms", size(),
                    average(), percentile(50), percentile(99));
        }
    }
}
