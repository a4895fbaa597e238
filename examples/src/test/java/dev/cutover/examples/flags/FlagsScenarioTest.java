package dev.cutover.examples.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagChange;
import dev.cutover.flags.JdbcFlagStore;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The running application follows flips it did not make: from a separate JVM through the API, and
 * from plain SQL on the flag table.
 */
class FlagsScenarioTest {
    private static final String CLASSPATH = System.getProperty("java.class.path");

    @Test
    void scenario_fromMariaDbToPostgres_followsFlipsFromAnotherProcessAndPlainSql() throws Exception {
        Engine legacy = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB) ? Engine.MARIADB : Engine.H2_MYSQL;
        try (TestDatabase source = TestDatabases.create(legacy, "flagsource");
             TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "flagtarget")) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            FlagsScenario.Outcome outcome = FlagsScenario.run(source.dataSource(8), target.dataSource(8),
                    FlipFlags.inChildProcess(source.jdbcUrl(), CLASSPATH), "a separate JVM",
                    new PrintStream(printed, true, StandardCharsets.UTF_8));
            String output = printed.toString(StandardCharsets.UTF_8);

            List<FlagsScenario.Step> steps = outcome.steps();
            assertEquals(4, steps.size(), output);
            assertEquals(Stage.DUAL_WRITE, steps.get(0).stored().stage(), output);
            assertEquals(ProfileApp.PROFILES, steps.get(0).reads().source(), "DUAL_WRITE reads the source\n" + output);
            ProfileApp.ReadCount half = steps.get(1).reads();
            assertTrue(half.target() > 0 && half.source() > 0, "50% splits the keys between the sides\n" + output);
            assertEquals(ProfileApp.PROFILES, steps.get(2).reads().target(), "100% reads the target only\n" + output);
            assertEquals(ProfileApp.PROFILES, steps.get(3).reads().source(), "the rollback reads the source only\n" + output);
            assertEquals(0, outcome.writeErrors(), output);
            assertTrue(outcome.writes() > 0, output);
            assertEquals(List.of(), outcome.differingRows(), output);
        }
    }

    @Test
    void scenario_onTheEmbeddedDefault_followsASecondFlagsInstance() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2_MYSQL, "flagsource");
             TestDatabase target = TestDatabases.create(Engine.H2, "flagtarget")) {
            FlagsScenario.Outcome outcome = FlagsScenario.run(source.dataSource(8), target.dataSource(8),
                    FlipFlags.inThisProcess(source.dataSource(2)), "a second MigrationFlags instance",
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertEquals(List.of(), outcome.differingRows());
            assertEquals(ProfileApp.PROFILES, outcome.steps().get(2).reads().target());
        }
    }

    @Test
    void runningApp_followsAnAuditedFlipFromAnotherJvm_andTheToolRefusesASkippedStage() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "flagsource");
             TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "flagtarget")) {
            ProfileApp.createTables(source.dataSource(), target.dataSource());
            FlipFlags.Flipper otherJvm = FlipFlags.inChildProcess(source.jdbcUrl(), CLASSPATH);
            try (ProfileApp app = ProfileApp.start(source.dataSource(8), target.dataSource(8))) {
                IllegalStateException refused = assertThrows(IllegalStateException.class,
                        () -> otherJvm.flip(ProfileApp.MIGRATION, Stage.SHIFT_READS, 10));
                assertTrue(refused.getMessage().contains("it skips DUAL_WRITE"), refused.getMessage());

                otherJvm.flip(ProfileApp.MIGRATION, Stage.DUAL_WRITE, 0);
                Await.until("the running application sees DUAL_WRITE",
                        () -> app.flagsSeen().stage() == Stage.DUAL_WRITE);
                Await.until("the application's writes are mirrored", () -> countRows(target) > 0);
            }
            List<FlagChange> audit = JdbcFlagStore.create(source.dataSource()).audit(ProfileApp.MIGRATION, 10);
            // The application stored its migration at start; the tool's flip followed.
            assertEquals(2, audit.size(), audit.toString());
            assertEquals("flip-flags-cli", audit.get(0).actor());
            assertEquals("profile-app", audit.get(1).actor());
        }
    }

    private static long countRows(TestDatabase db) {
        try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT COUNT(*) FROM profiles")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
