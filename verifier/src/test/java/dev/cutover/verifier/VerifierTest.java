package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Side;
import dev.cutover.queue.RetryEntry;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.RowDifference.Kind;
import dev.cutover.verifier.micrometer.VerifierMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The verifier on H2: each comparison method, composite keys, bad input, stop and resume, the JSON report. */
class VerifierTest {
    private static final VerifierConfig QUICK = VerifierConfig.custom().chunkSize(300).recheckDelay(Duration.ZERO)
            .recheckAttempts(1).timestampPrecision(ChronoUnit.MILLIS).build();

    @Test
    void sameEngine_checksumsChunks_andReportsEachPlantedKeyOnce() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "h2src"); TestDatabase target = TestDatabases.create(Engine.H2, "h2tgt")) {
            ItemTables.create(source, 2_000);
            ItemTables.create(target, 2_000);
            source.execute("DELETE FROM item WHERE id = 1999");
            target.execute("DELETE FROM item WHERE id = 1",
                    "INSERT INTO item VALUES (5000, 'extra', 1, TIMESTAMP '2024-01-01 00:00:00', NULL, TRUE)",
                    "UPDATE item SET note = NULL, active = NOT active WHERE id = 701",
                    "UPDATE item SET created = created + INTERVAL '0.0002' SECOND WHERE id = 900");
            RetryStore repairs = RetryStore.inMemory();
            List<Progress> progress = new ArrayList<>();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(ItemTables.sameMapping()).config(QUICK).progressListener(progress::add)
                    .repairWith(repairs, "items").build().run();

            TableReport table = report.table("items");
            assertEquals(ComparisonMethod.DATABASE_CHECKSUM, table.method());
            assertEquals(List.of(new RowDifference("1", Kind.MISSING_ON_TARGET, List.of()),
                    new RowDifference("701", Kind.DIFFERENT_VALUES, List.of("note", "active")),
                    new RowDifference("1999", Kind.EXTRA_ON_TARGET, List.of()),
                    new RowDifference("5000", Kind.EXTRA_ON_TARGET, List.of())), table.differences());
            assertEquals(1_999, table.rowsCompared());
            assertEquals(7, table.chunks());
            assertEquals(List.of("1"), table.missingOnTarget().stream().map(RowDifference::key).toList());
            assertEquals(List.of("1999", "5000"), table.extraOnTarget().stream().map(RowDifference::key).toList());
            assertEquals(List.of("701"), table.differentValues().stream().map(RowDifference::key).toList());
            assertEquals(4, repairs.pendingCount());
            assertEquals(7, progress.size());
            Progress last = progress.get(progress.size() - 1);
            assertEquals(1_999, last.rowsDone());
            assertEquals(1_999, last.rowsTotal());
            assertEquals(Duration.ZERO, last.estimatedRemaining());
            assertEquals(4, last.differences());

            JsonNode json = new ObjectMapper().readTree(report.toJson());
            assertEquals(report.runId(), json.get("runId").asText());
            assertEquals(4, json.get("differences").asLong());
            JsonNode jsonTable = json.get("tables").get(0);
            assertEquals("DATABASE_CHECKSUM", jsonTable.get("method").asText());
            assertEquals(1, jsonTable.get("missingOnTarget").asInt());
            assertEquals(2, jsonTable.get("extraOnTarget").asInt());
            assertEquals("701", jsonTable.get("differences").get(1).get("key").asText());
            assertEquals("active", jsonTable.get("differences").get(1).get("columns").get(1).asText());
        }
    }

    @Test
    void convertingMapping_comparesConvertedValuesByKey_andFindsExtrasByWalkingTheTarget() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "convsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "convtgt")) {
            source.execute("CREATE TABLE price (sku VARCHAR(20) PRIMARY KEY, amount NUMERIC(10,2))",
                    "INSERT INTO price SELECT 'sku-' || X, X / 4.0 FROM SYSTEM_RANGE(1, 1000)");
            target.execute("CREATE TABLE prices (code VARCHAR(20) PRIMARY KEY, cents BIGINT)",
                    "INSERT INTO prices SELECT 'sku-' || X, X * 25 FROM SYSTEM_RANGE(1, 1000)",
                    "DELETE FROM prices WHERE code = 'sku-10'",
                    "UPDATE prices SET cents = cents + 1 WHERE code = 'sku-500'",
                    "INSERT INTO prices VALUES ('aaa-extra', 1), ('zzz-extra', 2)");
            TableMapping mapping = TableMapping.builder("prices").sourceTable("price").targetTable("prices")
                    .key("sku", "code", String.class)
                    .column("amount", "cents", v -> v == null ? null : ((BigDecimal) v).movePointRight(2).longValueExact(),
                            v -> v == null ? null : BigDecimal.valueOf((Long) v, 2))
                    .build();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping)
                    .config(QUICK).build().run();

            TableReport table = report.table("prices");
            assertEquals(ComparisonMethod.KEY_LOOKUP_STREAM, table.method());
            assertEquals(Set.of(new RowDifference("sku-10", Kind.MISSING_ON_TARGET, List.of()),
                    new RowDifference("sku-500", Kind.DIFFERENT_VALUES, List.of("cents")),
                    new RowDifference("aaa-extra", Kind.EXTRA_ON_TARGET, List.of()),
                    new RowDifference("zzz-extra", Kind.EXTRA_ON_TARGET, List.of())), Set.copyOf(table.differences()));
            assertEquals(1_000, table.rowsCompared());
            assertTrue(report.completed());
        }
    }

    @Test
    void compositeKeys_walkInRowValueOrder() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "pairsrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "pairtgt")) {
            String create = "CREATE TABLE pair (a INT, b VARCHAR(10), v INT, PRIMARY KEY (a, b))";
            String fill = "INSERT INTO pair SELECT MOD(X, 10), 'b' || X, X FROM SYSTEM_RANGE(1, 500)";
            source.execute(create, fill);
            target.execute(create, fill, "UPDATE pair SET v = -1 WHERE a = 3 AND b = 'b33'", "DELETE FROM pair WHERE a = 9 AND b = 'b499'");
            TableMapping mapping = TableMapping.builder("pairs").sourceTable("pair").key("a", Integer.class)
                    .key("b", String.class).column("v").build();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping)
                    .config(VerifierConfig.from(QUICK).chunkSize(7).build()).build().run();

            assertEquals(List.of(new RowDifference("3,b33", Kind.DIFFERENT_VALUES, List.of("v")),
                    new RowDifference("9,b499", Kind.MISSING_ON_TARGET, List.of())), report.table("pairs").differences());
            assertEquals(500, report.rowsCompared());
            assertEquals(72, report.table("pairs").chunks());
        }
    }

    @Test
    void badMappings_areReportedTogether_beforeAnyRowIsRead() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "badsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "badtgt")) {
            source.execute("CREATE TABLE heap (id BIGINT, v INT)", "CREATE TABLE good (id BIGINT PRIMARY KEY, v INT, label VARCHAR(10))");
            target.execute("CREATE TABLE heap (id BIGINT PRIMARY KEY, v INT)", "CREATE TABLE good (id BIGINT PRIMARY KEY, v INT, label INT)");
            List<Progress> progress = new ArrayList<>();
            Verifier verifier = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(TableMapping.builder("heap").sourceTable("heap").key("id", Long.class).column("v").build())
                    .mapping(TableMapping.builder("good").sourceTable("good").key("id", Long.class).column("v").column("w")
                            .column("label").build())
                    .mapping(TableMapping.builder("gone").sourceTable("gone").key("id", Long.class).build())
                    .progressListener(progress::add).build();

            VerificationSetupException e = assertThrows(VerificationSetupException.class, verifier::run);
            assertEquals(List.of(
                    "source table heap of heap has no primary key: the verifier walks tables in key order, so add a primary key on (id)",
                    "column w is not in the source table good of good (it has ID, V, LABEL): fix the mapping",
                    "column w is not in the target table good of good (it has ID, V, LABEL): fix the mapping",
                    "source table gone of gone does not exist: create it, or fix the mapping's table name",
                    "target table gone of gone does not exist: create it, or fix the mapping's table name"), e.problems());
            assertEquals(List.of(), progress);

            Verifier typed = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(TableMapping.builder("good").sourceTable("good").key("id", Long.class).column("v").column("label").build())
                    .build();
            assertEquals(List.of("columns good.LABEL (CHARACTER VARYING) and good.LABEL (INTEGER) of good cannot hold the same"
                    + " values: change one type, or map the column with a conversion"
                    + " (TableMapping.Builder.column(source, target, toTarget, toSource))"),
                    assertThrows(VerificationSetupException.class, typed::validate).problems());
        }
    }

    @Test
    void stoppedRun_resumesAfterItsLastFinishedChunk() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "stopsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "stoptgt")) {
            ItemTables.create(source, 3_000);
            ItemTables.create(target, 3_000);
            target.execute("DELETE FROM item WHERE id IN (10, 2900)");
            List<Progress> progress = new ArrayList<>();
            Verifier[] verifier = new Verifier[1];
            verifier[0] = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(ItemTables.sameMapping())
                    .config(QUICK).progressListener(p -> {
                        progress.add(p);
                        if (p.rowsDone() == 1_200) {
                            verifier[0].stop();
                        }
                    }).build();

            VerificationReport stopped = verifier[0].run();
            assertFalse(stopped.completed());
            assertFalse(stopped.isClean());
            assertEquals(1_200, stopped.rowsCompared());
            assertEquals(List.of(new RowDifference("10", Kind.MISSING_ON_TARGET, List.of())), stopped.table("items").differences());

            progress.clear();
            VerificationReport resumed = verifier[0].resume(stopped.runId());
            assertEquals(1_500, progress.get(0).rowsDone(), "the first chunk after the stop is the fifth");
            assertTrue(resumed.completed());
            assertEquals(3_000, resumed.rowsCompared());
            assertEquals(11, resumed.table("items").chunks(), "ten chunks and the open-ended one after the last key");
            assertEquals(List.of(new RowDifference("10", Kind.MISSING_ON_TARGET, List.of()),
                    new RowDifference("2900", Kind.MISSING_ON_TARGET, List.of())), resumed.table("items").differences());
            assertThrows(IllegalArgumentException.class, () -> verifier[0].resume("no-such-run"));
        }
    }

    @Test
    void repairStore_receivesOneResyncEntryPerDifferingKey() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "repsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "reptgt")) {
            ItemTables.create(source, 100);
            ItemTables.create(target, 100);
            target.execute("UPDATE item SET name = 'x' WHERE id = 42");
            RetryStore store = RetryStore.inMemory();
            Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(ItemTables.sameMapping()).config(QUICK)
                    .repairWith(store, "items").build().run();
            List<RetryEntry> claimed = store.claim("test", Instant.now().plusSeconds(1), 10, Duration.ofMinutes(1)).entries();
            assertEquals(1, claimed.size());
            assertEquals("items", claimed.get(0).migration());
            assertEquals("items", claimed.get(0).entity());
            assertEquals("42", claimed.get(0).key());
            assertEquals("resync", claimed.get(0).operation());
        }
    }

    @Test
    void differencesBeyondTheListingLimit_areCountedAndRepaired_butNotListed() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "capsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "captgt")) {
            ItemTables.create(source, 1_000);
            ItemTables.create(target, 1_000);
            target.execute("DELETE FROM item WHERE id BETWEEN 101 AND 150");
            RetryStore repairs = RetryStore.inMemory();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(ItemTables.sameMapping()).config(VerifierConfig.from(QUICK).maxListedDifferences(10).build())
                    .repairWith(repairs, "items").build().run();
            TableReport table = report.table("items");
            assertEquals(10, table.differences().size());
            assertEquals("101", table.differences().get(0).key());
            assertEquals(40, table.unlistedDifferences());
            assertEquals(50, report.differenceCount());
            assertEquals(50, table.repairsQueued());
            assertEquals(50, repairs.pendingCount());
            assertEquals(40, new ObjectMapper().readTree(report.toJson()).get("tables").get(0).get("unlistedDifferences").asInt());
        }
    }

    @Test
    void rowsPerSecond_holdsTheRunAtOrBelowTheLimit() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "slowsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "slowtgt")) {
            ItemTables.create(source, 1_000);
            ItemTables.create(target, 1_000);
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(ItemTables.sameMapping())
                    .config(VerifierConfig.from(QUICK).chunkSize(100).rowsPerSecond(4_000).build()).build().run();
            assertTrue(report.isClean());
            // The run sleeps after each chunk until its average is back at the limit: 1,000 rows take at least 250 ms.
            assertTrue(report.duration().compareTo(Duration.ofMillis(250)) >= 0, "took only " + report.duration());
        }
    }

    @Test
    void metrics_showTheLatestProgress_andAFailingListenerDoesNotStopTheRun() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "metsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "mettgt")) {
            ItemTables.create(source, 500);
            ItemTables.create(target, 500);
            target.execute("DELETE FROM item WHERE id = 3");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            VerifierMetrics metrics = new VerifierMetrics("items");
            metrics.bindTo(registry);
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(ItemTables.sameMapping()).config(QUICK)
                    .progressListener(p -> {
                        throw new IllegalStateException("a broken listener");
                    })
                    .progressListener(metrics).build().run();
            assertTrue(report.completed());
            assertEquals(500.0, registry.get("cutover.verifier.rows.done").tag("migration", "items").gauge().value());
            assertEquals(500.0, registry.get("cutover.verifier.rows.expected").gauge().value());
            assertEquals(1.0, registry.get("cutover.verifier.differences").gauge().value());
            assertEquals(0.0, registry.get("cutover.verifier.remaining").timeGauge().value());
        }
    }

    @Test
    void targetAsPrimary_locksTheTargetRowToRecheck_andRepairsCopyTheTargetRow() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "tpsrc"); TestDatabase target = TestDatabases.create(Engine.H2, "tptgt")) {
            ItemTables.create(source, 100);
            ItemTables.create(target, 100);
            source.execute("UPDATE item SET name = 'stale' WHERE id = 9");
            RetryStore store = RetryStore.inMemory();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2))
                    .mapping(ItemTables.sameMapping()).config(QUICK).primary(Side.TARGET).repairWith(store, "items").build().run();
            assertEquals(List.of(new RowDifference("9", Kind.DIFFERENT_VALUES, List.of("name"))), report.table("items").differences());
            RetryEntry entry = store.claim("test", Instant.now().plusSeconds(1), 10, Duration.ofMinutes(1)).entries().get(0);
            assertEquals(CopyReplayHandler.TO_SOURCE, entry.operation());
        }
    }

    @Test
    void config_rejectsValuesOutOfRange_namingThem() {
        assertEquals("chunkSize must be between 1 and 100,000, but was 0: set a value in that range",
                assertThrows(CutoverConfigurationException.class, () -> VerifierConfig.custom().chunkSize(0)).getMessage());
        assertEquals("rowsPerSecond must be between 0 and 1,000,000,000, but was -1: set a value in that range",
                assertThrows(CutoverConfigurationException.class, () -> VerifierConfig.custom().rowsPerSecond(-1)).getMessage());
        assertEquals("timestampPrecision must be SECONDS, MILLIS, MICROS or NANOS, but was Days: pick the finest unit both sides store",
                assertThrows(CutoverConfigurationException.class, () -> VerifierConfig.custom().timestampPrecision(ChronoUnit.DAYS))
                        .getMessage());
        assertThrows(CutoverConfigurationException.class, () -> VerifierConfig.custom().recheckDelay(Duration.ofMillis(-1)));
        assertThrows(CutoverConfigurationException.class, () -> VerifierConfig.custom().recheckAttempts(0));
        DataSource none = new org.h2.jdbcx.JdbcDataSource();
        assertEquals("A verifier needs at least one table: call mapping(TableMapping)",
                assertThrows(CutoverConfigurationException.class, () -> Verifier.builder(none, none).build()).getMessage());
        assertThrows(CutoverConfigurationException.class, () -> Verifier.builder(none, none).repairWith(RetryStore.inMemory(), " "));
        TableMapping accounts = TableMapping.builder("accounts").key("id", Long.class).column("balance").build();
        Verifier.Builder twice = Verifier.builder(none, none).mapping(accounts);
        assertEquals("Entity 'accounts' is mapped twice: add each entity's mapping once, and give different tables"
                + " different entity names", assertThrows(CutoverConfigurationException.class,
                        () -> twice.mapping(accounts)).getMessage());
    }
}
