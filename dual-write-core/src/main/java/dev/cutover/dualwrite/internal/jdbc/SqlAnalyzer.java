package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Equality;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExpressionVisitorAdapter;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.DescribeStatement;
import net.sf.jsqlparser.statement.ExplainStatement;
import net.sf.jsqlparser.statement.ResetStatement;
import net.sf.jsqlparser.statement.SetStatement;
import net.sf.jsqlparser.statement.ShowColumnsStatement;
import net.sf.jsqlparser.statement.ShowStatement;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.UseStatement;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.Values;
import net.sf.jsqlparser.statement.update.Update;
import net.sf.jsqlparser.statement.update.UpdateSet;
import net.sf.jsqlparser.util.TablesNamesFinder;

/**
 * Classifies SQL texts with JSqlParser and remembers the last few thousand analyses, since
 * applications repeat the same texts. Thread-safe.
 */
final class SqlAnalyzer {
    private static final int CACHE_SIZE = 4096;

    private final Map<String, SqlAnalysis> cache = Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, SqlAnalysis> eldest) {
                    return size() > CACHE_SIZE;
                }
            });

    SqlAnalysis analyze(String sql) {
        SqlAnalysis known = cache.get(sql);
        if (known != null) {
            return known;
        }
        SqlAnalysis analysis = parse(sql);
        cache.put(sql, analysis);
        return analysis;
    }

    private static SqlAnalysis parse(String sql) {
        Statement statement;
        try {
            statement = CCJSqlParserUtil.parse(sql);
        } catch (JSQLParserException | RuntimeException e) {
            return other(sql, null, "the SQL parser does not understand it (" + firstLine(e.getMessage()) + ")");
        }
        if (statement instanceof Select select) {
            return read(sql, select);
        }
        if (statement instanceof Insert insert) {
            return insert(sql, insert);
        }
        if (statement instanceof Update update) {
            return update(sql, update);
        }
        if (statement instanceof Delete delete) {
            return delete(sql, delete);
        }
        if (statement instanceof SetStatement || statement instanceof ShowStatement || statement instanceof ShowColumnsStatement
                || statement instanceof ExplainStatement || statement instanceof DescribeStatement
                || statement instanceof UseStatement || statement instanceof ResetStatement) {
            return new SqlAnalysis(Kind.SESSION, sql, null, List.of(), null, List.of(), List.of(), null, null,
                    List.of(), List.of(), List.of());
        }
        String table = null;
        try {
            List<String> tables = new TablesNamesFinder<Void>().getTableList(statement);
            table = tables.size() == 1 ? normalise(tables.get(0)) : null;
        } catch (RuntimeException e) {
            // DDL and vendor statements the finder does not support: no table to name.
        }
        return other(sql, table, statement.getClass().getSimpleName().toUpperCase(Locale.ROOT)
                + " statements change what Cutover cannot copy row by row (DDL, MERGE, procedure calls)");
    }

    private static SqlAnalysis read(String sql, Select select) {
        List<String> tables;
        try {
            tables = new TablesNamesFinder<Void>().getTableList((Statement) select).stream().map(SqlAnalyzer::normalise)
                    .distinct().toList();
        } catch (RuntimeException e) {
            tables = null;
        }
        boolean locking = select.getForMode() != null
                || select instanceof PlainSelect plain && plain.getForMode() != null;
        List<Equality> equalities = new ArrayList<>();
        if (select instanceof PlainSelect plain && plain.getJoins() == null && plain.getFromItem() instanceof Table
                && plain.getWhere() != null) {
            collectEqualities(plain.getWhere(), equalities);
        }
        // A read whose tables cannot be listed is kept on the primary: tables == null.
        return new SqlAnalysis(locking ? Kind.LOCKING_READ : Kind.READ, sql, null, tables, null, List.of(), List.of(),
                null, null, List.of(), List.of(), List.copyOf(equalities));
    }

    private static void collectEqualities(Expression where, List<Equality> equalities) {
        if (where instanceof AndExpression and) {
            collectEqualities(and.getLeftExpression(), equalities);
            collectEqualities(and.getRightExpression(), equalities);
        } else if (where instanceof EqualsTo equals) {
            if (equals.getLeftExpression() instanceof Column column && KeyValues.isValue(equals.getRightExpression())) {
                equalities.add(new Equality(unquote(column.getColumnName()), equals.getRightExpression()));
            } else if (equals.getRightExpression() instanceof Column column && KeyValues.isValue(equals.getLeftExpression())) {
                equalities.add(new Equality(unquote(column.getColumnName()), equals.getLeftExpression()));
            }
        }
    }

    private static SqlAnalysis insert(String sql, Insert insert) {
        String table = normalise(insert.getTable().getFullyQualifiedName());
        String refusal = null;
        List<String> columns = List.of();
        List<List<Expression>> rows = List.of();
        Select source = insert.getSelect();
        if (insert.getWithItemsList() != null && !insert.getWithItemsList().isEmpty()) {
            refusal = "INSERT with WITH clauses is not keyed by Cutover";
        } else if (!(source instanceof Values values)) {
            refusal = insert.isUseSet() ? "INSERT ... SET is vendor syntax Cutover does not key"
                    : "INSERT ... SELECT inserts rows whose keys Cutover cannot know before they are written";
        } else if (insert.getColumns() == null || insert.getColumns().isEmpty()) {
            refusal = "an INSERT without a column list cannot be keyed: name the columns";
        } else if (insert.isUseDuplicate() || insert.getConflictAction() != null || insert.isModifierIgnore()) {
            refusal = "upserts (ON DUPLICATE KEY, ON CONFLICT, INSERT IGNORE) may change a row other than the one"
                    + " named by the inserted key";
        } else {
            columns = insert.getColumns().stream().map(c -> unquote(c.getColumnName())).toList();
            rows = rows(values.getExpressions(), columns.size());
            if (rows == null) {
                refusal = "the VALUES rows do not match the column list";
                rows = List.of();
            }
        }
        return new SqlAnalysis(Kind.INSERT, sql, table, List.of(table), refusal, columns, rows, null, null, List.of(),
                List.of(), List.of());
    }

    /** @return the rows of a VALUES clause, each {@code width} wide, or null if they do not fit */
    private static List<List<Expression>> rows(ExpressionList<?> expressions, int width) {
        boolean multiRow = !expressions.isEmpty() && expressions.stream()
                .allMatch(e -> e instanceof ExpressionList<?> list && list.size() == width);
        if (!multiRow) {
            return expressions.size() == width ? List.of(List.copyOf(expressions)) : null;
        }
        List<List<Expression>> rows = new ArrayList<>();
        for (Expression row : expressions) {
            rows.add(List.copyOf((ExpressionList<?>) row));
        }
        return rows;
    }

    private static SqlAnalysis update(String sql, Update update) {
        String table = normalise(update.getTable().getFullyQualifiedName());
        String refusal = null;
        if (update.getFromItem() != null || notEmpty(update.getJoins()) || notEmpty(update.getStartJoins())) {
            refusal = "an UPDATE of several tables (joins, FROM) cannot be keyed: update one table per statement";
        } else if (notEmpty(update.getOrderByElements()) || update.getLimit() != null) {
            refusal = "UPDATE ... ORDER BY/LIMIT picks rows Cutover cannot find again before the update";
        } else if (notEmpty(update.getWithItemsList())) {
            refusal = "UPDATE with WITH clauses is not keyed by Cutover";
        }
        List<String> setColumns = new ArrayList<>();
        for (UpdateSet set : update.getUpdateSets()) {
            for (Column column : set.getColumns()) {
                setColumns.add(unquote(column.getColumnName()));
            }
        }
        return keyedByWhere(Kind.UPDATE, sql, table, update.getTable(), update.getWhere(), refusal, setColumns);
    }

    private static SqlAnalysis delete(String sql, Delete delete) {
        String table = normalise(delete.getTable().getFullyQualifiedName());
        String refusal = null;
        if (notEmpty(delete.getTables()) || notEmpty(delete.getJoins()) || notEmpty(delete.getUsingList())) {
            refusal = "a DELETE over several tables (joins, USING) cannot be keyed: delete from one table per statement";
        } else if (notEmpty(delete.getOrderByElements()) || delete.getLimit() != null) {
            refusal = "DELETE ... ORDER BY/LIMIT picks rows Cutover cannot find again before the delete";
        } else if (notEmpty(delete.getWithItemsList())) {
            refusal = "DELETE with WITH clauses is not keyed by Cutover";
        }
        return keyedByWhere(Kind.DELETE, sql, table, delete.getTable(), delete.getWhere(), refusal, List.of());
    }

    private static SqlAnalysis keyedByWhere(Kind kind, String sql, String table, Table from, Expression where,
            String refusal, List<String> setColumns) {
        List<Integer> parameters = new ArrayList<>();
        String whereSql = where == null ? null : where.toString();
        if (where != null && refusal == null) {
            where.accept(new ExpressionVisitorAdapter<Void>() {
                @Override
                public <S> Void visit(JdbcParameter parameter, S context) {
                    parameters.add(parameter.getIndex());
                    return null;
                }
            }, null);
            if (parameters.size() != countPlaceholders(whereSql) || parameters.contains(null)) {
                refusal = "its WHERE condition has parameters Cutover cannot place (in a subquery, or numbered)";
            }
        }
        return new SqlAnalysis(kind, sql, table, List.of(table), refusal, List.of(), List.of(), from.toString(), whereSql,
                List.copyOf(parameters), List.copyOf(setColumns), List.of());
    }

    /** Counts the {@code ?} outside quoted literals and identifiers. */
    static int countPlaceholders(String sql) {
        int count = 0;
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == '?') {
                count++;
            }
        }
        return count;
    }

    private static SqlAnalysis other(String sql, String table, String reason) {
        return new SqlAnalysis(Kind.OTHER, sql, table, table == null ? List.of() : List.of(table), reason, List.of(),
                List.of(), null, null, List.of(), List.of(), List.of());
    }

    private static boolean notEmpty(List<?> list) {
        return list != null && !list.isEmpty();
    }

    /** @return a table name without quotes, lower case, as mappings are matched */
    static String normalise(String name) {
        StringBuilder out = new StringBuilder();
        for (String part : name.split("\\.")) {
            if (out.length() > 0) {
                out.append('.');
            }
            out.append(unquote(part));
        }
        return out.toString();
    }

    static String unquote(String name) {
        String n = name.trim();
        if (n.length() >= 2 && (n.charAt(0) == '"' || n.charAt(0) == '`' || n.charAt(0) == '[')) {
            n = n.substring(1, n.length() - 1);
        }
        return n.toLowerCase(Locale.ROOT);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
