package dev.cutover.dualwrite.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cutover.common.CutoverException;
import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.KeyTranslation;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link KeyTranslation#idMap}: source ids to UUIDs through a table, insert-if-absent, cached.
 *
 * <p>The insert is a plain {@code INSERT}; a unique-key violation (SQLState class 23) means another
 * translation inserted the id first, and the following {@code SELECT} reads its UUID. This is
 * race-safe on every dialect without dialect-specific SQL, and each statement runs in auto-commit
 * on a connection of its own, so a failed insert aborts nothing else. Statements have a query
 * timeout, and connections a network timeout a little longer, because a translation runs on the
 * thread of the write whose row is being copied: a stalled database must fail it, not hang it.
 */
public final class IdMapTranslation implements KeyTranslation {
    private static final long MAX_CACHE = 100_000_000L;
    private static final int QUERY_TIMEOUT_SECONDS = 5;
    private static final int NETWORK_TIMEOUT_MILLIS = (QUERY_TIMEOUT_SECONDS + 2) * 1000;

    private final DataSource dataSource;
    private final String table;
    private final String selectTarget;
    private final String selectSource;
    private final String insert;
    /** Source ids, numbers widened to Long so that an Integer key and a Long row value meet, to target ids. */
    private final Cache<Object, Object> toTarget;
    private final Cache<Object, Object> toSource;

    /**
     * @param dataSource the database holding the table
     * @param table the table
     * @param sourceIdColumn its column of source ids
     * @param targetIdColumn its column of target ids
     * @param maxCachedIds translations kept per direction
     */
    public IdMapTranslation(DataSource dataSource, String table, String sourceIdColumn, String targetIdColumn,
            long maxCachedIds) {
        this.dataSource = Objects.requireNonNull(dataSource, "null dataSource");
        Objects.requireNonNull(table, "null table");
        for (String part : table.split("\\.", -1)) {
            requireName(part, "table");
        }
        requireName(sourceIdColumn, "sourceIdColumn");
        requireName(targetIdColumn, "targetIdColumn");
        if (maxCachedIds < 0 || maxCachedIds > MAX_CACHE) {
            throw new IllegalArgumentException("maxCachedIds must be between 0 and " + MAX_CACHE + ", but was " + maxCachedIds);
        }
        this.table = table;
        this.selectTarget = "SELECT " + targetIdColumn + " FROM " + table + " WHERE " + sourceIdColumn + " = ?";
        this.selectSource = "SELECT " + sourceIdColumn + " FROM " + table + " WHERE " + targetIdColumn + " = ?";
        this.insert = "INSERT INTO " + table + " (" + sourceIdColumn + ", " + targetIdColumn + ") VALUES (?, ?)";
        this.toTarget = Caffeine.newBuilder().maximumSize(maxCachedIds).build();
        this.toSource = Caffeine.newBuilder().maximumSize(maxCachedIds).build();
    }

    @Override
    public Object toTarget(Object sourceValue) {
        if (sourceValue == null) {
            return null;
        }
        Object targetValue = toTarget.get(normalise(sourceValue), k -> lookupOrInsert(sourceValue));
        toSource.put(targetValue, sourceValue);
        return targetValue;
    }

    @Override
    public Object toSource(Object targetValue) {
        if (targetValue == null) {
            return null;
        }
        Object key = uuid(targetValue);
        Object sourceValue = toSource.get(key, k -> lookupSource(key));
        toTarget.put(normalise(sourceValue), key);
        return sourceValue;
    }

    private Object lookupOrInsert(Object sourceValue) {
        try (Connection connection = NetworkTimeouts.connect(dataSource, NETWORK_TIMEOUT_MILLIS)) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(true);
            try {
                Object found = select(connection, selectTarget, sourceValue);
                if (found != null) {
                    return uuid(found);
                }
                try (PreparedStatement statement = connection.prepareStatement(insert)) {
                    statement.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                    statement.setObject(1, sourceValue);
                    statement.setObject(2, UUID.randomUUID());
                    statement.executeUpdate();
                } catch (SQLException e) {
                    if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
                        throw e;
                    }
                    // Another translation of this id won the insert: read its UUID below.
                }
                found = select(connection, selectTarget, sourceValue);
                if (found == null) {
                    throw new CutoverException("Id map " + table + " has no entry for " + sourceValue
                            + " right after inserting one: check that the table has a unique key on the source id only");
                }
                return uuid(found);
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new CutoverException("Cannot translate id " + sourceValue + " through " + table + ": "
                    + Redaction.message(e, false), e);
        }
    }

    private Object lookupSource(Object targetValue) {
        Object found;
        try (Connection connection = NetworkTimeouts.connect(dataSource, NETWORK_TIMEOUT_MILLIS)) {
            found = select(connection, selectSource, targetValue);
        } catch (SQLException e) {
            throw new CutoverException("Cannot translate id " + targetValue + " back through " + table + ": "
                    + Redaction.message(e, false), e);
        }
        if (found == null) {
            throw new CutoverException("Id map " + table + " has no source id for " + targetValue
                    + ": a row created on the target needs an id-map entry before it can be copied to the source");
        }
        return found;
    }

    private static Object select(Connection connection, String sql, Object value) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            statement.setObject(1, value);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    /** Drivers return UUID columns as UUID (PostgreSQL, H2) or as text (MariaDB's UUID type). */
    private static Object uuid(Object value) {
        if (value instanceof String text) {
            try {
                return UUID.fromString(text);
            } catch (IllegalArgumentException e) {
                return text;
            }
        }
        return value;
    }

    private static Object normalise(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger || value instanceof BigDecimal) {
            try {
                return new BigDecimal(value.toString()).longValueExact();
            } catch (ArithmeticException e) {
                return value;
            }
        }
        return value;
    }

    private static void requireName(String name, String what) {
        Objects.requireNonNull(name, () -> "null " + what);
        Checks.identifier(name, what);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }

    @Override
    public String toString() {
        return "KeyTranslation.idMap(" + table + ")";
    }
}
