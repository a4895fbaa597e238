package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.KeyTranslation;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.RowDifference.Kind;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #12 problem 9: a source row the mapping cannot convert (a code missing from the code map, a
 * name the split function rejects) made {@code Verifier.run()} throw an IllegalArgumentException
 * naming neither key nor table, and nothing was reported for the other rows. Now each such row is
 * an UNCONVERTIBLE difference with its key and a reason naming the columns (not the values), the
 * other rows are compared as usual, and the report, its JSON and the stored checkpoint carry it.
 */
class UnconvertibleRowsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void unconvertibleRows_areReportedWithKeyAndReason_andTheRunCarriesOn(Engine engine) throws Exception {
        try (TestDatabase source = TestDatabases.create(engine, "unconvsrc");
                TestDatabase target = TestDatabases.create(engine, "unconvtgt")) {
            source.execute("CREATE TABLE customer (id BIGINT PRIMARY KEY, status CHAR(1), full_name VARCHAR(60))");
            target.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, status VARCHAR(10), first_name VARCHAR(30),"
                    + " last_name VARCHAR(30))");
            for (int id = 1; id <= 40; id++) {
                source.execute("INSERT INTO customer VALUES (" + id + ", '" + (id % 2 == 0 ? "A" : "I") + "', 'Ada" + id
                        + " Lovelace')");
                target.execute("INSERT INTO customers VALUES (" + id + ", '" + (id % 2 == 0 ? "active" : "inactive") + "', 'Ada"
                        + id + "', 'Lovelace')");
            }
            source.execute("UPDATE customer SET status = 'Z' WHERE id = 7", "UPDATE customer SET full_name = 'Cherilyn'"
                    + " WHERE id = 9");
            target.execute("DELETE FROM customers WHERE id = 20", "UPDATE customers SET last_name = 'Byron' WHERE id = 30");
            TableMapping mapping = TableMapping.builder("customers").sourceTable("customer").targetTable("customers")
                    .key("id", Long.class)
                    .column("status", "status", Map.of("A", "active", "I", "inactive"))
                    .columns(List.of("full_name"), List.of("first_name", "last_name"),
                            v -> split((String) v.get(0)), v -> List.of(v.get(0) + " " + v.get(1)))
                    .build();
            DataSource sourcePool = source.dataSource(2);
            JdbcCheckpointStore checkpoints = CheckpointStore.jdbc(sourcePool, "cutover_");
            checkpoints.createTables();
            VerificationReport report = Verifier.builder(sourcePool, target.dataSource(2)).mapping(mapping)
                    .config(VerifierConfig.custom().chunkSize(10).recheckDelay(Duration.ZERO).recheckAttempts(1).build())
                    .checkpoints(checkpoints).build().run();

            TableReport table = report.table("customers");
            assertTrue(report.completed());
            assertEquals(40, table.rowsCompared());
            assertEquals(List.of("7", "9"), table.unconvertible().stream().map(RowDifference::key).toList());
            assertEquals(List.of(new RowDifference("20", Kind.MISSING_ON_TARGET, List.of()),
                    new RowDifference("30", Kind.DIFFERENT_VALUES, List.of("last_name"))),
                    table.differences().stream().filter(d -> d.kind() != Kind.UNCONVERTIBLE).toList());
            RowDifference code = table.unconvertible().get(0);
            RowDifference name = table.unconvertible().get(1);
            assertEquals(List.of("status"), code.columns());
            assertEquals(List.of("full_name"), name.columns());
            assertTrue(code.reason().contains("customer.status") && code.reason().contains("IllegalArgumentException"),
                    code.reason());
            assertTrue(name.reason().contains("customer.full_name") && name.reason().contains("IllegalArgumentException"),
                    name.reason());
            assertFalse(code.reason().contains("Z"), "the reason must not quote the value: " + code.reason());
            assertFalse(name.reason().contains("Cherilyn"), "the reason must not quote the value: " + name.reason());
            assertEquals(4, report.differenceCount());
            assertFalse(report.isClean());

            String json = report.toJson();
            assertTrue(json.contains("\"unconvertible\" : 2"), json);
            assertTrue(json.contains("\"kind\" : \"UNCONVERTIBLE\"") && json.contains(code.reason()), json);
            assertFalse(json.contains("Cherilyn"), json);
            assertEquals(table.differences(), checkpoints.load(report.runId()).get("customers").differences());
        }
    }

    /** A key translation that rejects one source key makes that key UNCONVERTIBLE; the rest compare as usual. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void aKeyTheTranslationRejects_isReportedAsUnconvertible_andTheRunCarriesOn(Engine engine) throws Exception {
        try (TestDatabase source = TestDatabases.create(engine, "unkeysrc");
                TestDatabase target = TestDatabases.create(engine, "unkeytgt")) {
            source.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, v VARCHAR(10))");
            target.execute("CREATE TABLE items (item_id BIGINT PRIMARY KEY, v VARCHAR(10))");
            for (int id = 1; id <= 20; id++) {
                source.execute("INSERT INTO item VALUES (" + id + ", 'v" + id + "')");
                if (id != 5) {
                    target.execute("INSERT INTO items VALUES (" + (1000 + id) + ", 'v" + id + "')");
                }
            }
            TableMapping mapping = TableMapping.builder("items").sourceTable("item").targetTable("items")
                    .key("id", "item_id", Long.class, KeyTranslation.of(v -> {
                        if (((Number) v).longValue() == 13) {
                            throw new IllegalArgumentException("no target id for " + v);
                        }
                        return ((Number) v).longValue() + 1000;
                    }, v -> ((Number) v).longValue() - 1000))
                    .column("v").build();
            VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping)
                    .config(VerifierConfig.custom().chunkSize(7).recheckDelay(Duration.ZERO).recheckAttempts(1).build())
                    .build().run();

            TableReport table = report.table("items");
            assertTrue(report.completed());
            assertEquals(List.of(new RowDifference("5", Kind.MISSING_ON_TARGET, List.of())),
                    table.differences().stream().filter(d -> d.kind() != Kind.UNCONVERTIBLE).toList());
            assertEquals(1, table.unconvertible().size());
            RowDifference key = table.unconvertible().get(0);
            assertEquals("13", key.key());
            assertEquals(List.of("id"), key.columns());
            assertTrue(key.reason().contains("item.id"), key.reason());
        }
    }

    /** Splits "First Last"; rejects anything else, quoting the value as such functions often do. */
    private static List<Object> split(String fullName) {
        if (fullName == null) {
            return Arrays.asList(null, null);
        }
        String[] parts = fullName.split(" ");
        if (parts.length != 2) {
            throw new IllegalArgumentException("Cannot split '" + fullName + "' into first and last name");
        }
        return List.of(parts[0], parts[1]);
    }
}
