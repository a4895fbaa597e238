package dev.cutover.examples.jdbi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Runs the JDBI scenario from MariaDB to PostgreSQL, from PostgreSQL to PostgreSQL, and on H2. */
class JdbiScenarioTest {

    static Stream<Arguments> pairs() {
        Engine legacy = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB) ? Engine.MARIADB : Engine.H2_MYSQL;
        return Stream.of(Arguments.of(legacy, Engine.POSTGRESQL), Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL),
                Arguments.of(Engine.H2_MYSQL, Engine.H2));
    }

    @ParameterizedTest(name = "{0} to {1}")
    @MethodSource("pairs")
    void scenario_walksEveryStage_andEndsWithEqualTables(Engine sourceEngine, Engine targetEngine) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "jdbisource");
             TestDatabase target = TestDatabases.create(targetEngine, "jdbitarget")) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            JdbiScenario.Outcome outcome = JdbiScenario.run(source.dataSource(8), target.dataSource(8),
                    new PrintStream(printed, true, StandardCharsets.UTF_8));
            String output = printed.toString(StandardCharsets.UTF_8);

            assertEquals(List.of(), outcome.differingRows(), output);
            // 50 existing users plus the newcomer, less the deleted one, proven before reads moved.
            assertEquals(JdbiScenario.EXISTING_USERS, outcome.verifiedRows(), output);
            // 50 existing users, one added, one deleted, one added while the target was primary.
            assertEquals(JdbiScenario.EXISTING_USERS + 1, outcome.users(), output);
            // The 25% step sends some keys to the target and keeps others on the source; 100% sends all.
            assertTrue(outcome.targetReads() > JdbiScenario.EXISTING_USERS, output);
            assertTrue(outcome.sourceReads() > 0, output);
            assertTrue(outcome.mirrored() > 0, output);
            assertEquals(0, outcome.queued(), "nothing failed, so nothing was queued\n" + output);
            assertTrue(outcome.shadowCompared() > 0, output);
            assertEquals(0, outcome.mismatched(), output);
            assertTrue(output.contains("OK: the target equals the source"), output);
            // Under TARGET_PRIMARY the rename and increment reached the source through the copy back.
            try (var c = source.connect(); var s = c.createStatement();
                 var rs = s.executeQuery("SELECT name, karma FROM users WHERE id = 4")) {
                assertTrue(rs.next());
                assertEquals("Renamed on the target", rs.getString(1));
                assertEquals(11, rs.getInt(2));
            }
        }
    }
}
