package dev.cutover.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.Dialects;
import dev.cutover.common.internal.NetworkTimeouts;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class DialectTest {

    @Test
    void detect_recognisesH2() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:detect")) {
            assertEquals(Dialect.H2, Dialect.detect(c));
        }
    }

    @Test
    void detect_onADataSource_borrowsItsConnectionWithANetworkTimeout_andRestoresIt() throws Exception {
        List<Integer> timeouts = new ArrayList<>();
        Connection h2 = DriverManager.getConnection("jdbc:h2:mem:detectpool");
        Connection recording = (Connection) Proxy.newProxyInstance(DialectTest.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "setNetworkTimeout" -> {
                        timeouts.add((Integer) args[1]);
                        yield null;
                    }
                    case "getNetworkTimeout" -> 0;
                    case "close" -> null;
                    default -> method.invoke(h2, args);
                });
        DataSource pool = (DataSource) Proxy.newProxyInstance(DialectTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        return recording;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        try {
            assertEquals(Dialect.H2, Dialect.detect(pool));
            // A stalled database must fail the detection, not hang it; the pool gets its timeout back.
            assertEquals(List.of(NetworkTimeouts.DEFAULT_MILLIS, 0), timeouts);
        } finally {
            h2.close();
        }
    }

    @Test
    void scriptStatements_splitsOnTrailingSemicolonsAndReplacesPrefix() {
        List<String> statements = Dialects.scriptStatements(Dialect.H2, DialectTest.class, "t_");
        assertEquals(2, statements.size());
        assertTrue(statements.get(0).startsWith("CREATE TABLE IF NOT EXISTS t_sample"), statements.get(0));
        assertEquals("INSERT INTO t_sample (id, name) VALUES (1, 'a;b')", statements.get(1));
    }

    @Test
    void runScript_createsTablesAndIsRepeatableForDdl() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:script")) {
            Dialects.runScript(Dialect.H2, c, DialectTest.class, "x_");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM x_sample")) {
                assertTrue(rs.next());
                assertEquals("a;b", rs.getString(1));
            }
        }
    }

    @Test
    void scriptStatements_namesTheMissingScript() {
        CutoverException e = assertThrows(CutoverException.class,
                () -> Dialects.scriptStatements(Dialect.POSTGRESQL, DialectTest.class, ""));
        assertTrue(e.getMessage().contains("postgresql.sql"), e.getMessage());
    }

    @Test
    void mysql_usesTheMariaDbScripts_andOnlyH2CannotSkipLockedRows() {
        assertEquals("mariadb", Dialects.resourceName(Dialect.MYSQL));
        assertEquals("postgresql", Dialects.resourceName(Dialect.POSTGRESQL));
        for (Dialect dialect : Dialect.values()) {
            assertEquals(dialect != Dialect.H2, Dialects.supportsSkipLocked(dialect), dialect.name());
        }
    }

    @Test
    void identifier_rejectsSqlInjectionInPrefixes() {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> Dialects.scriptStatements(Dialect.H2, DialectTest.class, "x; DROP TABLE y; --"));
        assertTrue(e.getMessage().contains("tablePrefix"), e.getMessage());
        assertEquals("cutover_", Checks.identifier("cutover_", "tablePrefix"));
    }
}
