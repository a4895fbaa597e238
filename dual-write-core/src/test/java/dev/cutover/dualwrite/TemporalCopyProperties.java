package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.flags.Side;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TimeZone;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dates, times and timestamps survive a copy exactly, whatever the JVM's time zone: under UTC,
 * Europe/Berlin, America/Sao_Paulo, Australia/Lord_Howe (30-minute daylight saving) and
 * Asia/Kolkata, wall times in those zones' daylight-saving gaps and overlaps, dates whose midnight
 * does not exist (Sao Paulo), times and timestamps with microseconds and timestamps with a time zone
 * at overlapping instants are copied from source to target and from target to source, and read
 * back as text, the same fields. Each zone is set process-wide for its part of the run, with fresh
 * pools (PostgreSQL's driver sends the zone when it connects), and restored afterwards.
 *
 * <p>Ordinary random rows per zone and pair: {@code cutover.soak.temporal.tries} (default 6), next
 * to the fixed gap and overlap rows; the seed is printed in a failure's message.
 */
class TemporalCopyProperties {
    private static final List<String> ZONES = List.of("UTC", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe",
            "Asia/Kolkata");
    private static final List<String> DST_ZONES = List.of("Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe");
    private static final int TRIES = Integer.getInteger("cutover.soak.temporal.tries", 6);
    private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    /** One row: a timestamp without zone, a date, a time, and (same engine only) an instant. */
    private record Row(LocalDateTime ts, LocalDate d, LocalTime t, Instant tz) {
    }

    static Stream<Arguments> enginePairs() {
        List<Arguments> pairs = new ArrayList<>();
        pairs.add(Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL));
        if (TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB)) {
            pairs.add(Arguments.of(Engine.MARIADB, Engine.POSTGRESQL));
            pairs.add(Arguments.of(Engine.POSTGRESQL, Engine.MARIADB));
            pairs.add(Arguments.of(Engine.MARIADB, Engine.MARIADB));
        }
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @MethodSource("enginePairs")
    void temporalValues_copyExactlyBothWays_underEveryJvmZone(Engine sourceEngine, Engine targetEngine) throws Exception {
        boolean instants = sourceEngine == targetEngine;
        long seed = System.nanoTime();
        try (TestDatabase source = TestDatabases.create(sourceEngine, "tempsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "temptgt")) {
            create(source, instants);
            create(target, instants);
            TableMapping.Builder builder = TableMapping.builder("moments").sourceTable("moment").key("id", Long.class)
                    .column("ts").column("d").column("t");
            TableMapping mapping = (instants ? builder.column("tz") : builder).build();
            List<Row> rows = rows(new Random(seed));
            TimeZone original = TimeZone.getDefault();
            int zoneIndex = 0;
            for (String zone : ZONES) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                try {
                    DataSource sourcePool = source.dataSource(2);
                    DataSource targetPool = target.dataSource(2);
                    try {
                        RowCopier resync = RowCopier.builder(sourcePool, targetPool).mapping(mapping).build();
                        long base = 100_000L * zoneIndex;
                        Map<Long, Row> forward = new LinkedHashMap<>();
                        Map<Long, Row> backward = new LinkedHashMap<>();
                        for (int i = 0; i < rows.size(); i++) {
                            Row row = instants ? rows.get(i) : new Row(rows.get(i).ts(), rows.get(i).d(), rows.get(i).t(), null);
                            forward.put(base + 2 * i, row);
                            backward.put(base + 2 * i + 1, row);
                        }
                        insert(source, forward, instants);
                        insert(target, backward, instants);
                        for (Long id : forward.keySet()) {
                            resync.copy("moments", id.toString(), Side.SOURCE);
                        }
                        for (Long id : backward.keySet()) {
                            resync.copy("moments", id.toString(), Side.TARGET);
                        }
                        String context = "zone " + zone + ", seed " + seed + ", ";
                        assertSame(forward, read(target, base, 0, instants), context + "source -> target");
                        assertSame(backward, read(source, base, 1, instants), context + "target -> source");
                    } finally {
                        ((AutoCloseable) sourcePool).close();
                        ((AutoCloseable) targetPool).close();
                    }
                } finally {
                    TimeZone.setDefault(original);
                }
                zoneIndex++;
            }
        }
    }

    /**
     * Issue #12 problem 6: under Europe/Berlin, {@code 2021-03-28 02:30:00} (in the spring-forward
     * gap) was copied as {@code 03:30:00}, MariaDB to PostgreSQL, PostgreSQL to PostgreSQL and
     * MariaDB to MariaDB.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void aTimestampInTheSpringForwardGap_isCopiedUnshifted_underEuropeBerlin(Engine sourceEngine, Engine targetEngine)
            throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "gapsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "gaptgt")) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE stamp (id BIGINT PRIMARY KEY, ts " + (db.engine() == Engine.MARIADB ? "DATETIME" : "TIMESTAMP")
                        + ")");
            }
            source.execute("INSERT INTO stamp VALUES (1, '2021-03-28 02:30:00')");
            TableMapping mapping = TableMapping.builder("stamps").sourceTable("stamp").key("id", Long.class).column("ts").build();
            TimeZone original = TimeZone.getDefault();
            TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
            try {
                RowCopier.builder(source.dataSource(1), target.dataSource(1)).mapping(mapping).build().copy("stamps", "1");
            } finally {
                TimeZone.setDefault(original);
            }
            String text = targetEngine == Engine.MARIADB ? "CAST(ts AS CHAR)" : "ts::text";
            try (Connection c = target.connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT " + text + " FROM stamp WHERE id = 1")) {
                rs.next();
                assertEquals("2021-03-28 02:30:00", rs.getString(1));
            }
        }
    }

    /**
     * A MariaDB TIME is a duration: negative and over-24-hour values are copied unchanged (through
     * java.sql.Time they became times of day), and a YEAR is copied as a year (a java.sql.Date was
     * refused by the YEAR column). Runs where MariaDB does (always in CI, see {@link TestDatabases}).
     */
    @Test
    void mariadbDurationsAndYears_copyUnchanged() throws Exception {
        if (TestDatabases.serverEngines().noneMatch(e -> e == Engine.MARIADB)) {
            return;
        }
        try (TestDatabase source = TestDatabases.create(Engine.MARIADB, "dursrc");
                TestDatabase target = TestDatabases.create(Engine.MARIADB, "durtgt")) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute("CREATE TABLE span (id BIGINT PRIMARY KEY, t TIME(6), y YEAR)");
            }
            source.execute("INSERT INTO span VALUES (1, '-01:00:00.5', 2021), (2, '838:59:59', NULL), (3, NULL, 1999)");
            TableMapping mapping = TableMapping.builder("spans").sourceTable("span").key("id", Long.class).column("t").column("y")
                    .build();
            RowCopier resync = RowCopier.builder(source.dataSource(1), target.dataSource(1)).mapping(mapping).build();
            for (String key : List.of("1", "2", "3")) {
                resync.copy("spans", key);
            }
            List<String> copied = new ArrayList<>();
            try (Connection c = target.connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT CAST(t AS CHAR), CAST(y AS CHAR) FROM span ORDER BY id")) {
                while (rs.next()) {
                    copied.add(rs.getString(1) + " " + rs.getString(2));
                }
            }
            assertEquals(List.of("-01:00:00.500000 2021", "838:59:59.000000 null", "null 1999"), copied);
        }
    }

    private static void assertSame(Map<Long, Row> expected, Map<Long, Row> actual, String context) {
        List<String> wrong = new ArrayList<>();
        expected.forEach((id, row) -> {
            if (!row.equals(actual.get(id))) {
                wrong.add("row " + id + ": expected " + row + " but was " + actual.get(id));
            }
        });
        assertEquals(List.of(), wrong.subList(0, Math.min(5, wrong.size())), context + ", " + wrong.size() + " row(s) differ");
        assertEquals(expected.keySet(), actual.keySet(), context);
    }

    /** The fixed rows in every zone's gaps and overlaps, then random ordinary rows. */
    private static List<Row> rows(Random random) {
        List<Row> rows = new ArrayList<>();
        for (String zone : DST_ZONES) {
            ZoneRules rules = ZoneId.of(zone).getRules();
            // Sao Paulo's last changes were in 2018/2019 (its gap skipped midnight); the others' in 2021.
            Instant from = zone.equals("America/Sao_Paulo") ? Instant.parse("2018-01-01T00:00:00Z")
                    : Instant.parse("2021-01-01T00:00:00Z");
            ZoneOffsetTransition transition = rules.nextTransition(from);
            for (int n = 0; n < 2 && transition != null; n++, transition = rules.nextTransition(transition.getInstant())) {
                // The first wall time the change skips or repeats, and one in its middle with micros.
                LocalDateTime first = transition.isGap() ? transition.getDateTimeBefore() : transition.getDateTimeAfter();
                long halfSeconds = Math.abs(transition.getDuration().getSeconds()) / 2;
                LocalDateTime middle = first.plusSeconds(halfSeconds).plusNanos(123_456_000L);
                Instant overlapping = transition.getInstant().minusSeconds(halfSeconds).plusNanos(654_321_000L);
                rows.add(new Row(first, first.toLocalDate(), first.toLocalTime(), transition.getInstant()));
                rows.add(new Row(middle, middle.toLocalDate(), middle.toLocalTime(), overlapping));
            }
        }
        for (int i = 0; i < TRIES; i++) {
            rows.add(new Row(randomDateTime(random), randomDateTime(random).toLocalDate(),
                    randomDateTime(random).toLocalTime(), randomDateTime(random, 1971, 2037).toInstant(ZoneOffset.UTC)));
        }
        return rows;
    }

    private static LocalDateTime randomDateTime(Random random) {
        return random.nextInt(5) == 0 ? randomDateTime(random, 1000, 9999) : randomDateTime(random, 1900, 2100);
    }

    private static LocalDateTime randomDateTime(Random random, int fromYear, int toYear) {
        LocalDate day = LocalDate.of(fromYear + random.nextInt(toYear - fromYear), 1, 1).plusDays(random.nextInt(365));
        return day.atStartOfDay().plusSeconds(random.nextInt(86_400)).plusNanos(random.nextInt(1_000_000) * 1000L);
    }

    private static void create(TestDatabase db, boolean instants) {
        boolean mariadb = db.engine() == Engine.MARIADB;
        db.execute("CREATE TABLE moment (id BIGINT PRIMARY KEY, ts " + (mariadb ? "DATETIME(6)" : "TIMESTAMP(6)")
                + ", d DATE, t TIME(6)" + (instants ? ", tz " + (mariadb ? "TIMESTAMP(6) NULL" : "TIMESTAMPTZ(6)") : "") + ")");
    }

    /** Inserts with SQL literals, so that no driver conversion is involved in the originals. */
    private static void insert(TestDatabase db, Map<Long, Row> rows, boolean instants) {
        boolean mariadb = db.engine() == Engine.MARIADB;
        List<String> inserts = new ArrayList<>();
        rows.forEach((id, row) -> {
            String tz = "";
            if (instants) {
                BigDecimal epoch = BigDecimal.valueOf(row.tz().getEpochSecond()).add(BigDecimal.valueOf(row.tz().getNano(), 9));
                tz = ", " + (mariadb ? "FROM_UNIXTIME(" + epoch.setScale(6).toPlainString() + ")"
                        : "'" + MICROS.format(row.tz().atOffset(ZoneOffset.UTC)) + "+00'");
            }
            inserts.add("INSERT INTO moment VALUES (" + id + ", '" + MICROS.format(row.ts()) + "', '" + row.d() + "', '"
                    + row.t().format(DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS")) + "'" + tz + ")");
        });
        db.execute(inserts.toArray(String[]::new));
    }

    /** Reads the rows of one direction back as text, with no driver date conversion. */
    private static Map<Long, Row> read(TestDatabase db, long base, int parity, boolean instants) throws SQLException {
        boolean mariadb = db.engine() == Engine.MARIADB;
        String text = mariadb ? "CAST(%s AS CHAR)" : "%s::text";
        String tz = !instants ? "NULL" : mariadb ? "CAST(UNIX_TIMESTAMP(tz) AS CHAR)"
                : "to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
        Map<Long, Row> rows = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, " + String.format(text, "ts") + ", " + String.format(text, "d") + ", "
                        + String.format(text, "t") + ", " + tz + " FROM moment WHERE id >= " + base + " AND id < " + (base + 100_000)
                        + " AND MOD(id, 2) = " + parity + " ORDER BY id")) {
            while (rs.next()) {
                Instant instant = null;
                if (instants) {
                    instant = mariadb ? instant(new BigDecimal(rs.getString(5)))
                            : LocalDateTime.parse(rs.getString(5).replace(' ', 'T')).toInstant(ZoneOffset.UTC);
                }
                rows.put(rs.getLong(1), new Row(LocalDateTime.parse(rs.getString(2).replace(' ', 'T')),
                        LocalDate.parse(rs.getString(3)), LocalTime.parse(rs.getString(4)), instant));
            }
        }
        return rows;
    }

    private static Instant instant(BigDecimal epochSeconds) {
        BigDecimal seconds = epochSeconds.setScale(0, java.math.RoundingMode.FLOOR);
        return Instant.ofEpochSecond(seconds.longValueExact(), epochSeconds.subtract(seconds).movePointRight(9).longValueExact());
    }
}
