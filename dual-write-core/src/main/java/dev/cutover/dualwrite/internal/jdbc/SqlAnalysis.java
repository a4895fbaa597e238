package dev.cutover.dualwrite.internal.jdbc;

import java.util.List;
import java.util.regex.Pattern;
import net.sf.jsqlparser.expression.Expression;

/**
 * What one SQL text does, as far as mirroring is concerned; independent of the table mappings, so it
 * is computed once per text. Immutable.
 *
 * @param kind what the statement is
 * @param sql the text as the application wrote it
 * @param table for writes, the one table written (as written, unquoted, lower case); null otherwise
 * @param tables for reads, every table read (unquoted, lower case)
 * @param refusal for writes and other statements that cannot be mirrored whatever the mapping: why,
 *     and what to do instead; null when the statement can be mirrored
 * @param insertColumns for inserts, the named columns (unquoted, lower case)
 * @param insertRows for inserts, the value expressions of each row, in column order
 * @param fromSql for updates and deletes, the table with its alias, as SQL
 * @param whereSql for updates and deletes, the WHERE condition as SQL, or null for none
 * @param whereParameters for updates and deletes, the 1-based indexes of the statement's parameters
 *     that occur in the WHERE condition, in order
 * @param setColumns for updates, the columns assigned (unquoted, lower case)
 * @param equalities for single-table reads, updates and deletes, the {@code column = value} conditions
 *     of the top-level AND chain of the WHERE condition, where a routing key (a read's) or the one key
 *     a write can reach (an update's or a delete's) may be found
 * @param fix with a refusal, what to do instead (without ever passing a table through); null for the
 *     general advice
 * @param returning for writes with a {@code RETURNING} clause, per returned item the column it
 *     returns (unquoted, lower case), {@code "*"} for all columns, or {@code ""} for an expression;
 *     null without a {@code RETURNING} clause
 * @param functions the names of the functions the statement calls (unquoted, lower case, without
 *     qualifier), which may write rows whatever the statement's kind; null when they cannot be told
 * @param drawsSequence whether the text draws a value from a sequence (PostgreSQL's and MariaDB's
 *     {@code nextval(...)}, the standard {@code NEXT VALUE FOR}), as ORMs do before the insert that
 *     uses it: such a statement waits out a handover like a write
 */
record SqlAnalysis(Kind kind, String sql, String table, List<String> tables, String refusal,
        List<String> insertColumns, List<List<Expression>> insertRows, String fromSql, String whereSql,
        List<Integer> whereParameters, List<String> setColumns, List<Equality> equalities, String fix,
        List<String> returning, List<String> functions, boolean drawsSequence) {
    private static final Pattern SEQUENCE_DRAW = Pattern.compile("\\bnextval\\s*\\(|\\bnext\\s+value\\s+for\\b",
            Pattern.CASE_INSENSITIVE);

    /** An analysis whose sequence draw is read from the text once, here, since analyses are cached per text. */
    SqlAnalysis(Kind kind, String sql, String table, List<String> tables, String refusal,
            List<String> insertColumns, List<List<Expression>> insertRows, String fromSql, String whereSql,
            List<Integer> whereParameters, List<String> setColumns, List<Equality> equalities, String fix,
            List<String> returning, List<String> functions) {
        this(kind, sql, table, tables, refusal, insertColumns, insertRows, fromSql, whereSql, whereParameters,
                setColumns, equalities, fix, returning, functions, SEQUENCE_DRAW.matcher(sql).find());
    }

    SqlAnalysis withFunctions(List<String> names) {
        return new SqlAnalysis(kind, sql, table, tables, refusal, insertColumns, insertRows, fromSql, whereSql,
                whereParameters, setColumns, equalities, fix, returning, names, drawsSequence);
    }

    /** The kinds of statement, by how Cutover treats them. */
    enum Kind {
        /** A plain query: routed by the read router. */
        READ,
        /** A query that locks rows ({@code FOR UPDATE}, {@code FOR SHARE}): the primary only. */
        LOCKING_READ,
        INSERT,
        UPDATE,
        DELETE,
        /** A statement that touches no table data ({@code SET}, {@code SHOW}, {@code EXPLAIN}, ...): the primary only. */
        SESSION,
        /**
         * Anything else: DDL, {@code MERGE}, {@code REPLACE}, procedure calls, several statements in one
         * text, text the parser does not understand.
         */
        OTHER
    }

    /**
     * A {@code column = value} condition.
     *
     * @param column the column (unquoted, lower case, without qualifier)
     * @param value a literal or a JDBC parameter
     */
    record Equality(String column, Expression value) {
    }

    boolean isWrite() {
        return kind == Kind.INSERT || kind == Kind.UPDATE || kind == Kind.DELETE;
    }
}
