package dev.cutover.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the chosen benchmarks and writes their results as JMH JSON and as a Markdown table in which
 * every case is set against the {@code baseline} method of its own class (same parameters), run in
 * the same process.
 *
 * <p>Run everything, or only the benchmarks whose names match the given regular expressions, with
 * any parameter set as JMH's own {@code -p} does:
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests &amp;&amp; java -jar benchmarks/target/benchmarks.jar [-p name=v1,v2 ...] [regex ...]
 * </pre>
 * Results go to {@code benchmarks/target/results.json} and {@code benchmarks/target/results.md}
 * ({@code -Dcutover.bench.out=DIR} to change). Each benchmark runs in one fork with 2 warm-up
 * iterations of 2 s and 3 measured iterations of 3 s (single-shot benchmarks: 2 and 3 shots), which
 * keeps the whole set under 20 minutes on a 2-core machine; pass {@code -Dcutover.bench.iterations=N}
 * for tighter error bars. For sample-time benchmarks the table also gives p50 and p99 and the ratio
 * of p50 to the baseline's p50. Other modes' secondary results (auxiliary counters such as the
 * backfill's {@code rows}) get a row of their own, set against the same secondary result of the baseline.
 */
public final class RunBenchmarks {
    private RunBenchmarks() {
    }

    /**
     * Runs the benchmarks.
     *
     * @param args regular expressions of benchmark names (all benchmarks when none), and
     *     {@code -p name=v1,v2} pairs that replace a parameter's values
     * @throws RunnerException if JMH fails
     * @throws IOException if the results cannot be written
     */
    public static void main(String[] args) throws RunnerException, IOException {
        Path out = Path.of(System.getProperty("cutover.bench.out", "benchmarks/target"));
        Files.createDirectories(out);
        int iterations = Integer.getInteger("cutover.bench.iterations", 3);
        ChainedOptionsBuilder options = new OptionsBuilder()
                .forks(1)
                .warmupIterations(2)
                .warmupTime(TimeValue.seconds(2))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(3))
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("results.json").toString());
        List<String> regexes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-p")) {
                if (i + 1 == args.length || !args[i + 1].contains("=")) {
                    throw new IllegalArgumentException("-p needs name=value[,value...], e.g. -p rows=1000000");
                }
                String[] param = args[++i].split("=", 2);
                options.param(param[0], param[1].split(","));
            } else {
                regexes.add(args[i]);
            }
        }
        if (regexes.isEmpty()) {
            options.include("dev\\.cutover\\.benchmarks\\..*");
        }
        regexes.forEach(options::include);
        Collection<RunResult> results = new Runner(options.build()).run();
        String table = markdown(results);
        Files.writeString(out.resolve("results.md"), table, StandardCharsets.UTF_8);
        System.out.println();
        System.out.println(table);
    }

    static String markdown(Collection<RunResult> results) {
        Map<String, Double> baselines = new LinkedHashMap<>();
        Map<String, Double> baselineMedians = new LinkedHashMap<>();
        Map<String, Result<?>> baselineSecondaries = new LinkedHashMap<>();
        List<RunResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparing(RunBenchmarks::group).thenComparing(r -> method(r).startsWith("baseline") ? 0 : 1)
                .thenComparing(RunBenchmarks::method));
        for (RunResult r : sorted) {
            if (method(r).startsWith("baseline")) {
                baselines.putIfAbsent(group(r), r.getPrimaryResult().getScore());
                baselineMedians.putIfAbsent(group(r), r.getPrimaryResult().getStatistics().getPercentile(50));
                for (String label : auxiliaryLabels(r)) {
                    baselineSecondaries.putIfAbsent(group(r) + "|" + label, r.getSecondaryResults().get(label));
                }
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(Runtime.getRuntime().maxMemory() / (1024 * 1024)).append(" MiB max heap, Java ")
                .append(System.getProperty("java.version")).append(", ").append(LocalDate.now()).append("\n\n");
        md.append("| benchmark | params | case | mode | score | error | unit | ratio to baseline | p50 | p99 | p50 ratio |\n");
        md.append("|---|---|---|---|---:|---:|---|---:|---:|---:|---:|\n");
        for (RunResult r : sorted) {
            Result<?> primary = r.getPrimaryResult();
            Double baseline = baselines.get(group(r));
            String ratio = baseline == null || baseline == 0 ? "" : String.format(Locale.ROOT, "%.3f", primary.getScore() / baseline);
            md.append("| ").append(simpleClass(r))
                    .append(" | ").append(params(r))
                    .append(" | ").append(method(r))
                    .append(" | ").append(r.getParams().getMode().shortLabel())
                    .append(" | ").append(format(primary.getScore()))
                    .append(" | ").append(format(primary.getScoreError()))
                    .append(" | ").append(primary.getScoreUnit())
                    .append(" | ").append(ratio)
                    .append(" | ").append(percentile(r, 0.5))
                    .append(" | ").append(percentile(r, 0.99))
                    .append(" | ").append(medianRatio(r, baselineMedians.get(group(r))))
                    .append(" |\n");
            for (String label : auxiliaryLabels(r)) {
                Result<?> secondary = r.getSecondaryResults().get(label);
                Result<?> baselineSecondary = baselineSecondaries.get(group(r) + "|" + label);
                double score = secondary.getScore();
                String secondaryRatio = baselineSecondary == null || baselineSecondary.getScore() == 0 ? ""
                        : String.format(Locale.ROOT, "%.3f", score / baselineSecondary.getScore());
                md.append("| ").append(simpleClass(r))
                        .append(" | ").append(params(r))
                        .append(" | ").append(method(r)).append(" (").append(label).append(')')
                        .append(" | ").append(r.getParams().getMode().shortLabel())
                        .append(" | ").append(format(score))
                        .append(" | ").append(format(secondary.getScoreError()))
                        .append(" | ").append(secondary.getScoreUnit())
                        .append(" | ").append(secondaryRatio)
                        .append(" |  |  |  |\n");
            }
        }
        return md.toString();
    }

    /** Secondary results other than sample time's percentiles, which the p50 and p99 columns already show. */
    private static List<String> auxiliaryLabels(RunResult r) {
        if (r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.SampleTime) {
            return List.of();
        }
        return new ArrayList<>(r.getSecondaryResults().keySet());
    }

    private static String percentile(RunResult r, double p) {
        if (r.getParams().getMode() != org.openjdk.jmh.annotations.Mode.SampleTime) {
            return "";
        }
        return format(r.getPrimaryResult().getStatistics().getPercentile(p * 100));
    }

    private static String medianRatio(RunResult r, Double baselineMedian) {
        if (r.getParams().getMode() != org.openjdk.jmh.annotations.Mode.SampleTime || baselineMedian == null
                || baselineMedian == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.3f", r.getPrimaryResult().getStatistics().getPercentile(50) / baselineMedian);
    }

    private static String group(RunResult r) {
        return simpleClass(r) + "|" + params(r);
    }

    private static String simpleClass(RunResult r) {
        String benchmark = r.getParams().getBenchmark();
        String cls = benchmark.substring(0, benchmark.lastIndexOf('.'));
        return cls.substring(cls.lastIndexOf('.') + 1);
    }

    private static String method(RunResult r) {
        String benchmark = r.getParams().getBenchmark();
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    private static String params(RunResult r) {
        StringBuilder s = new StringBuilder();
        for (String key : r.getParams().getParamsKeys()) {
            if (s.length() > 0) {
                s.append(", ");
            }
            s.append(key).append('=').append(r.getParams().getParam(key));
        }
        return s.toString();
    }

    private static String format(double value) {
        if (Double.isNaN(value)) {
            return "";
        }
        return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.3f", value);
    }
}
