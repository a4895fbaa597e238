package dev.cutover.common.internal;

import dev.cutover.common.Dialect;
import java.sql.Blob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.GregorianCalendar;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;

/**
 * Reads the columns of a result set as values that mean the same whatever the JVM's time zone,
 * and binds them back: dates, times and timestamps without a time zone become {@link LocalDate},
 * {@link LocalTime} and {@link LocalDateTime} holding exactly the stored fields, timestamps with a
 * time zone become {@link OffsetDateTime}; every other column is read with {@code getObject}.
 *
 * <p>Why: {@code getObject} returns {@link Timestamp} for a timestamp, built in the JVM's zone, so
 * a wall time in that zone's daylight-saving gap (e.g. {@code 2021-03-28 02:30} in Europe/Berlin)
 * becomes the next hour, and a copy writes {@code 03:30}. PostgreSQL's and H2's drivers return the
 * stored fields for {@code getObject(i, LocalDateTime.class)}; MariaDB Connector/J 3.x does not
 * (it goes through a {@code ZonedDateTime} in the JVM's zone, and its {@code getString} too), so
 * MariaDB and MySQL timestamps are read through a proleptic UTC calendar, which has no gaps, and
 * MariaDB times as text: a MariaDB {@code TIME} is a duration that may be negative or over 24 h,
 * such values stay text. A MariaDB {@code YEAR} is read as an {@code Integer}. Binary columns are
 * read as {@code byte[]} when the driver hands them over as a {@link java.sql.Blob} (MariaDB's and
 * H2's do for a BLOB), which PostgreSQL's driver would bind as the id of a new large object, so a
 * BYTEA column refused it; other values of binary types stay as the driver gives them (H2 reports
 * its UUID columns as BINARY and returns a {@code UUID}). CLOBs are read as text. Binding uses
 * {@code setObject}, which both drivers send as the stored fields for {@code java.time} values.
 *
 * <p>One instance per result set; not thread-safe (the calendar is reused).
 */
public final class ColumnValues {
    private enum Kind { OTHER, DATE, TIME, TIMESTAMP, TIMESTAMP_TZ, TIME_TZ, YEAR, BYTES, CHARS }

    private final Kind[] kinds;
    private final boolean mariadb;
    private GregorianCalendar utc;

    private ColumnValues(Kind[] kinds, boolean mariadb) {
        this.kinds = kinds;
        this.mariadb = mariadb;
    }

    /**
     * Prepares the reading of a result set's first {@code width} columns.
     *
     * @param meta the result set's metadata
     * @param width how many columns are read
     * @param dialect the database's dialect, which decides how its driver is asked
     * @return the reader
     * @throws SQLException if the metadata cannot be read
     */
    public static ColumnValues of(ResultSetMetaData meta, int width, Dialect dialect) throws SQLException {
        Kind[] kinds = new Kind[width];
        for (int i = 0; i < width; i++) {
            kinds[i] = kind(meta.getColumnType(i + 1), meta.getColumnTypeName(i + 1));
        }
        return new ColumnValues(kinds, dialect == Dialect.MARIADB || dialect == Dialect.MYSQL);
    }

    private static Kind kind(int type, String typeName) {
        String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
        switch (type) {
            case Types.TIMESTAMP_WITH_TIMEZONE:
                return Kind.TIMESTAMP_TZ;
            case Types.TIMESTAMP:
                // PostgreSQL reports timestamptz as TIMESTAMP.
                return name.equals("timestamptz") || name.contains("with time zone") ? Kind.TIMESTAMP_TZ : Kind.TIMESTAMP;
            case Types.DATE:
                // MariaDB reports YEAR as DATE, and getObject gives a java.sql.Date that a YEAR column refuses.
                return name.equals("year") ? Kind.YEAR : Kind.DATE;
            case Types.TIME_WITH_TIMEZONE:
                return Kind.TIME_TZ;
            case Types.TIME:
                return name.equals("timetz") || name.contains("with time zone") ? Kind.TIME_TZ : Kind.TIME;
            case Types.BINARY:
            case Types.VARBINARY:
            case Types.LONGVARBINARY:
            case Types.BLOB:
                return Kind.BYTES;
            case Types.CLOB:
            case Types.NCLOB:
                return Kind.CHARS;
            default:
                return Kind.OTHER;
        }
    }

    /**
     * Reads the current row's columns, as many as this reader was prepared for.
     *
     * @param rs the result set, on a row
     * @return the values, in column order
     * @throws SQLException if a column cannot be read
     */
    public List<Object> row(ResultSet rs) throws SQLException {
        List<Object> row = new ArrayList<>(kinds.length);
        for (int i = 1; i <= kinds.length; i++) {
            row.add(read(rs, i));
        }
        return row;
    }

    /**
     * Reads one column of the current row.
     *
     * @param rs the result set, on a row
     * @param column the column, from 1
     * @return its value as described above, null for SQL NULL
     * @throws SQLException if it cannot be read
     */
    public Object read(ResultSet rs, int column) throws SQLException {
        switch (kinds[column - 1]) {
            case TIMESTAMP:
                return mariadb ? mariadbTimestamp(rs, column) : rs.getObject(column, LocalDateTime.class);
            case DATE:
                return rs.getObject(column, LocalDate.class);
            case TIME:
                return mariadb ? mariadbTime(rs.getString(column)) : rs.getObject(column, LocalTime.class);
            case TIMESTAMP_TZ:
                return rs.getObject(column, OffsetDateTime.class);
            case BYTES:
                return bytes(rs.getObject(column));
            case CHARS:
                return rs.getString(column);
            case YEAR:
                int year = rs.getInt(column);
                return rs.wasNull() ? null : year;
            case TIME_TZ:
                try {
                    return rs.getObject(column, OffsetTime.class);
                } catch (SQLException e) {
                    return rs.getObject(column);
                }
            default:
                return rs.getObject(column);
        }
    }

    private LocalDateTime mariadbTimestamp(ResultSet rs, int column) throws SQLException {
        if (utc == null) {
            utc = new GregorianCalendar(TimeZone.getTimeZone(ZoneOffset.UTC));
            // Proleptic, as java.time is: no switch to the Julian calendar before 1582.
            utc.setGregorianChange(new Date(Long.MIN_VALUE));
        }
        Timestamp value = rs.getTimestamp(column, utc);
        if (value == null) {
            return null;
        }
        return LocalDateTime.ofEpochSecond(Math.floorDiv(value.getTime(), 1000L), value.getNanos(), ZoneOffset.UTC);
    }

    private static Object mariadbTime(String text) {
        if (text == null) {
            return null;
        }
        try {
            return LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            // A duration such as -01:00:00 or 838:59:59: no time of day holds it, text copies it unchanged.
            return text;
        }
    }

    /**
     * Binds values to a statement's parameters from the first, with {@code setObject}.
     *
     * @param statement the statement
     * @param values the values, as read by this class or converted by a mapping
     * @throws SQLException if a value cannot be bound
     */
    public static void bind(PreparedStatement statement, List<Object> values) throws SQLException {
        for (int i = 0; i < values.size(); i++) {
            statement.setObject(i + 1, values.get(i));
        }
    }

    /** A BLOB's bytes; any other value as it is. */
    private static Object bytes(Object value) throws SQLException {
        if (!(value instanceof Blob blob)) {
            return value;
        }
        try {
            return blob.getBytes(1, Math.toIntExact(blob.length()));
        } finally {
            blob.free();
        }
    }
}
