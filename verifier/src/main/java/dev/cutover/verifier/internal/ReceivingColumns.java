package dev.cutover.verifier.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a PostgreSQL table will not take from a copy, which writes every mapped column with an explicit
 * value bound by {@code setObject}: columns the database always computes itself, and typed columns
 * that a Java {@code String} (text read from the other side) cannot be assigned to.
 */
public final class ReceivingColumns {
    /** The PostgreSQL types a copy's text may fail to reach, with a valid literal of each for the probe. */
    private static final Map<String, String> TEXT_TYPED = Map.of("uuid", "00000000-0000-0000-0000-000000000000",
            "json", "{}", "jsonb", "{}");

    private ReceivingColumns() {
    }

    /**
     * @param connection an open connection to a PostgreSQL database
     * @param qualifiedTable {@code table} or {@code schema.table}
     * @return the table's columns that refuse an explicit value, by lower-case name: {@code GENERATED
     *     ALWAYS AS IDENTITY} ({@code "identity"}) and {@code GENERATED ALWAYS AS (...) STORED}
     *     ({@code "stored"})
     * @throws SQLException if the catalog cannot be read
     */
    public static Map<String, String> alwaysGenerated(Connection connection, String qualifiedTable) throws SQLException {
        Map<String, String> generated = new LinkedHashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT attname, attidentity, attgenerated"
                + " FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped"
                + " AND (attidentity = 'a' OR attgenerated = 's')")) {
            statement.setString(1, qualifiedTable);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    generated.put(rs.getString(1).toLowerCase(Locale.ROOT), "a".equals(rs.getString(2)) ? "identity" : "stored");
                }
            }
        }
        return generated;
    }

    /** @return the PostgreSQL type names a text value may not be assignable to: see {@link #takesText} */
    public static Set<String> textTypedNames() {
        return TEXT_TYPED.keySet();
    }

    /**
     * Whether this connection hands a {@code String} to the server so that a column of the type takes
     * it. pgjdbc binds a {@code String} as {@code varchar}, which PostgreSQL assigns to no {@code uuid},
     * {@code json} or {@code jsonb} column, unless the pool sets {@code stringtype=unspecified}. Asked of
     * the server with the same type resolution an insert uses, writing nothing.
     *
     * @param connection an open connection to a PostgreSQL database
     * @param type one of {@link #textTypedNames()}
     * @return whether such a column takes text bound by this connection
     */
    public static boolean takesText(Connection connection, String type) {
        try (PreparedStatement probe = connection.prepareStatement("SELECT CAST(NULL AS " + type + ") UNION ALL SELECT ?")) {
            probe.setObject(1, TEXT_TYPED.get(type));
            probe.executeQuery().close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }
}
