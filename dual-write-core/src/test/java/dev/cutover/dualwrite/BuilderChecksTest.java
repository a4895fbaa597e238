package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverConfigurationException;
import java.time.Duration;
import java.util.stream.Stream;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The dual-write core's builders refuse a bad setting in its setter, in the wording every module shares. */
class BuilderChecksTest {
    private static final String RANGE = ": set a value in that range";

    static Stream<Arguments> outOfRange() {
        RowCopier.Builder copier = RowCopier.builder(new JdbcDataSource(), new JdbcDataSource());
        BackfillConfig.Builder backfill = BackfillConfig.custom();
        return Stream.of(
                refused(() -> copier.statementTimeout(Duration.ofMillis(999)),
                        "statementTimeout must be between 1 s and 10 min, but was 999 ms"),
                refused(() -> copier.copyBudget(Duration.ofMinutes(11)), "copyBudget must be between 100 ms and 10 min, but was 11 min"),
                refused(() -> backfill.rowsPerSecond(10_000_001),
                        "rowsPerSecond must be between 0 and 10,000,000, but was 10,000,001"),
                refused(() -> backfill.chunkTime(Duration.ofMillis(9)), "chunkTime must be between 10 ms and 1 min, but was 9 ms"),
                refused(() -> backfill.chunkSize(1, 10, 100_001), "chunkSize max must be between 1 and 100,000, but was 100,001"),
                refused(() -> backfill.chunkSize(0, 10, 100), "chunkSize min must be between 1 and 100, but was 0"),
                refused(() -> backfill.chunkSize(10, 200, 100), "chunkSize initial must be between 10 and 100, but was 200"),
                refused(() -> backfill.backOffLatency(Duration.ofMillis(-1)),
                        "backOffLatency must be between 0 s and 1 min, but was -1 ms"),
                refused(() -> backfill.backOffLatencyRatio(1.0),
                        "backOffLatencyRatio must be 0 (off) or between 1.05 and 10, but was 1.0"),
                refused(() -> backfill.backOffLatencyRatio(Double.NaN),
                        "backOffLatencyRatio must be 0 (off) or between 1.05 and 10, but was NaN"),
                refused(() -> backfill.backOffBaselineWindow(Duration.ofMillis(49)),
                        "backOffBaselineWindow must be between 50 ms and 1 min, but was 49 ms"),
                refused(() -> backfill.backOffBaselineRefresh(Duration.ofHours(2)),
                        "backOffBaselineRefresh must be between 1 s and 1 h, but was 2 h"),
                refused(() -> backfill.backOffMinDutyCycle(0.001),
                        "backOffMinDutyCycle must be between 0.01 and 1, but was 0.001"),
                refused(() -> backfill.statementTimeout(Duration.ofMinutes(61)),
                        "statementTimeout must be between 1 s and 1 h, but was 61 min"),
                refused(() -> backfill.maxChunkAttempts(0), "maxChunkAttempts must be between 1 and 1,000, but was 0"),
                refused(() -> backfill.progressLogInterval(Duration.ofHours(2)),
                        "progressLogInterval must be between 1 s and 1 h, but was 2 h"));
    }

    private static Arguments refused(Executable setter, String message) {
        return Arguments.of(setter, message + RANGE);
    }

    @ParameterizedTest
    @MethodSource("outOfRange")
    void everySetter_refusesAValueOutOfRangeAtOnce(Executable setter, String message) {
        assertEquals(message, assertThrows(CutoverConfigurationException.class, setter).getMessage());
    }

    @Test
    void backfillConfig_fromKeepsEveryValue_andItsCanonicalConstructorChecksAsTheSettersDo() {
        BackfillConfig base = BackfillConfig.custom().rowsPerSecond(3).chunkTime(Duration.ofMillis(50)).chunkSize(5, 7, 11)
                .backOffLatency(Duration.ofMillis(13)).backOffLatencyRatio(2).backOffBaselineWindow(Duration.ofMillis(170))
                .backOffBaselineRefresh(Duration.ofSeconds(19)).backOffMinDutyCycle(0.23)
                .statementTimeout(Duration.ofSeconds(29)).maxChunkAttempts(31).progressLogInterval(Duration.ofSeconds(37))
                .build();
        assertEquals(base, BackfillConfig.from(base).build());
        assertEquals("chunkSize initial must be between 5 and 11, but was 12" + RANGE,
                assertThrows(CutoverConfigurationException.class, () -> new BackfillConfig(base.rowsPerSecond(),
                        base.chunkTime(), 12, base.minChunkSize(), base.maxChunkSize(), base.backOffLatency(),
                        base.backOffLatencyRatio(), base.backOffBaselineWindow(), base.backOffBaselineRefresh(),
                        base.backOffMinDutyCycle(), base.statementTimeout(), base.maxChunkAttempts(),
                        base.progressLogInterval())).getMessage());
        assertEquals("null chunkTime", assertThrows(NullPointerException.class, () -> new BackfillConfig(
                base.rowsPerSecond(), null, base.initialChunkSize(), base.minChunkSize(), base.maxChunkSize(),
                base.backOffLatency(), base.backOffLatencyRatio(), base.backOffBaselineWindow(),
                base.backOffBaselineRefresh(), base.backOffMinDutyCycle(), base.statementTimeout(),
                base.maxChunkAttempts(), base.progressLogInterval())).getMessage());
    }

    @Test
    void aRepositoryDefinitionError_isAConfigurationError_soOneCatchCoversEveryBuildError() {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> DualWrite.repository(Object.class));
        assertEquals(RepositoryDefinitionException.class, e.getClass());
    }

    @Test
    void rowCopierAndTableMapping_refuseDefinitionErrorsAsConfigurationErrors() {
        TableMapping accounts = TableMapping.builder("accounts").key("id", Long.class).column("balance").build();
        RowCopier.Builder copier = RowCopier.builder(new JdbcDataSource(), new JdbcDataSource()).mapping(accounts);
        assertEquals("Entity 'accounts' is mapped twice: add each entity's mapping once, and give different tables"
                + " different entity names", assertThrows(CutoverConfigurationException.class,
                        () -> copier.mapping(accounts)).getMessage());
        assertThrows(CutoverConfigurationException.class,
                () -> RowCopier.builder(new JdbcDataSource(), new JdbcDataSource()).build());
        assertThrows(CutoverConfigurationException.class, () -> TableMapping.builder("bad name"));
    }
}
