package dev.cutover.dualwrite.internal.jdbc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cutover.flags.Side;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code AUTO_INCREMENT} columns of MariaDB and MySQL tables: an inserted 0 there becomes a new
 * value (unless {@code sql_mode} holds {@code NO_AUTO_VALUE_ON_ZERO}), so a statement that inserts
 * one names a key other than the row's. A 0 in any other key column (a list index, a position) is
 * stored as written. Asked of the primary's catalog and kept for a while, as a schema rarely changes
 * while it runs. Thread-safe.
 */
final class AutoIncrementColumns {
    /** How long an answer is kept: a column made AUTO_INCREMENT meanwhile is seen this much later at most. */
    private static final Duration KEPT = Duration.ofSeconds(30);
    private static final String QUERY = "SELECT LOWER(COLUMN_NAME) FROM information_schema.COLUMNS"
            + " WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'";

    private final Cache<String, Set<String>> columns = Caffeine.newBuilder().maximumSize(1024).expireAfterWrite(KEPT)
            .build();

    /**
     * @param c the primary connection (MariaDB or MySQL), in the statement's transaction
     * @param side the primary
     * @param table the mapped table on the primary, unqualified or qualified by its database
     * @param column a key column of it
     * @return whether the column is {@code AUTO_INCREMENT}
     */
    boolean generatesOnZero(Connection c, Side side, String table, String column) throws SQLException {
        String key = side + ":" + c.getCatalog() + ":" + table;
        Set<String> generating = columns.getIfPresent(key);
        if (generating == null) {
            generating = lookUp(c, table);
            columns.put(key, generating);
        }
        return generating.contains(ReferencingKeys.unquote(column).toLowerCase(Locale.ROOT));
    }

    private static Set<String> lookUp(Connection c, String table) throws SQLException {
        int dot = table.lastIndexOf('.');
        Set<String> generating = new HashSet<>();
        try (PreparedStatement statement = c.prepareStatement(QUERY)) {
            statement.setString(1, dot < 0 ? null : ReferencingKeys.unquote(table.substring(0, dot)));
            statement.setString(2, ReferencingKeys.unquote(table.substring(dot + 1)));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    generating.add(rows.getString(1));
                }
            }
        }
        return Set.copyOf(generating);
    }
}
