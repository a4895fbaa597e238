package dev.cutover.dualwrite.internal.jdbc;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.rowset.CachedRowSet;
import javax.sql.rowset.RowSetFactory;
import javax.sql.rowset.RowSetProvider;

/**
 * A routed read's answer, read to the end so that its connection can be returned at once: a
 * disconnected {@link CachedRowSet} for the application, and the same rows as values for the read
 * router's shadow comparison. Public only so that the comparator can read {@link #getRows()}.
 */
public final class QueryResult {
    /** Looked up once: finding the JDK's factory goes through the service loader. */
    private static final RowSetFactory ROW_SETS = rowSetFactory();

    private final CachedRowSet rowSet;
    private final List<Map<String, Object>> rows;

    private QueryResult(CachedRowSet rowSet, List<Map<String, Object>> rows) {
        this.rowSet = rowSet;
        this.rows = rows;
    }

    static QueryResult of(ResultSet resultSet) throws SQLException {
        CachedRowSet rowSet = newRowSet();
        rowSet.populate(resultSet);
        ResultSetMetaData meta = rowSet.getMetaData();
        List<Map<String, Object>> rows = new ArrayList<>();
        while (rowSet.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                row.put(meta.getColumnLabel(i).toLowerCase(Locale.ROOT), rowSet.getObject(i));
            }
            rows.add(row);
        }
        rowSet.beforeFirst();
        return new QueryResult(rowSet, Collections.unmodifiableList(rows));
    }

    /** @return an empty disconnected row set */
    static CachedRowSet newRowSet() throws SQLException {
        return FaithfulRowSet.wrap(ROW_SETS.createCachedRowSet());
    }

    private static RowSetFactory rowSetFactory() {
        try {
            return RowSetProvider.newFactory();
        } catch (SQLException e) {
            throw new IllegalStateException("The JDK's javax.sql.rowset factory is missing", e);
        }
    }

    /** @return the rows, each a map from lower-case column label to value, in the order read */
    public List<Map<String, Object>> getRows() {
        return rows;
    }

    CachedRowSet rowSet() {
        return rowSet;
    }
}
