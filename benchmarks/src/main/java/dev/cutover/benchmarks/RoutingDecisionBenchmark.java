package dev.cutover.benchmarks;

import com.launchdarkly.sdk.LDContext;
import com.launchdarkly.sdk.LDValue;
import com.launchdarkly.sdk.server.Components;
import com.launchdarkly.sdk.server.LDClient;
import com.launchdarkly.sdk.server.LDConfig;
import com.launchdarkly.sdk.server.MigrationStage;
import com.launchdarkly.sdk.server.integrations.TestData;
import com.launchdarkly.sdk.server.migrations.Migration;
import com.launchdarkly.sdk.server.migrations.MigrationBuilder;
import com.launchdarkly.sdk.server.migrations.MigrationMethodResult;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Routing;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of deciding where one read goes: Cutover's flag snapshot plus sticky bucketing, against
 * a plain field read (the floor) and against LaunchDarkly's migration read path evaluating a
 * migration flag from its offline {@code TestData} source with in-process no-op origins.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar RoutingDecision}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingDecisionBenchmark {
    private static final String MIGRATION = "customers";
    private static final int KEYS = 1024;

    private volatile Side configuredSide = Side.SOURCE;
    private final String[] keys = new String[KEYS];
    private final LDContext[] contexts = new LDContext[KEYS];
    private MigrationFlags flags;
    private LDClient launchDarkly;
    private Migration<String, String, String, String> launchDarklyMigration;

    /** Per-thread position in the key ring, so every call routes another key. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int advance() {
            return next++ & (KEYS - 1);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < KEYS; i++) {
            keys[i] = "customer-" + i;
            contexts[i] = LDContext.create(keys[i]);
        }
        // An in-memory flag store, not the Cutover runtime: this measures the routing decision alone,
        // in nanoseconds, without the runtime's flag refresher querying a database beside it.
        flags = MigrationFlags.builder(FlagStore.inMemory()).declare(MIGRATION).build();
        flags.forceMoveTo(MIGRATION, Stage.SHIFT_READS, "benchmark", "routing benchmark");
        flags.setTargetReadPercent(MIGRATION, 30, "benchmark", "routing benchmark");

        TestData testData = TestData.dataSource();
        testData.update(testData.flag(MIGRATION)
                .variations(LDValue.of("off"), LDValue.of("dualwrite"), LDValue.of("shadow"),
                        LDValue.of("live"), LDValue.of("rampdown"), LDValue.of("complete"))
                .variationForAll(1));
        LDConfig config = new LDConfig.Builder()
                .dataSource(testData)
                .events(Components.noEvents())
                .diagnosticOptOut(true)
                .logging(Components.noLogging())
                .build();
        launchDarkly = new LDClient("benchmark-sdk-key", config);
        launchDarklyMigration = new MigrationBuilder<String, String, String, String>(launchDarkly)
                .read(MigrationMethodResult::Success, MigrationMethodResult::Success)
                .write(MigrationMethodResult::Success, MigrationMethodResult::Success)
                .build()
                .orElseThrow(() -> new IllegalStateException("LaunchDarkly migration did not build"));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        flags.close();
        launchDarkly.close();
    }

    @Benchmark
    public Side baseline_plainFieldRead() {
        return configuredSide;
    }

    @Benchmark
    public Side cutover_routingDecision(Cursor cursor) {
        return Routing.readSide(flags.state(MIGRATION), keys[cursor.advance()]);
    }

    @Benchmark
    public Object launchDarkly_migrationRead(Cursor cursor) {
        int i = cursor.advance();
        return launchDarklyMigration.read(MIGRATION, contexts[i], MigrationStage.OFF, keys[i]).getResult();
    }
}
