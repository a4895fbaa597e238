package dev.cutover.dualwrite.internal.jdbc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.internal.TypeLabels;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Equality;
import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExpressionVisitorAdapter;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.DescribeStatement;
import net.sf.jsqlparser.statement.ReturningClause;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.RenameTableStatement;
import net.sf.jsqlparser.statement.comment.Comment;
import net.sf.jsqlparser.statement.create.index.CreateIndex;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.create.view.CreateView;
import net.sf.jsqlparser.statement.execute.Execute;
import net.sf.jsqlparser.statement.merge.Merge;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.statement.upsert.Upsert;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;
import net.sf.jsqlparser.statement.select.SelectItem;
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
    private static final TypeLabels<String> STATEMENT_NAMES = TypeLabels.of(Map.entry(CreateTable.class, "CREATE TABLE"),
            Map.entry(CreateIndex.class, "CREATE INDEX"), Map.entry(CreateView.class, "CREATE VIEW"),
            Map.entry(Alter.class, "ALTER TABLE"), Map.entry(RenameTableStatement.class, "RENAME TABLE"),
            Map.entry(Comment.class, "COMMENT ON"));

    // Caffeine rather than a synchronized LinkedHashMap: a hit is on every statement's path, and a
    // lock-free read keeps concurrent statements from queueing behind one another there.
    private final Cache<String, SqlAnalysis> cache = Caffeine.newBuilder().maximumSize(CACHE_SIZE).build();

    SqlAnalysis analyze(String sql) {
        return cache.get(sql, SqlAnalyzer::parse);
    }

    private static SqlAnalysis parse(String sql) {
        int statements = statementCount(sql);
        if (statements > 1) {
            // JSqlParser reads only the first statement of such a text, while the driver may run them all.
            return other(sql, null, "it holds " + statements + " statements, and Cutover keys and mirrors one"
                    + " statement per execution (the others would reach only the primary)",
                    "send each statement in its own execute call, or as its own addBatch(String) entry");
        }
        Statement statement;
        try {
            statement = CCJSqlParserUtil.parse(sql);
        } catch (JSQLParserException | RuntimeException e) {
            return other(sql, null, "the SQL parser does not understand it (" + Redaction.reduce(firstLine(e.getMessage())) + "), so"
                    + " Cutover cannot tell which rows it writes", "write it as INSERT ... VALUES, or UPDATE or DELETE"
                    + " of one table with a WHERE condition, or run it in a single-side stage");
        }
        return classify(sql, statement).withFunctions(functions(statement));
    }

    /**
     * @return the names of the functions a statement calls, or null when they cannot be told (the
     *     finder does not walk every statement)
     */
    private static List<String> functions(Statement statement) {
        List<String> names = new ArrayList<>();
        TablesNamesFinder<Void> finder = new TablesNamesFinder<>() {
            @Override
            public <S> Void visit(Function function, S context) {
                String name = function.getName();
                if (name != null) {
                    names.add(unquote(name.substring(name.lastIndexOf('.') + 1)));
                }
                return super.visit(function, context);
            }
        };
        try {
            if (statement instanceof SetStatement set) {
                for (Expression expression : set.getExpressions()) {
                    finder.getTables(expression);
                }
            } else {
                finder.getTables(statement);
            }
        } catch (RuntimeException e) {
            return null;
        }
        return names.stream().distinct().toList();
    }

    private static SqlAnalysis classify(String sql, Statement statement) {
        String ambiguity = lexicalAmbiguity(sql);
        if (ambiguity != null && (ambiguity.startsWith(EXECUTABLE_COMMENT) || statement instanceof Insert
                || statement instanceof Update || statement instanceof Delete)) {
            // Keys are read from the parse: a text the primary reads differently could write rows other
            // than the ones the parse names, and the affected-row count would not always show it.
            return other(sql, writtenTable(statement), ambiguity + ", so the rows Cutover would key may not be"
                    + " the ones the database writes", "send values as ? parameters of a PreparedStatement, and"
                    + " comments as /* ... */ without nesting or a leading '!'");
        }
        if (statement instanceof PlainSelect plain && notEmpty(plain.getIntoTables())) {
            return other(sql, normalise(plain.getIntoTables().get(0).getFullyQualifiedName()), "SELECT ... INTO creates"
                    + " a table from the rows it reads, which Cutover cannot copy row by row", "create the table on"
                    + " each database yourself, then fill it with INSERT ... VALUES");
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
                    List.of(), List.of(), List.of(), null, null, List.of());
        }
        String table = null;
        try {
            List<String> tables = new TablesNamesFinder<Void>().getTableList(statement);
            table = tables.size() == 1 ? normalise(tables.get(0)) : null;
        } catch (RuntimeException e) {
            // DDL and vendor statements the finder does not support: no table to name.
        }
        String name = statementName(statement, sql);
        if (statement instanceof Merge) {
            return other(sql, table, "MERGE may insert, update or delete rows whose keys Cutover cannot know before it"
                    + " runs", "write the rows with INSERT ... VALUES, UPDATE or DELETE, which Cutover keys");
        }
        if (statement instanceof Upsert) {
            return other(sql, table, name + " is an upsert: it replaces (deletes and inserts) or updates whatever row"
                    + " holds the same primary or unique key, which may be a row other than the one its values name",
                    "read the row, then INSERT it or UPDATE it by key, in one transaction");
        }
        if (statement instanceof Execute) {
            return other(sql, table, name + " runs a procedure, which may write rows Cutover cannot key", "write the"
                    + " rows with INSERT, UPDATE or DELETE statements, or call the procedure in a single-side stage");
        }
        if (statement instanceof Truncate) {
            return other(sql, table, "TRUNCATE deletes every row without naming their keys, so Cutover cannot copy"
                    + " the deletes", "delete the rows with DELETE ... WHERE, which Cutover keys, or truncate both"
                    + " databases yourself in a single-side stage");
        }
        return other(sql, table, name + " statements change the schema (or other objects), which Cutover does not"
                + " copy: it copies rows", "run it on each database yourself, in a single-side stage or on the"
                + " underlying pools");
    }

    private static final String EXECUTABLE_COMMENT = "it holds an executable comment";

    /** @return the table an INSERT, UPDATE or DELETE writes, normalised, or null */
    private static String writtenTable(Statement statement) {
        Table table = statement instanceof Insert insert ? insert.getTable()
                : statement instanceof Update update ? update.getTable()
                : statement instanceof Delete delete ? delete.getTable() : null;
        return table == null ? null : normalise(table.getFullyQualifiedName());
    }

    /**
     * Finds what the engines lex differently from the SQL parser, outside and inside literals: a
     * text holding it may mean one statement to the parser and another to the primary.
     *
     * @param sql a SQL text
     * @return why the text is ambiguous, or null
     */
    static String lexicalAmbiguity(String sql) {
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int close = sql.indexOf(c, i + 1);
                int backslash = sql.indexOf('\\', i + 1);
                if (c != '`' && backslash >= 0 && (close < 0 || backslash < close)) {
                    return "it holds a backslash in a quoted literal, which MariaDB, MySQL and PostgreSQL's E'...'"
                            + " strings read as an escape and the SQL parser does not";
                }
                i = close < 0 ? n : close + 1;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                if (i + 2 < n && !Character.isWhitespace(sql.charAt(i + 2))) {
                    // The character is not quoted: it may belong to a value.
                    return "it holds '--' directly followed by a character, which MariaDB and MySQL read as two"
                            + " minus signs and the SQL parser as a comment";
                }
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                if (sql.startsWith("/*!", i) || sql.startsWith("/*M!", i)) {
                    return EXECUTABLE_COMMENT + " (/*! ... */), whose text MariaDB and MySQL run and the SQL parser"
                            + " skips";
                }
                int close = sql.indexOf("*/", i + 2);
                int nested = sql.indexOf("/*", i + 2);
                if (nested >= 0 && (close < 0 || nested < close)) {
                    return "it holds a comment inside a comment, which PostgreSQL nests and the SQL parser ends at"
                            + " the first '*/'";
                }
                i = close < 0 ? n : close + 2;
            } else {
                i++;
            }
        }
        return null;
    }

    /** Readable statement names, for messages; the others are named by their first word. */
    private static String statementName(Statement statement, String sql) {
        return STATEMENT_NAMES.labelOf(statement).orElseGet(() -> firstWord(sql));
    }

    private static String firstWord(String sql) {
        String text = stripComments(sql).trim();
        int end = 0;
        while (end < text.length() && Character.isLetter(text.charAt(end))) {
            end++;
        }
        return end == 0 ? "these" : text.substring(0, end).toUpperCase(Locale.ROOT);
    }

    /**
     * Counts the statements of a text: the parts between top-level semicolons that hold more than
     * whitespace and comments. Quoting rules differ between engines (backslash escapes in MariaDB
     * strings, {@code #} comments), and a text read with the wrong ones could hide a semicolon; so it
     * is read with each set of rules and the highest count wins: a single statement read as several is
     * refused, never the reverse.
     *
     * @param sql a SQL text
     * @return how many statements it holds
     */
    static int statementCount(String sql) {
        int count = 0;
        for (int rules = 0; rules < 4; rules++) {
            count = Math.max(count, statementCount(sql, (rules & 1) != 0, (rules & 2) != 0));
        }
        return count;
    }

    private static int statementCount(String sql, boolean backslashEscapes, boolean hashComments) {
        int count = 0;
        boolean content = false;
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                content = true;
                i++;
                while (i < n && sql.charAt(i) != c) {
                    i += backslashEscapes && c == '\'' && sql.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-' || hashComments && c == '#') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int close = sql.indexOf("*/", i + 2);
                i = close < 0 ? n : close + 2;
            } else if (c == ';') {
                if (content) {
                    count++;
                }
                content = false;
                i++;
            } else {
                content |= !Character.isWhitespace(c);
                i++;
            }
        }
        return content ? count + 1 : count;
    }

    private static String stripComments(String sql) {
        return sql.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("--[^\n]*", " ");
    }

    /** @return per RETURNING item, the column it returns, "*" for all, "" for an expression; null without RETURNING */
    private static List<String> returning(ReturningClause clause) {
        if (clause == null) {
            return null;
        }
        List<String> items = new ArrayList<>();
        for (SelectItem<?> item : clause) {
            Expression expression = item.getExpression();
            if (expression instanceof AllColumns || expression instanceof AllTableColumns) {
                items.add("*");
            } else if (expression instanceof Column column) {
                items.add(unquote(column.getColumnName()));
            } else {
                items.add("");
            }
        }
        return List.copyOf(items);
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
                null, null, List.of(), List.of(), List.copyOf(equalities), null, null, List.of());
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
        String fix = null;
        List<String> columns = List.of();
        List<List<Expression>> rows = List.of();
        Select source = insert.getSelect();
        if (insert.getWithItemsList() != null && !insert.getWithItemsList().isEmpty()) {
            refusal = "INSERT with a WITH clause inserts rows whose keys Cutover cannot know before they are written";
            fix = "read the rows first, then insert them with INSERT ... VALUES";
        } else if (!(source instanceof Values values)) {
            refusal = insert.isUseSet() ? "INSERT ... SET is vendor syntax Cutover does not key"
                    : "INSERT ... SELECT inserts rows whose keys Cutover cannot know before they are written";
            fix = insert.isUseSet() ? "write it as INSERT INTO t (columns) VALUES (...)"
                    : "read the rows first, then insert them with INSERT ... VALUES (a batch is fine)";
        } else if (insert.getColumns() == null || insert.getColumns().isEmpty()) {
            refusal = "an INSERT without a column list cannot be keyed";
            fix = "name the columns: INSERT INTO t (a, b) VALUES (...)";
        } else if (insert.isUseDuplicate() || insert.getConflictAction() != null || insert.isModifierIgnore()) {
            refusal = "upserts (ON DUPLICATE KEY UPDATE, ON CONFLICT, INSERT IGNORE) may update or keep a row other"
                    + " than the one named by the inserted key (another unique key may match)";
            fix = "read the row, then INSERT it or UPDATE it by key, in one transaction";
        } else {
            columns = insert.getColumns().stream().map(c -> unquote(c.getColumnName())).toList();
            rows = rows(values.getExpressions(), columns.size());
            if (rows == null) {
                refusal = "the VALUES rows do not match the column list";
                fix = "give each VALUES row one value per named column";
                rows = List.of();
            }
        }
        return new SqlAnalysis(Kind.INSERT, sql, table, List.of(table), refusal, columns, rows, null, null, List.of(),
                List.of(), List.of(), fix, returning(insert.getReturningClause()), List.of());
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
        String fix = null;
        if (update.getFromItem() != null || notEmpty(update.getJoins()) || notEmpty(update.getStartJoins())) {
            refusal = "an UPDATE of several tables (joins, FROM) cannot be keyed";
            fix = "update one table per statement, its rows chosen by a WHERE condition (a subquery is fine if it takes"
                    + " no ? parameter; else read the keys first, then update the rows by key)";
        } else if (notEmpty(update.getOrderByElements()) || update.getLimit() != null) {
            refusal = "UPDATE ... ORDER BY/LIMIT picks rows Cutover cannot find again before the update";
            fix = "read the keys first, then update the rows by key";
        } else if (notEmpty(update.getWithItemsList())) {
            refusal = "UPDATE with a WITH clause is not keyed by Cutover";
            fix = "read the keys first, then update the rows by key";
        }
        List<String> setColumns = new ArrayList<>();
        for (UpdateSet set : update.getUpdateSets()) {
            for (Column column : set.getColumns()) {
                setColumns.add(unquote(column.getColumnName()));
            }
        }
        return keyedByWhere(Kind.UPDATE, sql, table, update.getTable(), update.getWhere(), refusal, fix, setColumns,
                returning(update.getReturningClause()));
    }

    private static SqlAnalysis delete(String sql, Delete delete) {
        String table = normalise(delete.getTable().getFullyQualifiedName());
        String refusal = null;
        String fix = null;
        if (notEmpty(delete.getTables()) && !deletesFromItsOneTable(delete) || notEmpty(delete.getJoins())
                || notEmpty(delete.getUsingList())) {
            refusal = "a DELETE over several tables (joins, USING) cannot be keyed";
            fix = "delete from one table per statement, its rows chosen by a WHERE condition (a subquery is fine if it takes"
                    + " no ? parameter; else read the keys first, then delete the rows by key)";
        } else if (notEmpty(delete.getOrderByElements()) || delete.getLimit() != null) {
            refusal = "DELETE ... ORDER BY/LIMIT picks rows Cutover cannot find again before the delete";
            fix = "read the keys first, then delete the rows by key";
        } else if (notEmpty(delete.getWithItemsList())) {
            refusal = "DELETE with a WITH clause is not keyed by Cutover";
            fix = "read the keys first, then delete the rows by key";
        }
        return keyedByWhere(Kind.DELETE, sql, table, delete.getTable(), delete.getWhere(), refusal, fix, List.of(),
                returning(delete.getReturningClause()));
    }

    /**
     * MySQL's {@code DELETE t FROM stock t WHERE ...} names the table it deletes from by its alias; with
     * one table and no join it is a plain single-table delete. Hibernate's MariaDB and MySQL dialects
     * write every JPQL bulk delete this way.
     */
    private static boolean deletesFromItsOneTable(Delete delete) {
        if (delete.getTables().size() != 1) {
            return false;
        }
        String named = normalise(delete.getTables().get(0).getFullyQualifiedName());
        Table table = delete.getTable();
        return named.equals(normalise(table.getFullyQualifiedName()))
                || table.getAlias() != null && named.equals(unquote(table.getAlias().getName()));
    }

    private static SqlAnalysis keyedByWhere(Kind kind, String sql, String table, Table from, Expression where,
            String refusal, String fix, List<String> setColumns, List<String> returning) {
        List<Integer> parameters = new ArrayList<>();
        String whereSql = where == null ? null : where.toString();
        String reason = refusal;
        String advice = fix;
        if (where != null && reason == null) {
            where.accept(new ExpressionVisitorAdapter<Void>() {
                @Override
                public <S> Void visit(JdbcParameter parameter, S context) {
                    parameters.add(parameter.getIndex());
                    return null;
                }
            }, null);
            if (parameters.size() != countPlaceholders(whereSql) || parameters.contains(null)) {
                reason = "its WHERE condition has parameters Cutover cannot place (in a subquery, or numbered)";
                advice = "use plain ? parameters outside subqueries, or literal values in the subquery, or read the keys"
                        + " first, then write the rows by key";
            }
        }
        List<Equality> equalities = new ArrayList<>();
        if (where != null) {
            collectEqualities(where, equalities);
        }
        return new SqlAnalysis(kind, sql, table, List.of(table), reason, List.of(), List.of(), from.toString(), whereSql,
                List.copyOf(parameters), List.copyOf(setColumns), List.copyOf(equalities), advice, returning, List.of());
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

    private static SqlAnalysis other(String sql, String table, String reason, String fix) {
        return new SqlAnalysis(Kind.OTHER, sql, table, table == null ? List.of() : List.of(table), reason, List.of(),
                List.of(), null, null, List.of(), List.of(), List.of(), fix, null, List.of());
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
