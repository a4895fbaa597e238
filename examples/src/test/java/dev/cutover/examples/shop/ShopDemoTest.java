package dev.cutover.examples.shop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShopDemoTest {

    @Test
    void demo_onTheEmbeddedDefault_endsWithNoUserErrorsAndNoDifferingRows() throws Exception {
        assertEquals(0, ShopDemo.run(new String[] {"--duration", "10", "--threads", "3"}));
    }

    @Test
    void demo_fromMariaDbToPostgres_endsWithNoUserErrorsAndNoDifferingRows() throws Exception {
        Engine sourceEngine = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB) ? Engine.MARIADB : Engine.H2_MYSQL;
        try (TestDatabase source = TestDatabases.create(sourceEngine, "demosource");
             TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "demotarget")) {
            assertEquals(0, ShopDemo.run(new String[] {
                "--source-url", source.jdbcUrl(), "--target-url", target.jdbcUrl(), "--duration", "10", "--threads", "3"}));
        }
    }

    @Test
    void badArguments_nameTheOptionAndTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DemoOptions.parse(new String[] {"--duration", "ten"}, Map.of()));
        assertEquals("--duration must be a whole number from 10 to 86400, but was 'ten'", e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> DemoOptions.parse(new String[] {"--speed", "1"}, Map.of()));
        assertTrue(unknown.getMessage().startsWith("Unknown option --speed."), unknown.getMessage());
        assertEquals(Duration.ofSeconds(40), DemoOptions.parse(new String[0], Map.of()).duration());
    }
}
