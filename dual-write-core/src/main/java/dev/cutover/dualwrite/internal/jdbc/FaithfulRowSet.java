package dev.cutover.dualwrite.internal.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;
import javax.sql.rowset.CachedRowSet;

/**
 * The JDK's {@code CachedRowSetImpl} with the readers that it gets wrong answered from the value it
 * stored: its {@code getTimestamp(column, Calendar)} takes the milliseconds of the current time and
 * drops the nanoseconds ({@code 18.706007} read at {@code 12:02:13.555} comes back as {@code 18.555}),
 * its {@code getDate}/{@code getTime} with a calendar do the same, and its {@code getObject(column,
 * Class)} is not supported at all. Hibernate reads {@code Instant} columns through the calendar form,
 * so a routed read answered the application wrong values, which a merge then wrote back to both sides.
 * The calendar forms here follow the drivers: a value with a zone is an instant, the calendar ignored;
 * a wall time is placed in the calendar's zone.
 */
final class FaithfulRowSet implements InvocationHandler {
    private final CachedRowSet rows;
    /**
     * Per row, the wall times of its TIMESTAMP, TIME and DATE columns without a zone, as the driver
     * read them: the row set holds them as {@code java.sql} values of the JVM's zone, which cannot
     * hold a wall time in that zone's daylight-saving gap ({@code 02:30} on the night clocks go
     * forward reads back as {@code 03:30}), though it is an instant's UTC wall time all the same.
     */
    private final List<Object[]> wallTimes = new ArrayList<>();

    private FaithfulRowSet(CachedRowSet rows) {
        this.rows = rows;
    }

    static CachedRowSet wrap(CachedRowSet rows) {
        return (CachedRowSet) Proxy.newProxyInstance(FaithfulRowSet.class.getClassLoader(),
                new Class<?>[] {CachedRowSet.class}, new FaithfulRowSet(rows));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        int arity = args == null ? 0 : args.length;
        if (name.equals("populate") && arity == 1 && args[0] instanceof ResultSet source) {
            rows.populate(recordingWallTimes(source));
            return null;
        }
        boolean byColumn = arity >= 1 && (args[0] instanceof Integer || args[0] instanceof String);
        if (arity == 2 && byColumn) {
            int column = column(args[0]);
            if (args[1] instanceof Calendar || (args[1] == null && method.getParameterTypes()[1] == Calendar.class)) {
                Calendar calendar = (Calendar) args[1];
                switch (name) {
                    case "getTimestamp":
                        return timestamp(column, calendar);
                    case "getDate":
                        return date(column, calendar);
                    case "getTime":
                        return time(column, calendar);
                    default:
                        break;
                }
            } else if (name.equals("getObject") && args[1] instanceof Class<?> type) {
                return object(column, type);
            }
        }
        if (name.equals("getTimestamp") && arity == 1 && byColumn) {
            return timestamp(column(args[0]), null);
        }
        if (name.equals("equals") && arity == 1) {
            return proxy == args[0];
        }
        if (name.equals("hashCode") && arity == 0) {
            return System.identityHashCode(proxy);
        }
        try {
            return method.invoke(rows, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** @return the column a reader names, by index or by label */
    private int column(Object indexOrLabel) throws SQLException {
        return indexOrLabel instanceof Integer index ? index : rows.findColumn((String) indexOrLabel);
    }

    private boolean withZone(int column) throws SQLException {
        return withZone(rows.getMetaData(), column);
    }

    private static boolean withZone(ResultSetMetaData meta, int column) throws SQLException {
        int type = meta.getColumnType(column);
        if (type == Types.TIMESTAMP_WITH_TIMEZONE || type == Types.TIME_WITH_TIMEZONE) {
            return true;
        }
        String typeName = String.valueOf(meta.getColumnTypeName(column)).toLowerCase(Locale.ROOT);
        return typeName.equals("timestamptz") || typeName.equals("timetz") || typeName.contains("with time zone");
    }

    private static ZoneId zone(Calendar calendar) {
        return calendar == null ? ZoneId.systemDefault() : calendar.getTimeZone().toZoneId();
    }

    private Timestamp timestamp(int column, Calendar calendar) throws SQLException {
        if (rows.getObject(column) instanceof OffsetDateTime instant) {
            return Timestamp.from(instant.toInstant()); // H2's TIMESTAMP WITH TIME ZONE, which the JDK's row set cannot convert
        }
        Timestamp stored = rows.getTimestamp(column);
        if (stored == null || calendar == null || withZone(column)) {
            return stored;
        }
        return Timestamp.from(wallTime(column, stored).atZone(zone(calendar)).toInstant());
    }

    /**
     * Wraps the driver's result set so that, as the row set reads each row, the wall times of its
     * zoneless TIMESTAMP, TIME and DATE columns are read too, as {@code LocalDateTime},
     * {@code LocalTime} and {@code LocalDate}.
     */
    private ResultSet recordingWallTimes(ResultSet source) throws SQLException {
        ResultSetMetaData meta = source.getMetaData();
        List<Integer> columns = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            int type = meta.getColumnType(i);
            if ((type == Types.TIMESTAMP || type == Types.TIME || type == Types.DATE) && !withZone(meta, i)) {
                columns.add(i);
            }
        }
        if (columns.isEmpty()) {
            return source;
        }
        wallTimes.clear();
        return (ResultSet) Proxy.newProxyInstance(FaithfulRowSet.class.getClassLoader(), new Class<?>[] {ResultSet.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(source, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("next") && Boolean.TRUE.equals(result)) {
                        Object[] row = new Object[meta.getColumnCount() + 1];
                        for (int column : columns) {
                            row[column] = readWallTime(source, column, meta.getColumnType(column));
                        }
                        wallTimes.add(row);
                    }
                    return result;
                });
    }

    /** @return the driver's wall time, or null where the driver cannot give one (the row set's value is used then) */
    private static Object readWallTime(ResultSet source, int column, int type) {
        try {
            if (type == Types.DATE) {
                return source.getObject(column, LocalDate.class);
            }
            // Read through UTC, which has no gap: some drivers' LocalDateTime moves a gap's wall time.
            Calendar utc = Calendar.getInstance(TimeZone.getTimeZone(ZoneOffset.UTC));
            if (type == Types.TIME) {
                Time time = source.getTime(column, utc);
                return time == null ? null : LocalTime.ofNanoOfDay(Math.floorMod(time.getTime(), 86_400_000L) * 1_000_000L);
            }
            Timestamp timestamp = source.getTimestamp(column, utc);
            return timestamp == null ? null : LocalDateTime.ofInstant(timestamp.toInstant(), ZoneOffset.UTC);
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    private LocalDateTime wallTime(int column, Timestamp stored) throws SQLException {
        Object recorded = recorded(column);
        return recorded instanceof LocalDateTime wall ? wall : stored.toLocalDateTime();
    }

    private Object recorded(int column) throws SQLException {
        int row = rows.getRow();
        if (row < 1 || row > wallTimes.size()) {
            return null;
        }
        Object[] values = wallTimes.get(row - 1);
        return column < values.length ? values[column] : null;
    }

    private Date date(int column, Calendar calendar) throws SQLException {
        Date stored = rows.getDate(column);
        if (stored == null || calendar == null) {
            return stored;
        }
        LocalDate day = recorded(column) instanceof LocalDate recordedDay ? recordedDay : stored.toLocalDate();
        return new Date(day.atStartOfDay(zone(calendar)).toInstant().toEpochMilli());
    }

    private Time time(int column, Calendar calendar) throws SQLException {
        Time stored = rows.getTime(column);
        if (stored == null || calendar == null || withZone(column)) {
            return stored;
        }
        LocalDateTime wall = recorded(column) instanceof LocalTime time ? LocalDate.EPOCH.atTime(time)
                : LocalDateTime.ofInstant(Instant.ofEpochMilli(stored.getTime()), ZoneId.systemDefault());
        return new Time(wall.atZone(zone(calendar)).toInstant().toEpochMilli());
    }

    private Object object(int column, Class<?> type) throws SQLException {
        Object value = rows.getObject(column);
        if (value == null) {
            return null;
        }
        if (type.isInstance(value)) {
            return value;
        }
        if (value instanceof Timestamp ts) {
            if (type == LocalDateTime.class) {
                return withZone(column) ? ts.toLocalDateTime() : wallTime(column, ts);
            }
            if (type == Instant.class) {
                return ts.toInstant();
            }
            if (type == OffsetDateTime.class) {
                return withZone(column) ? ts.toInstant().atOffset(ZoneOffset.UTC)
                        : ts.toLocalDateTime().atZone(ZoneId.systemDefault()).toOffsetDateTime();
            }
            if (type == LocalDate.class) {
                return ts.toLocalDateTime().toLocalDate();
            }
        }
        if (value instanceof Date d && type == LocalDate.class) {
            return recorded(column) instanceof LocalDate day ? day : d.toLocalDate();
        }
        if (value instanceof Time t && type == LocalTime.class) {
            if (recorded(column) instanceof LocalTime wall) {
                return wall;
            }
            return LocalDateTime.ofInstant(Instant.ofEpochMilli(t.getTime()), ZoneId.systemDefault()).toLocalTime();
        }
        if (type == String.class) {
            return rows.getString(column);
        }
        if (value instanceof Number n) {
            if (type == Long.class) {
                return n.longValue();
            }
            if (type == Integer.class) {
                return n.intValue();
            }
            if (type == Short.class) {
                return n.shortValue();
            }
            if (type == Double.class) {
                return n.doubleValue();
            }
            if (type == Float.class) {
                return n.floatValue();
            }
            if (type == BigDecimal.class) {
                return rows.getBigDecimal(column);
            }
        }
        if (type == Boolean.class) {
            return rows.getBoolean(column);
        }
        throw new SQLException("Cannot convert column " + column + " of type " + value.getClass().getName() + " to "
                + type.getName(), "22023");
    }
}
