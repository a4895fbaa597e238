package dev.cutover.examples.heterogeneous;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeterogeneousMigrationTest {

    @Test
    void example_fromMariaDbToPostgres_endsWithEqualTablesAndAgreeingShadowReads() throws Exception {
        Engine sourceEngine = TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB) ? Engine.MARIADB : Engine.H2_MYSQL;
        try (TestDatabase source = TestDatabases.create(sourceEngine, "heterolegacy");
             TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "heteroservice")) {
            assertEquals(0, HeterogeneousMigration.run(new String[] {
                "--source-url", source.jdbcUrl(), "--target-url", target.jdbcUrl()}));
        }
    }

    @Test
    void example_onTheEmbeddedDefault_endsWithEqualTables() throws Exception {
        assertEquals(0, HeterogeneousMigration.run(new String[0]));
    }

    @Test
    void badArguments_exitWithStatus2() throws Exception {
        assertEquals(2, HeterogeneousMigration.run(new String[] {"--source-url"}));
        assertEquals(2, HeterogeneousMigration.run(new String[] {"--speed", "1"}));
    }

    @Test
    void nameSplit_isUndoneForEveryName() {
        for (String name : Arrays.asList("Mary Ann Evans", "Cher", "", " ", "Ada ", " Lovelace", null)) {
            List<Object> parts = CustomerMapping.splitName(name);
            assertEquals(name, CustomerMapping.joinName((String) parts.get(0), (String) parts.get(1)));
        }
    }
}
