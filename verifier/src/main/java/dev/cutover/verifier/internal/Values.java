package dev.cutover.verifier.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.sql.Clob;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Brings values read by different drivers from different engines to one form, so that equal data
 * compares equal: integers of any width and decimals of any scale compare by value (whole numbers
 * become {@code Long}, others {@code BigDecimal} without trailing zeros), booleans are 0 or 1,
 * UUIDs are their text, timestamps become UTC {@link Instant}s (a timestamp without a time zone is
 * read as UTC; compared with one with a time zone, the latter's wall time in the JVM's zone is
 * compared), text stays Java (Unicode) text, binary values compare by content, and a PostgreSQL
 * {@code json} or {@code jsonb} document compares with the other side's text as a document.
 * Timestamps and times compare within a precision. Thread-safe.
 */
public final class Values {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /** Numbers equal by value ({@code 1.0} and {@code 1.00}), everything else by {@code equals}. */
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private final Duration tolerance;

    /**
     * Creates a comparison.
     *
     * @param precision timestamps and times less than one such unit apart are equal
     */
    public Values(ChronoUnit precision) {
        this.tolerance = precision.getDuration();
    }

    /**
     * Normalises a value as described above.
     *
     * @param value a value from {@code ResultSet.getObject} or from a mapping's conversion; may be null
     * @return its normal form, null for null
     */
    public static Object normalize(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof String || value instanceof Long) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigDecimal decimal) {
            return decimal(decimal);
        }
        if (value instanceof BigInteger integer) {
            return decimal(new BigDecimal(integer));
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            // Float.toString gives the shortest text that reads back as the same float, so a REAL 0.1 is 0.1.
            return Double.isFinite(d) ? decimal(new BigDecimal(value.toString())) : value.toString();
        }
        if (value instanceof Boolean b) {
            return b ? 1L : 0L;
        }
        if (value instanceof Timestamp t) {
            return t.toLocalDateTime().toInstant(ZoneOffset.UTC);
        }
        if (value instanceof LocalDateTime t) {
            return t.toInstant(ZoneOffset.UTC);
        }
        if (value instanceof OffsetDateTime t) {
            return t.toInstant();
        }
        if (value instanceof ZonedDateTime t) {
            return t.toInstant();
        }
        if (value instanceof Instant) {
            return value;
        }
        if (value instanceof java.sql.Date d) {
            return d.toLocalDate();
        }
        if (value instanceof Time t) {
            return t.toLocalTime();
        }
        if (value instanceof OffsetTime t) {
            return t.withOffsetSameInstant(ZoneOffset.UTC).toLocalTime();
        }
        if (value instanceof LocalDate || value instanceof LocalTime) {
            return value;
        }
        if (value instanceof UUID || value instanceof Character) {
            return value.toString();
        }
        if (value instanceof byte[] bytes) {
            return ByteBuffer.wrap(bytes);
        }
        if (value instanceof Clob clob) {
            try {
                return clob.getSubString(1, (int) clob.length());
            } catch (SQLException e) {
                throw new IllegalStateException("Cannot read a CLOB value: " + e.getMessage(), e);
            }
        }
        return value.toString();
    }

    /**
     * Normalises every value of a list.
     *
     * @param values the values
     * @return a new list of their normal forms
     */
    public static List<Object> normalizeAll(List<Object> values) {
        List<Object> normal = new ArrayList<>(values.size());
        for (Object value : values) {
            normal.add(normalize(value));
        }
        return normal;
    }

    private static boolean zoned(Object value) {
        return value instanceof OffsetDateTime || value instanceof ZonedDateTime || value instanceof Instant;
    }

    private static boolean local(Object value) {
        return value instanceof LocalDateTime || value instanceof Timestamp;
    }

    /**
     * The wall time of an instant in the JVM's zone: how a copy of it into a timestamp without time
     * zone, or of such a timestamp into it, places it (PostgreSQL's driver gives its sessions the
     * JVM's zone). Turning an instant into a wall time is never ambiguous, unlike the reverse.
     */
    private static LocalDateTime wallTime(Object zoned) {
        Instant instant = zoned instanceof Instant i ? i
                : zoned instanceof OffsetDateTime t ? t.toInstant() : ((ZonedDateTime) zoned).toInstant();
        return LocalDateTime.ofInstant(instant, ZoneId.systemDefault());
    }

    private static Object decimal(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= 18) {
            return stripped.longValueExact();
        }
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    /**
     * Whether two raw values hold the same data.
     *
     * @param a a value as read or converted, may be null
     * @param b another, may be null
     * @return true if their normal forms are equal, timestamps and times within the precision
     */
    public boolean same(Object a, Object b) {
        if (a != null && b != null && a.getClass() == b.getClass() && a.equals(b)) {
            // Equal values of one type have equal normal forms: most values of a consistent pair end here,
            // without normalising both sides (which allocates an Instant per timestamp).
            return true;
        }
        Object x = normalize(zoned(a) && local(b) ? wallTime(a) : a);
        Object y = normalize(zoned(b) && local(a) ? wallTime(b) : b);
        if (x instanceof Instant i && y instanceof Instant j) {
            return Duration.between(i, j).abs().compareTo(tolerance) < 0;
        }
        if (x instanceof LocalTime i && y instanceof LocalTime j) {
            return Duration.between(i, j).abs().compareTo(tolerance) < 0;
        }
        if (!Objects.equals(x, y) && x instanceof String one && y instanceof String other && (json(a) || json(b))) {
            return sameDocument(one, other);
        }
        return Objects.equals(x, y);
    }

    /**
     * Whether a value is one of PostgreSQL's {@code json} or {@code jsonb} documents (the driver's
     * {@code PGobject}, looked up by name since the driver is the application's): {@code jsonb} keeps
     * a document in its own form (keys sorted, its own spacing), so the same document written as other
     * text on the other side (MariaDB's JSON is text) compares as a document, not as text.
     */
    private static boolean json(Object value) {
        if (value == null || !value.getClass().getName().equals("org.postgresql.util.PGobject")) {
            return false;
        }
        try {
            Object type = value.getClass().getMethod("getType").invoke(value);
            return "json".equals(type) || "jsonb".equals(type);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private static boolean sameDocument(String one, String other) {
        try {
            return JSON.readTree(one).equals(NUMBERS_BY_VALUE, JSON.readTree(other));
        } catch (JsonProcessingException e) {
            return false; // not a document on one side: the texts differ, and so does the data
        }
    }

}
