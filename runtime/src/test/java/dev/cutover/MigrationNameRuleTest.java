package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.MirrorMode;
import dev.cutover.dualwrite.micrometer.BackfillMetrics;
import dev.cutover.dualwrite.micrometer.DualWriteMetrics;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.verifier.Verifier;
import dev.cutover.verifier.micrometer.VerifierMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every module that takes a migration name refuses an illegal one the same way: one exception type,
 * one message naming the rule, the name and a legal name to use instead (issue #13: the verifier
 * took any non-blank name, and the flags threw IllegalArgumentException where builders threw
 * CutoverConfigurationException).
 */
class MigrationNameRuleTest {
    private static final String ILLEGAL = "shop orders";
    private static final String MESSAGE = "migration name must be 1 to 64 ASCII letters, digits, '_', '.' or '-',"
            + " but was 'shop orders': name the migration with those characters only, such as 'shop-orders'";

    @Test
    void everyEntryPointThatTakesAMigrationName_refusesAnIllegalOneWithTheSameError() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:names;DB_CLOSE_DELAY=-1");
        JdbcDataSource other = new JdbcDataSource();
        other.setURL("jdbc:h2:mem:names-target;DB_CLOSE_DELAY=-1");
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
            Map<String, Executable> entryPoints = new LinkedHashMap<>();
            entryPoints.put("MigrationState.builder", () -> MigrationState.builder(ILLEGAL));
            entryPoints.put("MigrationFlags.declare", () -> flags.declare(ILLEGAL));
            entryPoints.put("NewRetryEntry.resync", () -> NewRetryEntry.resync(ILLEGAL, "orders", "1"));
            entryPoints.put("ReadRouter.builder", () -> ReadRouter.builder(flags, ILLEGAL));
            entryPoints.put("DualWriteMetrics", () -> new DualWriteMetrics(new DualWriteCounters(), ILLEGAL));
            entryPoints.put("BackfillMetrics", () -> new BackfillMetrics(ILLEGAL));
            entryPoints.put("Verifier.repairWith", () -> Verifier.builder(h2, other).repairWith(RetryStore.inMemory(), ILLEGAL));
            entryPoints.put("VerifierMetrics", () -> new VerifierMetrics(ILLEGAL));
            entryPoints.put("Cutover.Builder.mirrorMode",
                    () -> Cutover.builder(h2, other).mirrorMode(ILLEGAL, MirrorMode.SYNC));
            for (Map.Entry<String, Executable> entryPoint : entryPoints.entrySet()) {
                CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class, entryPoint.getValue(),
                        entryPoint.getKey());
                assertEquals(MESSAGE, e.getMessage(), entryPoint.getKey());
            }
        }
    }
}
