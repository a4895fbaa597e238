package dev.cutover.flags.micrometer;

import dev.cutover.flags.MigrationFlags;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;

/**
 * Publishes {@link MigrationFlags} to Micrometer: {@code new MigrationFlagsMetrics(flags).bindTo(registry)}.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>value</th></tr>
 *   <tr><td>{@code cutover.flags.stage}</td><td>gauge</td><td>{@code migration}</td>
 *       <td>stage ordinal: 0 SOURCE_ONLY, 1 DUAL_WRITE, 2 SHIFT_READS, 3 TARGET_PRIMARY, 4 TARGET_ONLY</td></tr>
 *   <tr><td>{@code cutover.flags.target.read.percent}</td><td>gauge</td><td>{@code migration}</td>
 *       <td>percentage of reads served by the target, 0 to 100</td></tr>
 *   <tr><td>{@code cutover.flags.shadow.read.percent}</td><td>gauge</td><td>{@code migration}</td>
 *       <td>percentage of reads shadow-compared, 0 to 100</td></tr>
 *   <tr><td>{@code cutover.flags.flips}</td><td>counter</td><td>{@code migration}</td>
 *       <td>flips stored through this instance</td></tr>
 *   <tr><td>{@code cutover.flags.store.errors}</td><td>counter</td><td></td>
 *       <td>failed loads of the flag store, loads that overran the load timeout included</td></tr>
 *   <tr><td>{@code cutover.flags.store.outages}</td><td>counter</td><td></td>
 *       <td>store outages begun (a run of failed loads counts once)</td></tr>
 *   <tr><td>{@code cutover.flags.invalid.values}</td><td>counter</td><td></td>
 *       <td>illegal stored values rejected (each distinct problem once)</td></tr>
 *   <tr><td>{@code cutover.flags.vanished}</td><td>counter</td><td></td>
 *       <td>migrations whose stored flags vanished while past SOURCE_ONLY (each kept its last known state)</td></tr>
 * </table>
 *
 * <p>Per-migration meters are registered for the migrations known when binding and for every
 * migration that appears later. This class is the only one in the module that uses Micrometer,
 * which is an optional dependency. Thread-safe.
 */
// Micrometer is optional (requires static): an application that binds meters requires it itself.
@SuppressWarnings("exports")
public final class MigrationFlagsMetrics implements MeterBinder {
    private static final String TAG = "migration";

    private final MigrationFlags flags;
    /** The registries and migrations whose meters this binder registered. */
    private final java.util.Set<java.util.Map.Entry<MeterRegistry, String>> bound =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Creates the binder.
     *
     * @param flags the flags to publish
     */
    public MigrationFlagsMetrics(MigrationFlags flags) {
        this.flags = Objects.requireNonNull(flags, "null flags");
    }

    /**
     * Registers the meters, and a listener on the flags that registers those of migrations that
     * appear later.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "null registry");
        FunctionCounter.builder("cutover.flags.store.errors", flags, MigrationFlags::storeErrorCount)
                .description("Failed loads of the migration flag store").register(registry);
        FunctionCounter.builder("cutover.flags.store.outages", flags, MigrationFlags::outageCount)
                .description("Migration flag store outages begun").register(registry);
        FunctionCounter.builder("cutover.flags.invalid.values", flags, MigrationFlags::invalidValueCount)
                .description("Illegal stored flag values rejected").register(registry);
        FunctionCounter.builder("cutover.flags.vanished", flags, MigrationFlags::vanishedCount)
                .description("Migrations whose stored flags vanished while past SOURCE_ONLY").register(registry);
        flags.addListener((before, after) -> bindMigration(registry, after.migration()));
        for (String migration : flags.migrations()) {
            bindMigration(registry, migration);
        }
    }

    private void bindMigration(MeterRegistry registry, String migration) {
        // The listener hears every flip; Micrometer (1.13.9 on) logs a WARN for a gauge registered twice.
        if (!bound.add(java.util.Map.entry(registry, migration))) {
            return;
        }
        Gauge.builder("cutover.flags.stage", flags, f -> f.state(migration).stage().ordinal())
                .tag(TAG, migration).description("Migration stage ordinal (0 SOURCE_ONLY .. 4 TARGET_ONLY)")
                .register(registry);
        Gauge.builder("cutover.flags.target.read.percent", flags, f -> f.state(migration).targetReadPercent())
                .tag(TAG, migration).description("Percentage of reads served by the target").register(registry);
        Gauge.builder("cutover.flags.shadow.read.percent", flags, f -> f.state(migration).shadowReadPercent())
                .tag(TAG, migration).description("Percentage of reads shadow-compared").register(registry);
        FunctionCounter.builder("cutover.flags.flips", flags, f -> f.flipCount(migration))
                .tag(TAG, migration).description("Flips stored through this instance").register(registry);
    }
}
