package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.Write;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerificationReport;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.ObjectArgumentFactory;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A new user moving a table of many column types between engines, with the JVM in a zone that is
 * not UTC (and that has, or had, daylight saving): rows written through plain JDBC over
 * {@code migration.dataSource()} and through a JDBI SqlObject over {@code migration.repository(...)},
 * before dual writes (backfilled), in {@code DUAL_WRITE}, with the target primary and back. After
 * each phase the user reads both sides with plain JDBC and checks every column against what the
 * application wrote, not only the verifier's word.
 */
class TypesAndZonesUserTest {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, true);
    private TimeZone saved;

    @BeforeEach
    void saveZone() {
        saved = TimeZone.getDefault();
    }

    @AfterEach
    void restoreZone() {
        TimeZone.setDefault(saved);
    }

    /** One row as the application means it; the bytes as hex so that records compare by value. */
    public record Row(LocalDateTime ts, Instant tstz, LocalDate d, LocalTime tm, BigDecimal num, Double dbl, Float rl,
            Boolean flag, UUID uid, String js, String bin, String txt, String vc, Short sm, Long big) {
        public Timestamp tstzTs() {
            return tstz == null ? null : Timestamp.from(tstz);
        }

        public String uidText() {
            return uid == null ? null : uid.toString();
        }

        public byte[] binBytes() {
            return bin == null ? null : HexFormat.of().parseHex(bin);
        }

        /** The json compared by meaning: PostgreSQL's jsonb stores it reformatted, which keeps its meaning. */
        Row normalised() {
            try {
                return new Row(ts, tstz, d, tm, num == null ? null : num.setScale(6), dbl, rl, flag, uid,
                        js == null ? null : JSON.writeValueAsString(JSON.readValue(js, Object.class)), bin, txt, vc, sm, big);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static final List<String> COLUMNS = List.of("ts", "tstz", "d", "tm", "num", "dbl", "rl", "flag", "uid", "js", "bin",
            "txt", "vc", "sm", "big");

    static final TableMapping TYPED = TableMapping.builder("typed").key("id", Long.class)
            .columns(COLUMNS.toArray(String[]::new)).build();

    /**
     * The mapping between engines: plain columns, but for the uuid and json columns, which the user
     * converts (a PostgreSQL {@code uuid} from and to MariaDB's {@code CHAR(36)}, a {@code jsonb}
     * from and to MariaDB's {@code JSON} text), as copying them unconverted fails.
     */
    static TableMapping mapping(Engine source, Engine target) {
        if (source == target) {
            return TYPED;
        }
        UnaryOperator<Object> toUuid = v -> v == null ? null : v instanceof UUID ? v : UUID.fromString(v.toString());
        UnaryOperator<Object> toText = v -> v == null ? null : v.toString();
        UnaryOperator<Object> toJsonb = v -> v == null ? null : jsonb(v.toString());
        boolean toPg = target == Engine.POSTGRESQL;
        TableMapping.Builder b = TableMapping.builder("typed").key("id", Long.class);
        for (String c : COLUMNS) {
            if (c.equals("uid")) {
                b.column(c, c, toPg ? toUuid : toText, toPg ? toText : toUuid);
            } else if (c.equals("js")) {
                b.column(c, c, toPg ? toJsonb : toText, toPg ? toText : toJsonb);
            } else {
                b.column(c);
            }
        }
        return b.build();
    }

    static Object jsonb(String text) {
        try {
            org.postgresql.util.PGobject o = new org.postgresql.util.PGobject();
            o.setType("jsonb");
            o.setValue(text);
            return o;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public interface TypedDao {
        @Write
        void insert(@RoutingKey long id, Row r);

        @Write
        int update(@RoutingKey long id, Row r);
    }

    public interface PgTypedDao extends TypedDao {
        @Override
        @SqlUpdate("INSERT INTO typed (id, ts, tstz, d, tm, num, dbl, rl, flag, uid, js, bin, txt, vc, sm, big) VALUES (:id,"
                + " :r.ts, :r.tstzTs, :r.d, :r.tm, :r.num, :r.dbl, :r.rl, :r.flag, CAST(:r.uidText AS uuid), CAST(:r.js AS jsonb), :r.binBytes,"
                + " :r.txt, :r.vc, :r.sm, :r.big)")
        void insert(@Bind("id") long id, @BindMethods("r") Row r);

        @Override
        @SqlUpdate("UPDATE typed SET ts = :r.ts, tstz = :r.tstzTs, d = :r.d, tm = :r.tm, num = :r.num, dbl = :r.dbl,"
                + " rl = :r.rl, flag = :r.flag, uid = CAST(:r.uidText AS uuid), js = CAST(:r.js AS jsonb), bin = :r.binBytes, txt = :r.txt,"
                + " vc = :r.vc, sm = :r.sm, big = :r.big WHERE id = :id")
        int update(@Bind("id") long id, @BindMethods("r") Row r);
    }

    public interface MariaTypedDao extends TypedDao {
        @Override
        @SqlUpdate("INSERT INTO typed (id, ts, tstz, d, tm, num, dbl, rl, flag, uid, js, bin, txt, vc, sm, big) VALUES (:id,"
                + " :r.ts, :r.tstzTs, :r.d, :r.tm, :r.num, :r.dbl, :r.rl, :r.flag, :r.uidText, :r.js, :r.binBytes,"
                + " :r.txt, :r.vc, :r.sm, :r.big)")
        void insert(@Bind("id") long id, @BindMethods("r") Row r);

        @Override
        @SqlUpdate("UPDATE typed SET ts = :r.ts, tstz = :r.tstzTs, d = :r.d, tm = :r.tm, num = :r.num, dbl = :r.dbl,"
                + " rl = :r.rl, flag = :r.flag, uid = :r.uidText, js = :r.js, bin = :r.binBytes, txt = :r.txt,"
                + " vc = :r.vc, sm = :r.sm, big = :r.big WHERE id = :id")
        int update(@Bind("id") long id, @BindMethods("r") Row r);
    }

    static Stream<Arguments> pairs() {
        return Stream.of(
                Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL, "America/Sao_Paulo"),
                Arguments.of(Engine.MARIADB, Engine.POSTGRESQL, "Asia/Kolkata"),
                Arguments.of(Engine.POSTGRESQL, Engine.MARIADB, "Europe/Berlin"));
    }

    /** The table on each engine; MariaDB's single-precision column is a DOUBLE, since a FLOAT is refused (see below). */
    static void createTable(TestDatabase db) {
        if (db.engine() == Engine.MARIADB) {
            db.execute("CREATE TABLE typed (id BIGINT PRIMARY KEY, ts DATETIME(6), tstz TIMESTAMP(6) NULL, d DATE, tm TIME(6),"
                    + " num DECIMAL(20,6), dbl DOUBLE, rl DOUBLE, flag TINYINT(1), uid CHAR(36), js JSON, bin BLOB, txt TEXT,"
                    + " vc VARCHAR(50), sm SMALLINT, big BIGINT) DEFAULT CHARSET=utf8mb4");
        } else {
            db.execute("CREATE TABLE typed (id BIGINT PRIMARY KEY, ts TIMESTAMP(6), tstz TIMESTAMPTZ(6), d DATE, tm TIME(6),"
                    + " num NUMERIC(20,6), dbl DOUBLE PRECISION, rl REAL, flag BOOLEAN, uid UUID, js JSONB, bin BYTEA, txt TEXT,"
                    + " vc VARCHAR(50), sm SMALLINT, big BIGINT)");
        }
    }

    /** The wall time in the middle of the zone's latest daylight-saving gap before 2025, which the zone never shows. */
    static LocalDateTime gapWallTime(ZoneId zone) {
        ZoneOffsetTransition t = zone.getRules().previousTransition(Instant.parse("2025-01-01T00:00:00Z"));
        while (t != null && !t.isGap()) {
            t = zone.getRules().previousTransition(t.getInstant());
        }
        return t == null ? LocalDateTime.of(2024, 3, 31, 2, 30) : t.getDateTimeBefore().plus(t.getDuration().dividedBy(2));
    }

    /** The latest transition of the zone before 2025 that repeats wall times (a clock set back). */
    static ZoneOffsetTransition overlap(ZoneId zone) {
        ZoneOffsetTransition t = zone.getRules().previousTransition(Instant.parse("2025-01-01T00:00:00Z"));
        while (t != null && !t.isOverlap()) {
            t = zone.getRules().previousTransition(t.getInstant());
        }
        // MariaDB's TIMESTAMP holds 1970 to 2038 only.
        return t == null || t.getInstant().isBefore(Instant.parse("1971-01-01T00:00:00Z")) ? null : t;
    }

    /** Values whose every part both engines' column types hold exactly. */
    /**
     * The values for a pair of engines. Between engines, what MariaDB itself cannot hold is left
     * out (it stores -0 as 0 and prints a FLOAT with six digits, so its own driver reads
     * 1.17549E-38 for 1.17549435E-38), and json is written in jsonb's own form, which PostgreSQL
     * would store reformatted (see {@link #mariaDbJsonVerifiesCleanAgainstJsonb}).
     */
    static List<Row> values(ZoneId zone, boolean crossEngine) {
        List<Row> rows = values(zone);
        if (!crossEngine) {
            return rows;
        }
        List<String> jsonb = List.of("{\"a\": {\"nested\": null}, \"b\": [1, 2.5, \"x\"], \"u\": \"Grüße 🚀\"}", "[]",
                "{\"f\": 0.1, \"s\": \"é\\n\", \"big\": 12345678901234567890}", "{\"a\": 1, \"a2\": [{}, []]}",
                "\"just a string\"");
        float[] floats = {0.1f, 0.0f, 3.0e38f, 1.5e-30f, 1.25e-37f};
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (i < jsonb.size()) {
                r = new Row(r.ts(), r.tstz(), r.d(), r.tm(), r.num(), r.dbl() == -0.0 && 1 / r.dbl() < 0 ? 0.0 : r.dbl(),
                        floats[i], r.flag(), r.uid(), jsonb.get(i), r.bin(), r.txt(), r.vc(), r.sm(), r.big());
            }
            out.add(r);
        }
        return out;
    }

    static List<Row> values(ZoneId zone) {
        LocalDateTime gap = gapWallTime(zone);
        ZoneOffsetTransition overlap = overlap(zone);
        Instant overlapLater = overlap == null ? Instant.parse("2024-10-27T01:30:00Z")
                : overlap.getInstant().plus(overlap.getDuration().abs().dividedBy(2));
        List<Row> rows = new ArrayList<>();
        rows.add(new Row(LocalDateTime.of(2024, 6, 1, 12, 0, 0, 123_456_000), Instant.parse("2024-06-01T12:00:00.654321Z"),
                LocalDate.of(2024, 6, 1), LocalTime.of(13, 14, 15, 123_456_000), new BigDecimal("12345678901234.123456"),
                0.1, 0.1f, true, UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                "{\"b\": [1, 2.5, \"x\"], \"a\": {\"nested\": null}, \"u\": \"Grüße 🚀\"}", "00ff7f80275c",
                "Grüße, naïve café 🚀👩‍👩‍👧 日本語 – ‘q’ \\ '", "ação 日本 🚀", (short) 12, 42L));
        // Edges: year 1, the largest values, negative zero, a decimal of 0.1.
        rows.add(new Row(LocalDateTime.of(1, 1, 1, 0, 0, 0), Instant.parse("1970-01-02T00:00:01Z"), LocalDate.of(1, 1, 1),
                LocalTime.MIDNIGHT, new BigDecimal("-99999999999999.999999"), -0.0, -0.0f, false,
                UUID.fromString("00000000-0000-0000-0000-000000000000"), "[]", "", "", "", Short.MIN_VALUE, Long.MIN_VALUE));
        rows.add(new Row(LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000), Instant.parse("2037-12-31T23:59:59.999999Z"),
                LocalDate.of(9999, 12, 31), LocalTime.of(23, 59, 59, 999_999_000), new BigDecimal("0.100000"),
                Double.MAX_VALUE, 3.0e38f, true, UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                "{\"big\": 12345678901234567890, \"f\": 0.1, \"s\": \"\\u00e9\\n\"}", allBytes(), "  trailing  ",
                "x".repeat(50), Short.MAX_VALUE, Long.MAX_VALUE));
        // The zone's daylight-saving switch: a wall time in its gap, an instant in its repeated hour,
        // dates around the Julian-Gregorian switch that java.sql.Date's calendar handles differently.
        rows.add(new Row(gap, overlapLater, LocalDate.of(1582, 10, 10), LocalTime.of(2, 30), new BigDecimal("-0.000001"),
                Double.MIN_VALUE, Float.MIN_VALUE, false, UUID.randomUUID(), "{\"a\":1,\"a2\":[{},[]]}", "00",
                "line1\nline2\ttab", "ümlaut", (short) 0, 0L));
        rows.add(new Row(gap.plusMinutes(1), overlap == null ? Instant.parse("2024-10-27T01:00:00Z") : overlap.getInstant(),
                LocalDate.of(1582, 10, 4), LocalTime.of(0, 0, 0, 1_000), new BigDecimal("0.000001"), 1e-300, 1.17549435E-38f,
                true, UUID.randomUUID(), "\"just a string\"", "ff", "a", "b", (short) -1, -1L));
        // Nulls in every column.
        rows.add(new Row(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null));
        return rows;
    }

    static String allBytes() {
        byte[] bytes = new byte[256];
        for (int i = 0; i < 256; i++) {
            bytes[i] = (byte) i;
        }
        return HexFormat.of().formatHex(bytes);
    }

    /** The application's plain JDBC insert, the same SQL on either side. */
    static void jdbcInsert(DataSource ds, long id, Row r, boolean nativeUuidAndJson) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO typed (id, ts, tstz, d, tm, num, dbl, rl, flag, " + (nativeUuidAndJson ? "uid, js, " : "")
                        + "bin, txt, vc, sm, big) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, " + (nativeUuidAndJson ? "?, CAST(? AS jsonb), " : "")
                        + "?, ?, ?, ?, ?)")) {
            int i = 1;
            ps.setLong(i++, id);
            i = bind(ps, i, r, nativeUuidAndJson);
            assertEquals(1, ps.executeUpdate());
        }
    }

    static void jdbcUpdate(DataSource ds, long id, Row r, boolean nativeUuidAndJson) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE typed SET ts = ?, tstz = ?, d = ?, tm = ?, num = ?, dbl = ?, rl = ?, flag = ?, "
                        + (nativeUuidAndJson ? "uid = ?, js = CAST(? AS jsonb), " : "")
                        + "bin = ?, txt = ?, vc = ?, sm = ?, big = ? WHERE id = ?")) {
            int i = bind(ps, 1, r, nativeUuidAndJson);
            ps.setLong(i, id);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private static int bind(PreparedStatement ps, int i, Row r, boolean nativeUuidAndJson) throws SQLException {
        ps.setObject(i++, r.ts());
        ps.setTimestamp(i++, r.tstzTs());
        ps.setObject(i++, r.d());
        ps.setObject(i++, r.tm());
        ps.setBigDecimal(i++, r.num());
        if (r.dbl() == null) {
            ps.setNull(i++, Types.DOUBLE);
        } else {
            ps.setDouble(i++, r.dbl());
        }
        if (r.rl() == null) {
            ps.setNull(i++, Types.REAL);
        } else {
            ps.setFloat(i++, r.rl());
        }
        if (r.flag() == null) {
            ps.setNull(i++, Types.BOOLEAN);
        } else {
            ps.setBoolean(i++, r.flag());
        }
        if (nativeUuidAndJson) {
            ps.setObject(i++, r.uid());
            ps.setString(i++, r.js());
        }
        ps.setBytes(i++, r.binBytes());
        ps.setString(i++, r.txt());
        ps.setString(i++, r.vc());
        if (r.sm() == null) {
            ps.setNull(i++, Types.SMALLINT);
        } else {
            ps.setShort(i++, r.sm());
        }
        if (r.big() == null) {
            ps.setNull(i++, Types.BIGINT);
        } else {
            ps.setLong(i++, r.big());
        }
        return i;
    }

    /** The user's own read of one side, with plain JDBC the way the application reads. */
    static Map<Long, Row> read(TestDatabase db) throws SQLException {
        Map<Long, Row> rows = new TreeMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, " + String.join(", ", COLUMNS) + ", " + (db.engine() == Engine.MARIADB
                     ? "DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%f')" : "to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
                     + " AS ts_text FROM typed")) {
            while (rs.next()) {
                Timestamp tstz = rs.getTimestamp("tstz");
                double dbl = rs.getDouble("dbl");
                Double dblValue = rs.wasNull() ? null : dbl;
                float rl = rs.getFloat("rl");
                Float rlValue = rs.wasNull() ? null : rl;
                boolean flag = rs.getBoolean("flag");
                Boolean flagValue = rs.wasNull() ? null : flag;
                short sm = rs.getShort("sm");
                Short smValue = rs.wasNull() ? null : sm;
                long big = rs.getLong("big");
                Long bigValue = rs.wasNull() ? null : big;
                String uid = rs.getString("uid");
                byte[] bin = rs.getBytes("bin");
                // The wall time as the database holds it: MariaDB Connector/J's getObject(LocalDateTime)
                // moves a wall time in the JVM zone's gap, which would blame the copy for the driver.
                String tsText = rs.getString("ts_text");
                rows.put(rs.getLong("id"), new Row(tsText == null ? null : LocalDateTime.parse(tsText), tstz == null ? null : tstz.toInstant(),
                        rs.getObject("d", LocalDate.class), rs.getObject("tm", LocalTime.class), rs.getBigDecimal("num"),
                        dblValue, rlValue, flagValue, uid == null ? null : UUID.fromString(uid), rs.getString("js"),
                        bin == null ? null : HexFormat.of().formatHex(bin), rs.getString("txt"), rs.getString("vc"),
                        smValue, bigValue).normalised());
            }
        }
        return rows;
    }

    /** Every column of every row on each side against what the application wrote; all differences listed. */
    static List<String> differences(String phase, Map<Long, Row> expected, TestDatabase sourceDb, TestDatabase targetDb)
            throws SQLException {
        List<String> problems = new ArrayList<>();
        Map<String, Map<Long, Row>> sides = new LinkedHashMap<>();
        sides.put("source " + sourceDb.engine(), read(sourceDb));
        sides.put("target " + targetDb.engine(), read(targetDb));
        for (Map.Entry<String, Map<Long, Row>> side : sides.entrySet()) {
            for (Map.Entry<Long, Row> e : expected.entrySet()) {
                Row want = e.getValue().normalised();
                Row got = side.getValue().get(e.getKey());
                if (got == null) {
                    problems.add(phase + ": " + side.getKey() + " lacks row " + e.getKey());
                    continue;
                }
                for (java.lang.reflect.RecordComponent rc : Row.class.getRecordComponents()) {
                    try {
                        Object w = rc.getAccessor().invoke(want);
                        Object g = rc.getAccessor().invoke(got);
                        if (!Objects.equals(w, g)) {
                            problems.add(phase + ": " + side.getKey() + " row " + e.getKey() + " column " + rc.getName()
                                    + ": wrote " + w + ", reads " + g);
                        }
                    } catch (ReflectiveOperationException x) {
                        throw new IllegalStateException(x);
                    }
                }
            }
            for (Long id : side.getValue().keySet()) {
                if (!expected.containsKey(id)) {
                    problems.add(phase + ": " + side.getKey() + " has unexpected row " + id);
                }
            }
        }
        return problems;
    }

    static Jdbi jdbi(DataSource dataSource) {
        // JDBI binds java.time through java.sql.Date, Time and Timestamp by default, which drops a
        // LocalTime's fraction and moves wall times in the JVM zone's gaps before Cutover sees them;
        // a careful application binds them as JDBC objects, as its plain JDBC code does.
        Jdbi jdbi = Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin());
        jdbi.registerArgument(ObjectArgumentFactory.create(LocalDate.class, Types.DATE));
        jdbi.registerArgument(ObjectArgumentFactory.create(LocalTime.class, Types.TIME));
        jdbi.registerArgument(ObjectArgumentFactory.create(LocalDateTime.class, Types.TIMESTAMP));
        return jdbi;
    }

    static Class<? extends TypedDao> daoType(Engine engine) {
        return engine == Engine.MARIADB ? MariaTypedDao.class : PgTypedDao.class;
    }

    @ParameterizedTest(name = "{0} -> {1} in {2}")
    @MethodSource("pairs")
    void everyColumnArrivesAsWrittenInEveryPhase(Engine sourceEngine, Engine targetEngine, String zone) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone(zone));
        ZoneId zoneId = ZoneId.of(zone);
        List<Row> values = values(zoneId, sourceEngine != targetEngine);
        boolean nativeUuidAndJson = sourceEngine == Engine.POSTGRESQL && targetEngine == Engine.POSTGRESQL;
        try (TestDatabase sourceDb = TestDatabases.create(sourceEngine, "typessrc");
             TestDatabase targetDb = TestDatabases.create(targetEngine, "typestgt")) {
            createTable(sourceDb);
            createTable(targetDb);
            DataSource source = sourceDb.defaultPool(5);
            DataSource target = targetDb.defaultPool(5);
            Map<Long, Row> expected = new TreeMap<>();
            List<String> problems = new ArrayList<>();
            try (Cutover cutover = Cutover.builder(source, target).build()) {
                Migration migration = cutover.migration("typed", mapping(sourceEngine, targetEngine));
                DataSource app = migration.dataSource();
                TypedDao dao = migration.repository(TypedDao.class,
                        jdbi(source).onDemand(daoType(sourceEngine)), jdbi(target).onDemand(daoType(targetEngine)));
                long[] next = {1};
                // History, before dual writes: the backfill's part.
                writeAll(app, dao, values, expected, next, nativeUuidAndJson);
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                migration.backfill().build().run();
                problems.addAll(differences("after backfill", expected, sourceDb, targetDb));
                writeAll(app, dao, values, expected, next, nativeUuidAndJson);
                updateHistory(app, dao, values, expected, nativeUuidAndJson);
                problems.addAll(differences("DUAL_WRITE", expected, sourceDb, targetDb));
                problems.addAll(verify(migration, "DUAL_WRITE"));
                migration.moveTo(Stage.SHIFT_READS, "alice", "shift reads");
                migration.moveTo(Stage.TARGET_PRIMARY, "alice", "target is primary");
                writeAll(app, dao, values, expected, next, nativeUuidAndJson);
                updateHistory(app, dao, values, expected, nativeUuidAndJson);
                problems.addAll(differences("TARGET_PRIMARY", expected, sourceDb, targetDb));
                problems.addAll(verify(migration, "TARGET_PRIMARY"));
                migration.moveTo(Stage.SHIFT_READS, "alice", "roll back the primary");
                writeAll(app, dao, values, expected, next, nativeUuidAndJson);
                updateHistory(app, dao, values, expected, nativeUuidAndJson);
                problems.addAll(differences("SHIFT_READS back", expected, sourceDb, targetDb));
                problems.addAll(verify(migration, "SHIFT_READS back"));
                assertTrue(cutover.drain(Duration.ofSeconds(10)), "the retry-queue did not drain");
            }
            assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
        }
    }

    private static List<String> verify(Migration migration, String phase) {
        VerificationReport report = migration.verify();
        return report.isClean() ? List.of() : List.of(phase + ": verifier not clean: " + report.toJson());
    }

    /** Each value written once through plain JDBC and once through the JDBI repository. */
    private static void writeAll(DataSource app, TypedDao dao, List<Row> values, Map<Long, Row> expected, long[] next,
            boolean nativeUuidAndJson) throws SQLException {
        for (Row r : values) {
            long id = next[0]++;
            Row jdbcRow = nativeUuidAndJson ? r : withoutUuidAndJson(r);
            jdbcInsert(app, id, jdbcRow, nativeUuidAndJson);
            expected.put(id, jdbcRow);
            long id2 = next[0]++;
            dao.insert(id2, r);
            expected.put(id2, r);
        }
    }

    /** Rows of the history rewritten with another row's values, so that updates are copied too. */
    private static void updateHistory(DataSource app, TypedDao dao, List<Row> values, Map<Long, Row> expected,
            boolean nativeUuidAndJson) throws SQLException {
        for (int i = 0; i < values.size(); i++) {
            Row r = values.get((i + 1) % values.size());
            long jdbcId = 2L * i + 1;
            Row jdbcRow = nativeUuidAndJson ? r : withoutUuidAndJson(r);
            jdbcUpdate(app, jdbcId, jdbcRow, nativeUuidAndJson);
            expected.put(jdbcId, jdbcRow);
            long daoId = 2L * i + 2;
            assertEquals(1, dao.update(daoId, r));
            expected.put(daoId, r);
        }
    }

    static Row withoutUuidAndJson(Row r) {
        return new Row(r.ts(), r.tstz(), r.d(), r.tm(), r.num(), r.dbl(), r.rl(), r.flag(), null, null, r.bin(), r.txt(),
                r.vc(), r.sm(), r.big());
    }

    /**
     * A MariaDB target run in non-strict mode (an empty {@code sql_mode}, still common on old
     * servers) truncates a value its column cannot hold and says so only in a warning. The target's
     * columns here are narrower than the source's: a user expects the copy to fail (and the key to be
     * queued), or at least the verifier to report the rows, never both sides called equal.
     */
    @org.junit.jupiter.api.Test
    void aNonStrictMariaDbTargetThatTruncatesFailsTheCopyInsteadOfHoldingChangedRows() throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
        try (TestDatabase sourceDb = TestDatabases.create(Engine.POSTGRESQL, "narrowsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.MARIADB, "narrowtgt")) {
            sourceDb.execute("CREATE TABLE narrow (id BIGINT PRIMARY KEY, vc VARCHAR(50), num NUMERIC(20,6), sm SMALLINT,"
                    + " ts TIMESTAMP(6))");
            targetDb.execute("CREATE TABLE narrow (id BIGINT PRIMARY KEY, vc VARCHAR(5), num DECIMAL(6,2), sm TINYINT,"
                    + " ts DATETIME) DEFAULT CHARSET=utf8mb4");
            DataSource source = sourceDb.defaultPool(5);
            com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
            config.setJdbcUrl(targetDb.jdbcUrl());
            config.setMaximumPoolSize(5);
            config.setConnectionInitSql("SET SESSION sql_mode = ''");
            try (com.zaxxer.hikari.HikariDataSource target = new com.zaxxer.hikari.HikariDataSource(config);
                 Cutover cutover = Cutover.builder(source, target).build()) {
                Migration migration = cutover.migration("narrow", TableMapping.builder("narrow").key("id", Long.class)
                        .columns("vc", "num", "sm", "ts").build());
                DataSource app = migration.dataSource();
                String insert = "INSERT INTO narrow (id, vc, num, sm, ts) VALUES (?, ?, ?, ?, ?)";
                // Row 1 before dual writes (the backfill copies it), row 2 during them.
                dev.cutover.dualwrite.BackfillException refused = null;
                for (long id : new long[] {1, 2}) {
                    if (id == 2) {
                        migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                        try {
                            // Two attempts instead of ten: the failure is the same each time.
                            migration.backfill().config(dev.cutover.dualwrite.BackfillConfig.custom().maxChunkAttempts(2)
                                    .build()).build().run();
                        } catch (dev.cutover.dualwrite.BackfillException e) {
                            refused = e;
                        }
                    }
                    try (Connection c = app.getConnection(); PreparedStatement ps = c.prepareStatement(insert)) {
                        ps.setLong(1, id);
                        ps.setString(2, "abcdefghij");
                        ps.setBigDecimal(3, new BigDecimal("12345.678901"));
                        ps.setShort(4, (short) 1000);
                        ps.setObject(5, LocalDateTime.of(2024, 6, 1, 12, 0, 0, 123_456_000));
                        assertEquals(1, ps.executeUpdate());
                    }
                }
                List<String> onTarget = new ArrayList<>();
                try (Connection c = targetDb.connect(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT id, vc, num, sm FROM narrow ORDER BY id")) {
                    while (rs.next()) {
                        onTarget.add(rs.getLong(1) + ": " + rs.getString(2) + " " + rs.getBigDecimal(3) + " " + rs.getShort(4));
                    }
                }
                // Either the copy fails (and the key waits in the retry-queue) or the target holds the row as
                // written; a row changed by the target while its copy is counted as made is neither.
                assertEquals(List.of(), onTarget, "the target changed the rows it was given (the source holds"
                        + " abcdefghij 12345.678901 1000) and the copies were counted as made");
                assertTrue(refused != null && refused.getMessage().contains(" vc"),
                        "the backfill did not say which column the target cannot hold: " + refused);
                VerificationReport report = migration.verify();
                assertTrue(!report.isClean(), "the verifier says clean: " + report.toJson());
            }
        }
    }

    /**
     * MariaDB keeps a JSON document as the application wrote it; PostgreSQL's jsonb stores it in its
     * own form (keys sorted, its own spacing), the same document. The backfill copies it (through
     * the user's converter), and then the verifier should find the sides equal.
     */
    @org.junit.jupiter.api.Test
    void mariaDbJsonVerifiesCleanAgainstJsonb() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.MARIADB, "jsonsrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "jsontgt")) {
            createTable(sourceDb);
            createTable(targetDb);
            sourceDb.execute("INSERT INTO typed (id, js) VALUES (1, '{\"b\":1,\"a\":[true, null]}'), (2, '{\"a\": 1}')");
            try (Cutover cutover = Cutover.builder(sourceDb.defaultPool(5), targetDb.defaultPool(5)).build()) {
                Migration migration = cutover.migration("typed", mapping(Engine.MARIADB, Engine.POSTGRESQL));
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                migration.backfill().build().run();
                assertEquals(read(sourceDb), read(targetDb), "the documents differ in meaning");
                VerificationReport report = migration.verify();
                assertTrue(report.isClean(), "the same json documents on both sides, and the verifier says: " + report.toJson());
            }
        }
    }

    /**
     * MariaDB stores a FLOAT as a 4-byte float but sends it as text with six significant digits
     * (16777215 as {@code 16777200}, 123456.789 as {@code 123457}) to a client that does not use its
     * binary protocol, Connector/J's default: every copy would store the printed value. The move that
     * starts the copies is refused, naming the column and a fix; after the fix the floats the
     * application writes reach the target (a PostgreSQL {@code real}, or another MariaDB column) as
     * MariaDB holds them.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Engine.class, names = {"POSTGRESQL", "MARIADB"})
    void aMariaDbFloatIsRefusedBeforeItIsCopiedRounded_andItsFixCopiesItExactly(Engine targetEngine) throws Exception {
        float[] written = {16777215f, 123456.789f, 1.17549435E-38f, 0.1f};
        try (TestDatabase sourceDb = TestDatabases.create(Engine.MARIADB, "floatsrc");
             TestDatabase targetDb = TestDatabases.create(targetEngine, "floattgt")) {
            sourceDb.execute("CREATE TABLE f (id BIGINT PRIMARY KEY, rl FLOAT)");
            targetDb.execute("CREATE TABLE f (id BIGINT PRIMARY KEY, rl " + (targetEngine == Engine.MARIADB ? "FLOAT" : "REAL") + ")");
            try (Cutover cutover = Cutover.builder(sourceDb.defaultPool(5), targetDb.defaultPool(5)).build()) {
                Migration migration = cutover.migration("f", TableMapping.builder("f").key("id", Long.class).column("rl").build());
                DataSource app = migration.dataSource();
                dev.cutover.flags.StageTransitionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                        dev.cutover.flags.StageTransitionException.class,
                        () -> migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes"));
                assertTrue(refused.getMessage().contains("rl") && refused.getMessage().contains("DOUBLE"), refused.getMessage());
                assertEquals(Stage.SOURCE_ONLY, migration.stage());

                sourceDb.execute("ALTER TABLE f MODIFY rl DOUBLE");
                targetDb.execute(targetEngine == Engine.MARIADB ? "ALTER TABLE f MODIFY rl DOUBLE"
                        : "ALTER TABLE f ALTER COLUMN rl TYPE DOUBLE PRECISION");
                migration.moveTo(Stage.DUAL_WRITE, "alice", "start mirroring writes");
                for (int i = 0; i < written.length; i++) {
                    try (Connection c = app.getConnection(); PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO f (id, rl) VALUES (?, ?)")) {
                        ps.setLong(1, i + 1);
                        ps.setFloat(2, written[i]);
                        assertEquals(1, ps.executeUpdate());
                    }
                }
                List<String> problems = new ArrayList<>();
                try (Connection s = sourceDb.connect(); Connection t = targetDb.connect();
                     ResultSet stored = s.createStatement().executeQuery("SELECT id, rl * 1 FROM f ORDER BY id");
                     ResultSet copied = t.createStatement().executeQuery("SELECT id, rl * 1 FROM f ORDER BY id")) {
                    while (stored.next() && copied.next()) {
                        float held = (float) stored.getDouble(2);
                        assertEquals(written[(int) stored.getLong(1) - 1], held, "MariaDB itself holds another float");
                        float got = (float) copied.getDouble(2);
                        if (held != got) {
                            problems.add("row " + copied.getLong(1) + ": the source holds " + held + ", the target got " + got);
                        }
                    }
                }
                assertTrue(problems.isEmpty(), "the copies changed the floats: " + problems);
                assertTrue(migration.verify().isClean());
            }
        }
    }
}
