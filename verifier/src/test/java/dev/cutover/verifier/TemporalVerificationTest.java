package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.RowDifference.Kind;
import java.time.Duration;
import java.util.List;
import java.util.TimeZone;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Under Europe/Berlin, a target timestamp one hour off is a difference, also when the source's
 * wall time lies in the spring-forward gap: both read through {@code java.sql.Timestamp}, the
 * source's {@code 02:30} and the target's {@code 03:30} both read as {@code 03:30} and compared
 * equal. Equal rows with gap and overlap wall times stay clean. PostgreSQL to PostgreSQL (checksum,
 * then rows) and MariaDB to PostgreSQL (rows).
 */
class TemporalVerificationTest {

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void aPlantedOneHourShift_isReported_underEuropeBerlin(Engine sourceEngine) throws Exception {
        boolean mariadb = sourceEngine == Engine.MARIADB;
        try (TestDatabase source = TestDatabases.create(sourceEngine, "shiftsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "shifttgt")) {
            String rows = "(1, '2021-03-28 02:30:00', '2021-03-28', '02:30:00.250'),"
                    + " (2, '2021-10-31 02:30:00.123456', '2021-10-31', '02:30:00'),"
                    + " (3, '2021-03-28 02:00:00', '2021-03-28', '23:59:59.999999'),"
                    + " (4, '2024-06-01 12:00:00', '2024-06-01', '12:00:00')";
            source.execute("CREATE TABLE stamp (id BIGINT PRIMARY KEY, ts " + (mariadb ? "DATETIME(6)" : "TIMESTAMP(6)")
                    + ", d DATE, t TIME(6))", "INSERT INTO stamp VALUES " + rows);
            target.execute("CREATE TABLE stamp (id BIGINT PRIMARY KEY, ts TIMESTAMP(6), d DATE, t TIME(6))",
                    "INSERT INTO stamp VALUES " + rows,
                    // The planted shifts: the gap's 02:30 became 03:30; the overlap's 02:30 became 01:30.
                    "UPDATE stamp SET ts = '2021-03-28 03:30:00' WHERE id = 1",
                    "UPDATE stamp SET ts = '2021-10-31 01:30:00.123456' WHERE id = 2");
            TableMapping mapping = TableMapping.builder("stamps").sourceTable("stamp").key("id", Long.class)
                    .column("ts").column("d").column("t").build();
            TimeZone original = TimeZone.getDefault();
            TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
            try {
                VerificationReport report = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping)
                        .config(VerifierConfig.custom().recheckDelay(Duration.ZERO).recheckAttempts(1).build())
                        .build().run();
                TableReport table = report.table("stamps");
                assertEquals(mariadb ? ComparisonMethod.KEY_RANGE_STREAM : ComparisonMethod.DATABASE_CHECKSUM, table.method());
                assertEquals(List.of(new RowDifference("1", Kind.DIFFERENT_VALUES, List.of("ts")),
                        new RowDifference("2", Kind.DIFFERENT_VALUES, List.of("ts"))), table.differences());
                assertEquals(4, table.rowsCompared());

                target.execute("UPDATE stamp SET ts = '2021-03-28 02:30:00' WHERE id = 1",
                        "UPDATE stamp SET ts = '2021-10-31 02:30:00.123456' WHERE id = 2");
                VerificationReport repaired = Verifier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping)
                        .config(VerifierConfig.custom().recheckDelay(Duration.ZERO).recheckAttempts(1).build())
                        .build().run();
                assertTrue(repaired.isClean(), repaired.toJson());
            } finally {
                TimeZone.setDefault(original);
            }
        }
    }

    /**
     * Under each of five JVM zones, equal rows holding the gap and overlap wall times of Berlin,
     * Sao Paulo and Lord Howe (and, PostgreSQL to PostgreSQL, the overlapping instants in a
     * TIMESTAMPTZ) verify clean, and one planted shift of an hour (30 minutes for Lord Howe's gap)
     * is the only difference. Fresh pools per zone: PostgreSQL's driver sends the zone when it
     * connects.
     */
    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#serverEngines")
    void gapAndOverlapValues_verifyCleanAndAShiftIsFound_underEveryJvmZone(Engine sourceEngine) throws Exception {
        boolean mariadb = sourceEngine == Engine.MARIADB;
        String[][] values = {
            {"2021-03-28 02:00:00", "2021-03-28 01:00:00"}, {"2021-03-28 02:30:00.5", "2021-03-28 00:30:00"},
            {"2021-10-31 02:30:00.123456", "2021-10-31 00:30:00"}, {"2018-11-04 00:30:00", "2018-11-04 03:00:00"},
            {"2018-02-17 23:30:00", "2018-02-18 01:30:00"}, {"2021-10-03 02:15:00", "2021-10-02 15:15:00"},
            {"2021-04-04 01:45:00.000001", "2021-04-03 14:45:00"}};
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            rows.append(i == 0 ? "" : ", ").append("(").append(i + 1).append(", '").append(values[i][0]).append("', '")
                    .append(values[i][0], 0, 10).append("', '").append(values[i][0].substring(11)).append("'")
                    .append(mariadb ? "" : ", '" + values[i][1] + "+00'").append(")");
        }
        try (TestDatabase source = TestDatabases.create(sourceEngine, "zonesrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "zonetgt")) {
            source.execute("CREATE TABLE stamp (id BIGINT PRIMARY KEY, ts " + (mariadb ? "DATETIME(6)" : "TIMESTAMP(6)")
                    + ", d DATE, t TIME(6)" + (mariadb ? "" : ", tz TIMESTAMPTZ") + ")", "INSERT INTO stamp VALUES " + rows);
            target.execute("CREATE TABLE stamp (id BIGINT PRIMARY KEY, ts TIMESTAMP(6), d DATE, t TIME(6)"
                    + (mariadb ? "" : ", tz TIMESTAMPTZ") + ")", "INSERT INTO stamp VALUES " + rows);
            TableMapping.Builder builder = TableMapping.builder("stamps").sourceTable("stamp").key("id", Long.class)
                    .column("ts").column("d").column("t");
            TableMapping mapping = (mariadb ? builder : builder.column("tz")).build();
            VerifierConfig config = VerifierConfig.custom().recheckDelay(Duration.ZERO).recheckAttempts(1).build();
            TimeZone original = TimeZone.getDefault();
            for (String zone : List.of("UTC", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Kolkata")) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                try {
                    VerificationReport clean = Verifier.builder(source.dataSource(1), target.dataSource(1)).mapping(mapping)
                            .config(config).build().run();
                    assertTrue(clean.isClean(), zone + ": " + clean.toJson());
                    target.execute("UPDATE stamp SET ts = ts + INTERVAL '30 minutes' WHERE id = 6");
                    VerificationReport shifted = Verifier.builder(source.dataSource(1), target.dataSource(1)).mapping(mapping)
                            .config(config).build().run();
                    assertEquals(List.of(new RowDifference("6", Kind.DIFFERENT_VALUES, List.of("ts"))),
                            shifted.table("stamps").differences(), zone);
                    target.execute("UPDATE stamp SET ts = ts - INTERVAL '30 minutes' WHERE id = 6");
                } finally {
                    TimeZone.setDefault(original);
                }
            }
        }
    }
}
