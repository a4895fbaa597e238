package dev.cutover.examples.datasource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Runs the DataSource scenario from MariaDB to PostgreSQL, from PostgreSQL to PostgreSQL, and on H2. */
class DataSourceScenarioTest {

    static Stream<Arguments> pairs() {
        Engine legacy = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB) ? Engine.MARIADB : Engine.H2_MYSQL;
        return Stream.of(Arguments.of(legacy, Engine.POSTGRESQL), Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL),
                Arguments.of(Engine.H2_MYSQL, Engine.H2));
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("pairs")
    void plainJdbcCode_onTheWrappedDataSource_endsWithEqualTables(Engine sourceEngine, Engine targetEngine) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "dssource");
             TestDatabase target = TestDatabases.create(targetEngine, "dstarget")) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            DataSourceScenario.Outcome outcome = DataSourceScenario.run(source.dataSource(8), target.dataSource(8),
                    new PrintStream(printed, true, StandardCharsets.UTF_8));
            String output = printed.toString(StandardCharsets.UTF_8);

            assertEquals(List.of(), outcome.differingRows(), output);
            // 40 accounts, 4 opened (3 in a batch) and 1 closed before the verifier ran.
            assertEquals(DataSourceScenario.EXISTING_ACCOUNTS + 3, outcome.verifiedRows(), output);
            // ... and one more opened while the target was primary.
            assertEquals(DataSourceScenario.EXISTING_ACCOUNTS + 4, outcome.accounts(), output);
            assertEquals(1, outcome.rolledBackTransfers(), output);
            // The 50% step keeps some keys on the source; 100% sends every key to the target.
            assertTrue(outcome.targetReads() > DataSourceScenario.EXISTING_ACCOUNTS, output);
            assertTrue(outcome.sourceReads() > 0, output);
            assertTrue(outcome.mirrored() > 0, output);
            assertEquals(0, outcome.queued(), "nothing failed, so nothing was queued\n" + output);
            assertTrue(outcome.shadowCompared() > 0, output);
            assertEquals(0, outcome.mismatched(), output);
            assertTrue(output.contains("OK: the target equals the source"), output);
            try (var c = source.connect(); var s = c.createStatement();
                 var rs = s.executeQuery("SELECT id, balance FROM accounts WHERE id IN (1, 2, 3, 6, 7, 8, 43) ORDER BY id")) {
                // 1: 100 + 5 - 30; 2: 100 + 5 + 30; 3: the rolled-back transfer left it alone; 6, 7, 8:
                // written while the target was primary and copied back (6 once more after the rollback);
                // 43: opened in the batch.
                long[][] expected = {{1, 75}, {2, 135}, {3, 100}, {6, 108}, {7, 80}, {8, 120}, {43, 50}};
                for (long[] row : expected) {
                    assertTrue(rs.next(), "account " + row[0] + " exists\n" + output);
                    assertEquals(row[0], rs.getLong(1), output);
                    assertEquals(0, BigDecimal.valueOf(row[1]).compareTo(rs.getBigDecimal(2)), "account " + row[0] + "\n" + output);
                }
            }
        }
    }
}
