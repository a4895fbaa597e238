package dev.cutover.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class DialectTest {

    @Test
    void detect_recognisesH2() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:detect")) {
            assertEquals(Dialect.H2, Dialect.detect(c));
        }
    }

    @Test
    void scriptStatements_splitsOnTrailingSemicolonsAndReplacesPrefix() {
        List<String> statements = Dialect.H2.scriptStatements(DialectTest.class, "t_");
        assertEquals(2, statements.size());
        assertTrue(statements.get(0).startsWith("CREATE TABLE IF NOT EXISTS t_sample"), statements.get(0));
        assertEquals("INSERT INTO t_sample (id, name) VALUES (1, 'a;b')", statements.get(1));
    }

    @Test
    void runScript_createsTablesAndIsRepeatableForDdl() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:script")) {
            Dialect.H2.runScript(c, DialectTest.class, "x_");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM x_sample")) {
                assertTrue(rs.next());
                assertEquals("a;b", rs.getString(1));
            }
        }
    }

    @Test
    void scriptStatements_namesTheMissingScript() {
        CutoverException e = assertThrows(CutoverException.class,
                () -> Dialect.POSTGRESQL.scriptStatements(DialectTest.class, ""));
        assertTrue(e.getMessage().contains("postgresql.sql"), e.getMessage());
    }

    @Test
    void requireIdentifier_rejectsSqlInjectionInPrefixes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dialect.H2.scriptStatements(DialectTest.class, "x; DROP TABLE y; --"));
        assertTrue(e.getMessage().contains("tablePrefix"), e.getMessage());
        assertEquals("cutover_", Dialect.requireIdentifier("cutover_", "tablePrefix"));
    }
}
