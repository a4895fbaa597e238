package dev.cutover.flags.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagChange;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.FlagStoreException;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MigrationFlagsMetricsTest {

    @Test
    void gaugesFollowEachMigration_andCountersCountFlips() {
        FlagStore store = FlagStore.inMemory();
        try (MigrationFlags flags = MigrationFlags.builder(store).declare("orders", "payments").build()) {
            flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "known before binding");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new MigrationFlagsMetrics(flags).bindTo(registry);

            assertEquals(1.0, registry.get("cutover.flags.stage").tag("migration", "orders").gauge().value());
            flags.moveTo("orders", Stage.SHIFT_READS, "alice", "shift");
            flags.setTargetReadPercent("orders", 12.5, "alice", "more");
            flags.setShadowReadPercent("orders", 5, "alice", "compare");
            assertEquals(2.0, registry.get("cutover.flags.stage").tag("migration", "orders").gauge().value());
            assertEquals(12.5, registry.get("cutover.flags.target.read.percent").tag("migration", "orders").gauge().value());
            assertEquals(5.0, registry.get("cutover.flags.shadow.read.percent").tag("migration", "orders").gauge().value());
            assertEquals(4.0, registry.get("cutover.flags.flips").tag("migration", "orders").functionCounter().count());

            flags.forceMoveTo("payments", Stage.TARGET_ONLY, "bob", "appears after binding");
            assertEquals(4.0, registry.get("cutover.flags.stage").tag("migration", "payments").gauge().value());
            assertEquals(1.0, registry.get("cutover.flags.flips").tag("migration", "payments").functionCounter().count());
            assertEquals(0.0, registry.get("cutover.flags.store.errors").functionCounter().count());
            assertNotNull(registry.get("cutover.flags.invalid.values").functionCounter());
        }
    }

    /**
     * Every flip reaches the binder's listener; registering a migration's gauges again at each one made
     * Micrometer 1.13.9 and later log "This Gauge has been already registered" (seen in the Spring Boot starter).
     */
    @Test
    void flips_registerAMigrationsMetersOnce() {
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare("orders").build()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            java.util.concurrent.atomic.AtomicInteger stageRegistrations = new java.util.concurrent.atomic.AtomicInteger();
            registry.config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
                @Override
                public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
                    if (id.getName().equals("cutover.flags.stage")) {
                        stageRegistrations.incrementAndGet();
                    }
                    return id;
                }
            });
            new MigrationFlagsMetrics(flags).bindTo(registry);
            flags.moveTo("orders", Stage.DUAL_WRITE, "alice", "one");
            flags.moveTo("orders", Stage.SHIFT_READS, "alice", "two");
            flags.setTargetReadPercent("orders", 10, "alice", "three");

            assertEquals(1, stageRegistrations.get());
            assertEquals(2.0, registry.get("cutover.flags.stage").tag("migration", "orders").gauge().value());
        }
    }

    @Test
    void storeErrorsAndOutages_areCounted() {
        FlagStore broken = new FlagStore() {
            @Override
            public Map<String, MigrationState> loadAll() {
                throw new FlagStoreException("down (test)");
            }

            @Override
            public MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
                throw new FlagStoreException("down (test)");
            }

            @Override
            public List<FlagChange> audit(String migration, int limit) {
                throw new FlagStoreException("down (test)");
            }
        };
        try (MigrationFlags flags = MigrationFlags.builder(broken).startDuringStoreOutage(true).build()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new MigrationFlagsMetrics(flags).bindTo(registry);
            flags.refresh();
            flags.refresh();
            assertTrue(registry.get("cutover.flags.store.errors").functionCounter().count() >= 3);
            assertEquals(1.0, registry.get("cutover.flags.store.outages").functionCounter().count());
            assertEquals(0.0, registry.get("cutover.flags.vanished").functionCounter().count());
        }
    }
}
