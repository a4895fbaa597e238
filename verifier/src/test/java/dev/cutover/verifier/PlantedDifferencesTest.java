package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.RowDifference.Kind;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 100,000 rows per side with one planted difference of each kind, from PostgreSQL and from MariaDB
 * to PostgreSQL: the report names exactly the planted keys and columns, and after the queued
 * repairs drain a second run finds nothing.
 */
class PlantedDifferencesTest {
    private static final int ROWS = 100_000;
    private static final String MIGRATION = "items";

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void plantedDifferences_areReportedExactly_andRepairedDifferencesAreGoneInASecondRun(Engine sourceEngine) throws Exception {
        boolean cross = sourceEngine != Engine.POSTGRESQL;
        try (TestDatabase source = TestDatabases.create(sourceEngine, "plantsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "planttgt")) {
            ItemTables.create(source, ROWS);
            if (cross) {
                ItemTables.createCrossTarget(target, ROWS);
            } else {
                ItemTables.create(target, ROWS);
            }
            TableMapping mapping = cross ? ItemTables.crossMapping() : ItemTables.sameMapping();
            String name = cross ? "item_name" : "name";
            source.execute("DELETE FROM item WHERE id = 777");
            target.execute("DELETE FROM item WHERE id = 500",
                    "INSERT INTO item VALUES (100001, 'extra', 1, TIMESTAMP '2024-01-01 00:00:00', NULL, TRUE)",
                    "UPDATE item SET " + name + " = 'näme-changed' WHERE id = 12345",
                    "UPDATE item SET created = created + INTERVAL '5 milliseconds' WHERE id = 54321",
                    // Within the millisecond precision: not a difference.
                    "UPDATE item SET created = created + INTERVAL '300 microseconds' WHERE id = 600");
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = target.dataSource(4);
            RowCopier resync = RowCopier.builder(sourcePool, targetPool).mapping(mapping).build();
            try (RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of(MIGRATION, resync),
                    RetryQueueConfig.custom().workerCount(2).pollInterval(Duration.ofMillis(5)).build())) {
                queue.start();
                VerifierConfig config = VerifierConfig.custom().timestampPrecision(ChronoUnit.MILLIS)
                        .recheckDelay(Duration.ofMillis(20)).recheckAttempts(1).build();
                VerificationReport report = Verifier.builder(sourcePool, targetPool).mapping(mapping).config(config)
                        .repairWith(queue, MIGRATION).build().run();

                TableReport table = report.table(ItemTables.ENTITY);
                assertEquals(cross ? ComparisonMethod.KEY_RANGE_STREAM : ComparisonMethod.DATABASE_CHECKSUM, table.method());
                assertEquals(Set.of(new RowDifference("500", Kind.MISSING_ON_TARGET, List.of()),
                        new RowDifference("777", Kind.EXTRA_ON_TARGET, List.of()),
                        new RowDifference("100001", Kind.EXTRA_ON_TARGET, List.of()),
                        new RowDifference("12345", Kind.DIFFERENT_VALUES, List.of(name)),
                        new RowDifference("54321", Kind.DIFFERENT_VALUES, List.of("created"))), Set.copyOf(table.differences()));
                assertEquals(5, table.differences().size());
                assertTrue(report.completed());
                assertEquals(ROWS - 1, table.rowsCompared());
                assertEquals(10, table.chunks());
                // Same engine: only the chunks holding planted keys (500, 600 and 777; 12345; 54321;
                // 100001 in the open-ended last chunk) were read row by row.
                assertEquals(cross ? 10 : 4, table.chunksComparedByRow());
                assertEquals(5, table.repairsQueued());

                assertTrue(queue.drain(Duration.ofSeconds(30)), "the repairs did not drain within 30 s");
                assertEquals(List.of(), queue.parked(10));
                VerificationReport second = Verifier.builder(sourcePool, targetPool).mapping(mapping).config(config).build().run();
                assertEquals(List.of(), second.table(ItemTables.ENTITY).differences());
                assertTrue(second.isClean());
            }
        }
    }

    /**
     * Text keys sort differently per engine (MariaDB's default collation ignores case, PostgreSQL's
     * does not), so across engines the target's rows are fetched by key and a walk over the
     * target's keys finds its extra rows.
     */
    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void textKeys_areComparedByKey_whateverEachEngineSortsThemBy(Engine sourceEngine) throws Exception {
        boolean cross = sourceEngine != Engine.POSTGRESQL;
        try (TestDatabase source = TestDatabases.create(sourceEngine, "textsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "texttgt")) {
            String create = "CREATE TABLE tag (code VARCHAR(20) PRIMARY KEY, label VARCHAR(40))";
            source.execute(create + (cross ? " DEFAULT CHARSET=utf8mb4" : ""), cross
                    ? "INSERT INTO tag SELECT CONCAT(IF(seq % 2 = 0, 'a', 'B'), '-', seq), CONCAT('läbel ', seq) FROM seq_1_to_2000"
                    : "INSERT INTO tag SELECT CASE WHEN g % 2 = 0 THEN 'a' ELSE 'B' END || '-' || g, 'läbel ' || g"
                            + " FROM generate_series(1, 2000) g");
            target.execute(create, "INSERT INTO tag SELECT CASE WHEN g % 2 = 0 THEN 'a' ELSE 'B' END || '-' || g, 'läbel ' || g"
                    + " FROM generate_series(1, 2000) g",
                    "DELETE FROM tag WHERE code = 'a-1000'", "UPDATE tag SET label = 'läbel ünïcode' WHERE code = 'B-7'",
                    "INSERT INTO tag VALUES ('0-extra', NULL), ('b-1', 'lower case twin of B-1')");
            TableMapping mapping = TableMapping.builder("tags").sourceTable("tag").key("code", String.class).column("label").build();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping)
                    .config(VerifierConfig.custom().chunkSize(300).recheckDelay(Duration.ZERO).recheckAttempts(1).build())
                    .build().run();

            TableReport table = report.table("tags");
            assertEquals(cross ? ComparisonMethod.KEY_LOOKUP_STREAM : ComparisonMethod.DATABASE_CHECKSUM, table.method());
            assertEquals(Set.of(new RowDifference("a-1000", Kind.MISSING_ON_TARGET, List.of()),
                    new RowDifference("B-7", Kind.DIFFERENT_VALUES, List.of("label")),
                    new RowDifference("0-extra", Kind.EXTRA_ON_TARGET, List.of()),
                    new RowDifference("b-1", Kind.EXTRA_ON_TARGET, List.of())), Set.copyOf(table.differences()));
            assertEquals(4, table.differences().size());
            assertEquals(2_000, table.rowsCompared());
        }
    }
}
