package dev.cutover.flags.openfeature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.flags.FlagStoreException;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Routing;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.openfeature.sdk.ProviderEvaluation;
import dev.openfeature.sdk.exceptions.GeneralError;
import dev.openfeature.sdk.providers.memory.Flag;
import dev.openfeature.sdk.providers.memory.InMemoryProvider;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OpenFeatureFlagStoreTest {

    /** The SDK's in-memory provider, with a switch that makes every string evaluation fail. */
    static final class SwitchableProvider extends InMemoryProvider {
        volatile boolean failing;

        SwitchableProvider(Map<String, Flag<?>> flags) {
            super(flags);
        }

        @Override
        public ProviderEvaluation<String> getStringEvaluation(String key, String defaultValue, EvaluationContext ctx) {
            if (failing) {
                throw new GeneralError("provider backend unreachable (test)");
            }
            return super.getStringEvaluation(key, defaultValue, ctx);
        }
    }

    private static Flag<Object> flag(Object value) {
        return Flag.builder().variant("current", value).defaultVariant("current").build();
    }

    private static Client client(SwitchableProvider provider) {
        String domain = "cutover-test-" + UUID.randomUUID();
        OpenFeatureAPI.getInstance().setProviderAndWait(domain, provider);
        return OpenFeatureAPI.getInstance().getClient(domain);
    }

    private static Map<String, Flag<?>> flags(Object... keyValues) {
        Map<String, Flag<?>> flags = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            flags.put((String) keyValues[i], flag(keyValues[i + 1]));
        }
        return flags;
    }

    @Test
    void readsStagePercentagesAndCanariesFromTheDocumentedFlagKeys() {
        SwitchableProvider provider = new SwitchableProvider(flags(
                "cutover.orders.stage", "shift-reads",
                "cutover.orders.target-read-percent", 12.5,
                "cutover.orders.shadow-read-percent", 50,
                "cutover.orders.target-keys", "tenant-1, tenant-2",
                "cutover.orders.source-keys", "vip"));
        OpenFeatureFlagStore store = OpenFeatureFlagStore.builder(client(provider)).migrations("orders", "payments").build();

        Map<String, MigrationState> states = store.loadAll();
        MigrationState orders = states.get("orders");
        assertEquals(Stage.SHIFT_READS, orders.stage());
        assertEquals(12.5, orders.targetReadPercent());
        assertEquals(50, orders.shadowReadPercent());
        assertEquals(Set.of("tenant-1", "tenant-2"), orders.targetKeys());
        assertEquals(Side.TARGET, Routing.readSide(orders, "tenant-2"));
        assertEquals(Side.SOURCE, Routing.readSide(orders, "vip"));
        assertEquals(MigrationState.initial("payments"), states.get("payments"));
        assertEquals("cutover.orders.stage", store.flagKey("orders", "stage"));
    }

    @Test
    void migrationFlags_pickUpAChangeInTheProvider_andRefuseFlipsSayingWhereToFlip() {
        SwitchableProvider provider = new SwitchableProvider(flags("cutover.orders.stage", "DUAL_WRITE"));
        OpenFeatureFlagStore store = OpenFeatureFlagStore.builder(client(provider)).migrations(List.of("orders")).build();
        try (MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(Duration.ofMillis(20)).build()) {
            assertEquals(Stage.DUAL_WRITE, flags.state("orders").stage());

            provider.updateFlag("cutover.orders.stage", flag("TARGET_PRIMARY"));
            awaitStage(flags, Stage.TARGET_PRIMARY);
            assertEquals(Stage.TARGET_PRIMARY, flags.state("orders").stage());

            UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
                    () -> flags.moveTo("orders", Stage.TARGET_ONLY, "alice", "finish"));
            assertTrue(refused.getMessage().contains("flip them in the flag provider"), refused.getMessage());
            assertTrue(refused.getMessage().contains("cutover.orders.stage"), refused.getMessage());
            assertEquals(List.of(), flags.audit("orders", 10));
        }
    }

    @Test
    void illegalProviderValues_keepTheLastGoodState_andAreCountedOnce() {
        SwitchableProvider provider = new SwitchableProvider(flags(
                "cutover.orders.stage", "SHIFT_READS", "cutover.orders.target-read-percent", 10.0));
        OpenFeatureFlagStore store = OpenFeatureFlagStore.builder(client(provider)).migrations("orders").build();
        MigrationState good = store.loadAll().get("orders");

        provider.updateFlag("cutover.orders.target-read-percent", flag(120.0));
        assertTrue(good.sameFlagsAs(store.loadAll().get("orders")));
        assertTrue(good.sameFlagsAs(store.loadAll().get("orders")));
        assertEquals(1, store.invalidValueCount());

        provider.updateFlag("cutover.orders.target-read-percent", flag(10.0));
        provider.updateFlag("cutover.orders.stage", flag("sideways"));
        assertTrue(good.sameFlagsAs(store.loadAll().get("orders")));
        assertEquals(2, store.invalidValueCount());

        provider.updateFlag("cutover.orders.stage", flag(true));
        assertTrue(good.sameFlagsAs(store.loadAll().get("orders")));
        assertEquals(3, store.invalidValueCount());

        provider.updateFlag("cutover.orders.stage", flag("TARGET_PRIMARY"));
        MigrationState fixed = store.loadAll().get("orders");
        assertEquals(Stage.TARGET_PRIMARY, fixed.stage());
        assertEquals(good.version() + 1, fixed.version());
    }

    @Test
    void providerFailure_failsTheLoad_soMigrationFlagsServeTheirLastSnapshot() {
        SwitchableProvider provider = new SwitchableProvider(flags("cutover.orders.stage", "DUAL_WRITE"));
        OpenFeatureFlagStore store = OpenFeatureFlagStore.builder(client(provider)).migrations("orders").build();
        try (MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(Duration.ofMillis(20)).build()) {
            provider.failing = true;
            FlagStoreException e = assertThrows(FlagStoreException.class, store::loadAll);
            assertTrue(e.getMessage().contains("cutover.orders.stage"), e.getMessage());
            flags.refresh();
            assertEquals(Stage.DUAL_WRITE, flags.state("orders").stage());
            assertEquals(1, flags.outageCount());

            provider.updateFlag("cutover.orders.stage", flag("SHIFT_READS"));
            provider.failing = false;
            awaitStage(flags, Stage.SHIFT_READS);
            assertEquals(Stage.SHIFT_READS, flags.state("orders").stage());
        }
    }

    @Test
    void builder_requiresMigrationsAndChecksNamesAndPrefix() {
        SwitchableProvider provider = new SwitchableProvider(flags());
        Client client = client(provider);
        CutoverConfigurationException none = assertThrows(CutoverConfigurationException.class,
                () -> OpenFeatureFlagStore.builder(client).build());
        assertTrue(none.getMessage().startsWith("migrations must name at least one migration"), none.getMessage());
        assertThrows(CutoverConfigurationException.class, () -> OpenFeatureFlagStore.builder(client).migrations("bad name"));
        CutoverConfigurationException prefix = assertThrows(CutoverConfigurationException.class,
                () -> OpenFeatureFlagStore.builder(client).keyPrefix("team."));
        assertEquals("keyPrefix must be 1 to 64 letters, digits, '_', '.' or '-' and not end in '.', but was 'team.':"
                + " use the prefix of the flag keys in your OpenFeature provider, such as cutover", prefix.getMessage());
        OpenFeatureFlagStore store = OpenFeatureFlagStore.builder(client).keyPrefix("payments.cutover").migrations("orders").build();
        assertEquals("payments.cutover.orders.stage", store.flagKey("orders", "stage"));
    }

    private static void awaitStage(MigrationFlags flags, Stage stage) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (flags.state("orders").stage() != stage && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
