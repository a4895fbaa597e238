package dev.cutover.common.internal;

import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where Cutover turns what a driver or an application handed it (exceptions, SQL
 * text) into text for its own log lines, exception messages and stored error texts: by default
 * that text keeps exception classes, SQL states, table, column, constraint and key names, and drops
 * row values. Migrations move customer data, and logs and the retry table are read by many people.
 *
 * <p>Driver messages are reduced to their first line (PostgreSQL's {@code Detail:}, {@code Where:},
 * {@code Hint:} and {@code Position:} lines, MariaDB's {@code Query is:} and H2's
 * {@code SQL statement:} go, and so do JDBI's bound arguments), and quoted text in that line is
 * replaced by {@code ?} unless a word like {@code column}, {@code constraint} or {@code key} before
 * it shows it is a name
 * ({@code Duplicate entry '?' for key 'email'}). SQL text has its literals replaced by {@code ?}, its
 * comments dropped, and is cut to {@value #MAX_SQL} characters.
 *
 * <p>With {@code values} true (the runtime's {@code logValues(true)} opt-in, for debugging on data
 * that is not personal), messages and SQL pass unchanged, still bounded in length.
 *
 * <p>Stateless and thread-safe.
 */
public final class Redaction {
    /** Longest reduced message of one exception. */
    public static final int MAX_MESSAGE = 400;
    /** Longest SQL text quoted in a message. */
    public static final int MAX_SQL = 200;
    /** Longest text of anything with values shown, so that a message stays a message. */
    private static final int MAX_REVEALED = 4000;
    private static final int MAX_CAUSES = 8;

    /**
     * Words after which a quoted text is a name, not a value (lower case); {@code part} is for
     * Cutover's own "key part 'x'", and keys may be shown.
     */
    private static final Set<String> NAME_WORDS = Set.of("constraint", "column", "columns", "relation", "table",
            "index", "key", "type", "schema", "sequence", "database", "function", "procedure", "trigger", "view",
            "role", "user", "domain", "extension", "field", "operator", "collation", "tablespace", "savepoint",
            "cursor", "statement", "portal", "alias", "catalog", "server", "entity", "migration", "part");
    private static final Pattern H2_CODE = Pattern.compile("\\[(\\d+-\\d+)]\\s*$");
    private static final Pattern PG_KEY = Pattern.compile("(Key \\(([^)]*)\\))=\\((.*?)\\)(?= |\\.|$)");
    private static final Pattern FAILING_ROW = Pattern.compile("(Failing row contains) \\(.*\\)");
    private static final Pattern VALUES_LIST = Pattern.compile("(?i)(VALUES\\s*)\\(.*?\\)(?=\"|$)");
    private static final Pattern CAST = Pattern.compile("(?i)CAST\\((.*?) AS ");
    /**
     * JDBI's statement exceptions end their message with the call's bound values, unquoted
     * ({@code [statement:"...", arguments:{positional:{0:1,1:alice@example.com}, named:{...}, finder:[]}]});
     * they are the last part of that context, so everything from them on goes.
     */
    private static final Pattern JDBI_ARGUMENTS = Pattern.compile("(\\[|, )arguments:\\{.*$");
    private static final Pattern BATCH_ENTRY = Pattern.compile("^(Batch entry \\d+ )(.*?)( was aborted)", Pattern.DOTALL);

    private Redaction() {
    }

    /**
     * A one-line description of an error for a log line or a stored error text: its class, its
     * SQL state, and its message reduced as described above; then its causes' the same way.
     *
     * @param error the error, or null
     * @param values whether values may be shown (the opt-in)
     * @return e.g. {@code org.postgresql.util.PSQLException [23505]: ERROR: duplicate key value
     *     violates unique constraint "users_email_key"}
     */
    public static String describe(Throwable error, boolean values) {
        if (error == null) {
            return "null";
        }
        StringBuilder text = new StringBuilder(one(error, values));
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(error);
        Throwable cause = error.getCause();
        for (int i = 0; cause != null && i < MAX_CAUSES && seen.add(cause); i++, cause = cause.getCause()) {
            text.append("; caused by ").append(one(cause, values));
        }
        return bound(text.toString(), values ? MAX_REVEALED : MAX_MESSAGE * 2);
    }

    /**
     * The message of an error, reduced as described above, for a message Cutover builds around it.
     *
     * @param error the error
     * @param values whether values may be shown (the opt-in)
     * @return the message, reduced unless {@code values}; empty for none
     */
    public static String message(Throwable error, boolean values) {
        String message = error.getMessage();
        if (message == null) {
            return "";
        }
        return values ? bound(message, MAX_REVEALED) : reduce(message, error.getClass().getName());
    }

    /**
     * Reduces a driver's (or anyone's) message text as described above.
     *
     * @param message the text, or null
     * @return the reduced text, at most {@value #MAX_MESSAGE} characters; empty for null
     */
    public static String reduce(String message) {
        return message == null ? "" : reduce(message, "");
    }

    private static String reduce(String message, String className) {
        String text = message;
        Matcher batch = BATCH_ENTRY.matcher(text);
        if (batch.find()) {
            // pgjdbc quotes the batch entry's SQL with its parameters filled in.
            text = batch.group(1) + sql(batch.group(2), false) + text.substring(batch.end(2));
        }
        String h2Code = null;
        int sqlStatement = text.indexOf("; SQL statement:");
        if (sqlStatement >= 0 || className.startsWith("org.h2.")) {
            Matcher code = H2_CODE.matcher(text);
            h2Code = code.find() ? code.group(1) : null;
            if (sqlStatement >= 0) {
                text = text.substring(0, sqlStatement);
            }
        }
        int newline = indexOfLineBreak(text);
        if (newline >= 0) {
            text = text.substring(0, newline);
        }
        text = JDBI_ARGUMENTS.matcher(text).replaceFirst("$1arguments:{?}]");
        text = PG_KEY.matcher(text).replaceAll("$1=(?)");
        text = FAILING_ROW.matcher(text).replaceAll("$1 (?)");
        text = maskQuoted(text);
        if (h2Code != null && !text.endsWith("[" + h2Code + "]")) {
            text = text + " [" + h2Code + "]";
        }
        return bound(text.strip(), MAX_MESSAGE);
    }

    private static int indexOfLineBreak(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Replaces each quoted text ({@code '...'}, {@code "..."}) by {@code ?} unless the word before
     * it names what it is; a name after {@code violation:} (H2 quotes the index with the values it
     * met) keeps the name and loses the values inside.
     */
    private static String maskQuoted(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c != '\'' && c != '"' || c == '\'' && Character.isLetter(previous(out))) {
                // An apostrophe inside a word ("doesn't") opens nothing.
                out.append(c);
                i++;
                continue;
            }
            int end = closingQuote(text, i, c, true);
            String inner = text.substring(i + 1, end < 0 ? n : end);
            String word = wordBefore(out);
            if (word.equals("violation:")) {
                out.append(c).append(maskInsideName(inner)).append(c);
            } else if (NAME_WORDS.contains(word) && !inner.contains("'")) {
                out.append(c).append(inner).append(c);
            } else {
                out.append(c).append('?').append(c);
            }
            i = end < 0 ? n : end + 1;
        }
        return out.toString();
    }

    /**
     * @param lenient for driver messages, which quote values without escaping them: a quote followed
     *     by a letter or digit ({@code 'O'Brien'}) does not close
     * @return the index of the quote that closes the one at {@code open} (a doubled quote escapes), or -1
     */
    private static int closingQuote(String text, int open, char quote, boolean lenient) {
        int i = open + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < text.length() && (text.charAt(i + 1) == quote
                        || lenient && Character.isLetterOrDigit(text.charAt(i + 1)))) {
                    i += 2;
                } else {
                    return i;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    private static String wordBefore(StringBuilder out) {
        int end = out.length();
        while (end > 0 && Character.isWhitespace(out.charAt(end - 1))) {
            end--;
        }
        int start = end;
        while (start > 0 && !Character.isWhitespace(out.charAt(start - 1)) && out.charAt(start - 1) != '('
                && out.charAt(start - 1) != ',') {
            start--;
        }
        return out.substring(start, end).toLowerCase(Locale.ROOT);
    }

    private static String maskInsideName(String inner) {
        String masked = VALUES_LIST.matcher(inner).replaceAll("$1( ? )");
        masked = CAST.matcher(masked).replaceAll("CAST(? AS ");
        StringBuilder out = new StringBuilder(masked.length());
        int i = 0;
        while (i < masked.length()) {
            char c = masked.charAt(i);
            if (c == '\'') {
                int end = closingQuote(masked, i, '\'', true);
                out.append("'?'");
                i = end < 0 ? masked.length() : end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /**
     * SQL text for a message: literals (strings, numbers, dollar-quoted texts) become {@code ?},
     * comments go, whitespace runs become one space, and the result is cut to {@value #MAX_SQL}
     * characters. Double-quoted names stay where they are plainly names (next to a dot, after
     * {@code FROM}, {@code INTO}, {@code UPDATE}, {@code JOIN} or {@code TABLE}); elsewhere they are
     * masked too, because MariaDB reads {@code "..."} as a string.
     *
     * @param sql the SQL text, or null
     * @param values whether literals may be shown (the opt-in): then only the length is bounded
     * @return the text for the message
     */
    public static String sql(String sql, boolean values) {
        if (sql == null) {
            return "null";
        }
        if (values) {
            return bound(sql, MAX_REVEALED);
        }
        StringBuilder out = new StringBuilder(Math.min(sql.length(), MAX_SQL * 2));
        int i = 0;
        int n = sql.length();
        while (i < n && out.length() <= MAX_SQL) {
            char c = sql.charAt(i);
            if (c == '\'') {
                dropStringPrefix(out);
                int end = closingQuote(sql, i, '\'', false);
                out.append('?');
                i = end < 0 ? n : end + 1;
            } else if (c == '"') {
                int end = closingQuote(sql, i, '"', false);
                int after = end < 0 ? n : end + 1;
                boolean name = after < n && sql.charAt(after) == '.' || endsWith(out, '.') || afterNameKeyword(out);
                out.append(name ? sql.substring(i, after) : "?");
                i = after;
            } else if (c == '`') {
                int end = sql.indexOf('`', i + 1);
                int after = end < 0 ? n : end + 1;
                out.append(sql, i, after);
                i = after;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-' || c == '#') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end;
                space(out);
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                space(out);
            } else if (c == '$' && dollarTag(sql, i) != null && !identifierChar(previous(out))) {
                String tag = dollarTag(sql, i);
                int end = sql.indexOf(tag, i + tag.length());
                out.append('?');
                i = end < 0 ? n : end + tag.length();
            } else if (Character.isDigit(c) && !identifierChar(previous(out))
                    || c == '.' && i + 1 < n && Character.isDigit(sql.charAt(i + 1)) && !identifierChar(previous(out))) {
                i = endOfNumber(sql, i);
                out.append('?');
            } else if (Character.isWhitespace(c)) {
                space(out);
                i++;
            } else {
                out.append(c);
                i++;
            }
        }
        String text = out.toString().strip();
        if (text.length() > MAX_SQL || i < n) {
            return text.substring(0, Math.min(text.length(), MAX_SQL)) + "... (" + sql.length() + " characters)";
        }
        return text;
    }

    /** A dollar-quote opening at {@code i} ({@code $$} or {@code $tag$}), or null. */
    private static String dollarTag(String sql, int i) {
        int j = i + 1;
        while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
            j++;
        }
        if (j < sql.length() && sql.charAt(j) == '$' && (j == i + 1 || !Character.isDigit(sql.charAt(i + 1)))) {
            return sql.substring(i, j + 1);
        }
        return null;
    }

    private static int endOfNumber(String sql, int i) {
        int j = i;
        if (j + 1 < sql.length() && sql.charAt(j) == '0' && (sql.charAt(j + 1) == 'x' || sql.charAt(j + 1) == 'X')) {
            j += 2;
        }
        while (j < sql.length()) {
            char c = sql.charAt(j);
            boolean exponentSign = (c == '+' || c == '-') && j > i && (sql.charAt(j - 1) == 'e' || sql.charAt(j - 1) == 'E');
            if (Character.isLetterOrDigit(c) || c == '.' || c == '_' || exponentSign) {
                j++;
            } else {
                break;
            }
        }
        return j;
    }

    /** Drops the {@code E}, {@code N}, {@code X}, {@code B} or {@code U&} prefix of a string literal just written. */
    private static void dropStringPrefix(StringBuilder out) {
        int len = out.length();
        if (len >= 2 && out.charAt(len - 1) == '&' && (out.charAt(len - 2) == 'U' || out.charAt(len - 2) == 'u')
                && !identifierChar(len >= 3 ? out.charAt(len - 3) : ' ')) {
            out.setLength(len - 2);
        } else if (len >= 1 && "EeNnXxBb".indexOf(out.charAt(len - 1)) >= 0
                && !identifierChar(len >= 2 ? out.charAt(len - 2) : ' ')) {
            out.setLength(len - 1);
        }
    }

    private static boolean afterNameKeyword(StringBuilder out) {
        String word = wordBefore(out);
        return word.equals("from") || word.equals("into") || word.equals("update") || word.equals("join")
                || word.equals("table");
    }

    private static boolean endsWith(StringBuilder out, char c) {
        return out.length() > 0 && out.charAt(out.length() - 1) == c;
    }

    private static char previous(StringBuilder out) {
        return out.length() == 0 ? ' ' : out.charAt(out.length() - 1);
    }

    private static boolean identifierChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    private static void space(StringBuilder out) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
            out.append(' ');
        }
    }

    /**
     * The error to hand to a logger with a stack trace: unless {@code values}, a stand-in with the
     * same stack traces whose messages (and its causes' and suppressed errors') are reduced; it
     * prints as the original class name, so the log reads as before minus the values.
     *
     * @param error the error
     * @param values whether values may be shown (the opt-in): then the error itself
     * @return what to log
     */
    public static Throwable loggable(Throwable error, boolean values) {
        if (values || error == null) {
            return error;
        }
        return redacted(error, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
    }

    private static Redacted redacted(Throwable error, Set<Throwable> seen, int depth) {
        seen.add(error);
        Throwable cause = error.getCause();
        Redacted copy = new Redacted(one(error, false),
                cause != null && depth < MAX_CAUSES && !seen.contains(cause) ? redacted(cause, seen, depth + 1) : null);
        copy.setStackTrace(error.getStackTrace());
        for (Throwable suppressed : error.getSuppressed()) {
            if (depth < MAX_CAUSES && !seen.contains(suppressed)) {
                copy.addSuppressed(redacted(suppressed, seen, depth + 1));
            }
        }
        return copy;
    }

    private static String one(Throwable error, boolean values) {
        StringBuilder text = new StringBuilder(error.getClass().getName());
        if (error instanceof SQLException sql && sql.getSQLState() != null) {
            text.append(" [").append(sql.getSQLState()).append(']');
        }
        String message = message(error, values);
        if (!message.isEmpty()) {
            text.append(": ").append(message);
        }
        return text.toString();
    }

    private static String bound(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "... (" + text.length() + " characters)";
    }

    /** A logged stand-in for an error whose messages were reduced; prints as the original's class and reduced message. */
    public static final class Redacted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private Redacted(String description, Throwable cause) {
            super(description, cause, true, true);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
