package dev.cutover.dualwrite.internal.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.TimeZone;
import javax.sql.rowset.CachedRowSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A routed read answers from a disconnected row set; every reader an ORM or JDBC code calls on it
 * must answer what the driver's own result set answers for the same row, in the JVM's own zone (here
 * set to zones with and without daylight saving, off UTC), for wall times and instants alike. The
 * JDK's row set alone took {@code getTimestamp(column, Calendar)}'s milliseconds from the current time.
 */
class FaithfulRowSetTest {
    private static final TimeZone JVM_ZONE = TimeZone.getDefault();
    private static final List<String> ZONES = List.of("UTC", "America/Sao_Paulo", "Asia/Kolkata", "Europe/Berlin");

    @AfterEach
    void restoreZone() {
        TimeZone.setDefault(JVM_ZONE);
    }

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void everyTemporalReader_answersWhatTheDriverAnswers(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "rowset")) {
            String instantType = switch (engine) {
                case POSTGRESQL -> "TIMESTAMP WITH TIME ZONE";
                case MARIADB -> "TIMESTAMP(6) NULL";
                default -> "TIMESTAMP(6) WITH TIME ZONE";
            };
            String wallType = engine == Engine.MARIADB ? "DATETIME(6)" : "TIMESTAMP(6)";
            db.execute("CREATE TABLE t (id INT PRIMARY KEY, wall " + wallType + ", inst " + instantType + ", d DATE)");
            for (String zone : ZONES) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                try (Connection c = db.dataSource(1).getConnection(); Statement s = c.createStatement()) {
                    s.executeUpdate("DELETE FROM t");
                    s.executeUpdate("INSERT INTO t VALUES (1, '2026-03-29 02:30:18.706007', '2026-03-29 01:30:18.706007', '2026-03-29')");
                    s.executeUpdate("INSERT INTO t VALUES (2, '1999-12-31 23:59:59.5', '2026-10-25 00:59:59.25', '1970-01-01')");
                    s.executeUpdate("INSERT INTO t VALUES (3, NULL, NULL, NULL)");
                    String select = "SELECT wall, inst, d FROM t ORDER BY id";
                    List<List<Object>> expected;
                    try (ResultSet rs = s.executeQuery(select)) {
                        expected = readAll(rs, engine);
                    }
                    CachedRowSet rows = QueryResult.newRowSet();
                    try (ResultSet rs = s.executeQuery(select)) {
                        rows.populate(rs);
                    }
                    rows.beforeFirst();
                    assertEquals(expected, readAll(rows, engine), engine + " in " + zone);
                }
            }
        }
    }

    /**
     * Reads every column every way. MariaDB's own {@code getObject(column, LocalDateTime.class)} moves
     * a wall time in the JVM zone's gap an hour on, so its wall time is taken through a UTC calendar.
     */
    private static List<List<Object>> readAll(ResultSet rs, Engine engine) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        Calendar utc = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
        Calendar tokyo = Calendar.getInstance(TimeZone.getTimeZone("Asia/Tokyo"));
        while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int column = 1; column <= 2; column++) {
                row.add(rs.getTimestamp(column));
                row.add(rs.getTimestamp(column, utc));
                row.add(rs.getTimestamp(column, tokyo));
                row.add(rs.getString(column) == null ? null : rs.getTimestamp(column).toInstant());
            }
            row.add(engine == Engine.MARIADB && !(rs instanceof CachedRowSet)
                    ? (rs.getTimestamp(1, utc) == null ? null
                            : LocalDateTime.ofInstant(rs.getTimestamp(1, utc).toInstant(), java.time.ZoneOffset.UTC))
                    : rs.getObject(1, LocalDateTime.class));
            row.add(rs.getDate(3));
            row.add(rs.getObject(3, LocalDate.class));
            rows.add(row);
        }
        return rows;
    }
}
