package dev.cutover.examples.shop;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Compares a table on both databases row by row, in key order, with values normalised (decimals
 * by value, numbers by their long value), and counts the rows that differ or exist on one side only.
 * The scenario examples use it too: it is the examples' stand-in for Cutover's verifier, for tables
 * with the same columns on both sides.
 */
public final class TableCheck {
    private TableCheck() {
    }

    /**
     * Lists the keys whose rows differ, naming how: {@code missing on target}, {@code extra on
     * target} or {@code source [...] target [...]}.
     *
     * @param source the source database
     * @param target the target database
     * @param table the table, with the same name and columns on both sides
     * @param key the key column, which orders the rows
     * @return one line per differing key; empty when the table is the same on both sides
     * @throws SQLException if either database cannot be read
     */
    public static List<String> differingRows(DataSource source, DataSource target, String table, String key) throws SQLException {
        Map<String, List<Object>> left = rows(source, table, key);
        Map<String, List<Object>> right = rows(target, table, key);
        List<String> differing = new ArrayList<>();
        for (Map.Entry<String, List<Object>> row : left.entrySet()) {
            List<Object> other = right.get(row.getKey());
            if (other == null) {
                differing.add(table + " " + row.getKey() + ": missing on target");
            } else if (!Objects.equals(row.getValue(), other)) {
                differing.add(table + " " + row.getKey() + ": source " + row.getValue() + " target " + other);
            }
        }
        for (String k : right.keySet()) {
            if (!left.containsKey(k)) {
                differing.add(table + " " + k + ": extra on target");
            }
        }
        return differing;
    }

    private static Map<String, List<Object>> rows(DataSource dataSource, String table, String key) throws SQLException {
        Map<String, List<Object>> rows = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY " + key)) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                List<Object> values = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    values.add(normalise(rs.getObject(i)));
                }
                rows.put(String.valueOf(rs.getObject(key)), values);
            }
        }
        return rows;
    }

    private static Object normalise(Object value) {
        if (value instanceof BigDecimal) {
            return ((BigDecimal) value).stripTrailingZeros();
        }
        if (value instanceof Number) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        return value;
    }
}
