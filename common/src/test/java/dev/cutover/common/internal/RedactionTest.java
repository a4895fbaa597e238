package dev.cutover.common.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import org.junit.jupiter.api.Test;

/**
 * The driver messages below are verbatim from PostgreSQL 15 (pgjdbc 42.7), MariaDB 10.11
 * (Connector/J 3.4) and H2 2.3, for the same faulty statements on the same table.
 */
class RedactionTest {
    private static final String[] MARKERS = {"marker@example.com", "waytoolongmarkervalue", "notanumber", "secretdate",
        "x@y", "99999999999", "Failing row contains (5"};

    private static void assertReduced(String message, String expected) {
        String reduced = Redaction.reduce(message);
        assertEquals(expected, reduced);
        for (String marker : MARKERS) {
            assertFalse(reduced.contains(marker), () -> reduced + " contains " + marker);
        }
    }

    @Test
    void postgresqlKeepsThePrimaryMessageAndItsNamesAndDropsDetailAndPosition() {
        assertReduced("ERROR: duplicate key value violates unique constraint \"i18u_email_key\"\n"
                + "  Detail: Key (email)=(marker@example.com) already exists.",
                "ERROR: duplicate key value violates unique constraint \"i18u_email_key\"");
        assertReduced("ERROR: value too long for type character varying(20)",
                "ERROR: value too long for type character varying(20)");
        assertReduced("ERROR: new row for relation \"i18u\" violates check constraint \"i18u_karma_check\"\n"
                + "  Detail: Failing row contains (4, x@y, -5, null).",
                "ERROR: new row for relation \"i18u\" violates check constraint \"i18u_karma_check\"");
        assertReduced("ERROR: null value in column \"email\" of relation \"i18u\" violates not-null constraint\n"
                + "  Detail: Failing row contains (5, null, 1, null).",
                "ERROR: null value in column \"email\" of relation \"i18u\" violates not-null constraint");
        assertReduced("ERROR: invalid input syntax for type integer: \"notanumber\"\n  Position: 36",
                "ERROR: invalid input syntax for type integer: \"?\"");
        assertReduced("ERROR: insert or update on table \"i18o\" violates foreign key constraint \"i18o_uid_fkey\"\n"
                + "  Detail: Key (uid)=(99) is not present in table \"i18u\".",
                "ERROR: insert or update on table \"i18o\" violates foreign key constraint \"i18o_uid_fkey\"");
        assertReduced("ERROR: invalid input syntax for type date: \"secretdate\"\n  Position: 39",
                "ERROR: invalid input syntax for type date: \"?\"");
        assertReduced("ERROR: relation \"nowhere\" does not exist\n  Position: 17",
                "ERROR: relation \"nowhere\" does not exist");
        assertReduced("ERROR: value \"99999999999\" is out of range for type integer",
                "ERROR: value \"?\" is out of range for type integer");
    }

    @Test
    void postgresqlKeyPatternIsMaskedEvenOnOneLine() {
        assertReduced("ERROR: duplicate key value  Detail: Key (email)=(marker@example.com) already exists.",
                "ERROR: duplicate key value  Detail: Key (email)=(?) already exists.");
    }

    @Test
    void pgjdbcBatchEntriesLoseTheirInlinedParameters() {
        assertReduced("Batch entry 0 INSERT INTO i18u (id, email) VALUES (('2'::int8), ('marker@example.com')) was"
                + " aborted: ERROR: duplicate key value violates unique constraint \"i18u_email_key\"\n"
                + "  Detail: Key (email)=(marker@example.com) already exists.  Call getNextException to see other errors"
                + " in the batch.",
                "Batch entry 0 INSERT INTO i18u (id, email) VALUES ((?::int8), (?)) was aborted: ERROR: duplicate key value"
                + " violates unique constraint \"i18u_email_key\"");
    }

    @Test
    void mariadbKeepsNamesAndDropsQuotedValues() {
        assertReduced("(conn=9) Duplicate entry 'marker@example.com' for key 'email'",
                "(conn=9) Duplicate entry '?' for key 'email'");
        assertReduced("(conn=9) Data too long for column 'email' at row 1",
                "(conn=9) Data too long for column 'email' at row 1");
        assertReduced("(conn=9) CONSTRAINT `i18u.karma` failed for `test`.`i18u`",
                "(conn=9) CONSTRAINT `i18u.karma` failed for `test`.`i18u`");
        assertReduced("(conn=9) Column 'email' cannot be null", "(conn=9) Column 'email' cannot be null");
        assertReduced("(conn=9) Incorrect integer value: 'notanumber' for column `test`.`i18u`.`karma` at row 1",
                "(conn=9) Incorrect integer value: '?' for column `test`.`i18u`.`karma` at row 1");
        assertReduced("(conn=9) Out of range value for column 'karma' at row 1",
                "(conn=9) Out of range value for column 'karma' at row 1");
        assertReduced("(conn=9) Incorrect date value: 'secretdate' for column `test`.`i18u`.`born` at row 1",
                "(conn=9) Incorrect date value: '?' for column `test`.`i18u`.`born` at row 1");
        assertReduced("(conn=9) Table 'test.nowhere' doesn't exist", "(conn=9) Table 'test.nowhere' doesn't exist");
        assertReduced("(conn=9) Duplicate entry '7-x@y' for key 'PRIMARY'\nQuery is: INSERT INTO i18u VALUES (7, 'x@y')",
                "(conn=9) Duplicate entry '?' for key 'PRIMARY'");
    }

    @Test
    void mariadbValuesWithQuotesInsideAreMaskedWhole() {
        assertReduced("(conn=9) Duplicate entry 'O'Brien x@y' for key 'name'", "(conn=9) Duplicate entry '?' for key 'name'");
    }

    @Test
    void h2KeepsNamesAndErrorCodeAndDropsValuesAndTheStatement() {
        assertReduced("Unique index or primary key violation: \"PUBLIC.CONSTRAINT_INDEX_2 ON PUBLIC.I18U(EMAIL NULLS FIRST)"
                + " VALUES ( /* 1 */ 'marker@example.com' )\"; SQL statement:\n"
                + "INSERT INTO i18u VALUES (2, 'marker@example.com', 1, null) [23505-232]",
                "Unique index or primary key violation: \"PUBLIC.CONSTRAINT_INDEX_2 ON PUBLIC.I18U(EMAIL NULLS FIRST)"
                + " VALUES ( ? )\" [23505-232]");
        assertReduced("Value too long for column \"EMAIL CHARACTER VARYING(20)\": \"'waytoolongmarkervalue@example.com'"
                + " (33)\"; SQL statement:\nINSERT INTO i18u VALUES (3, 'waytoolongmarkervalue@example.com', 1, null)"
                + " [22001-232]",
                "Value too long for column \"EMAIL CHARACTER VARYING(20)\": \"?\" [22001-232]");
        assertReduced("Check constraint violation: \"CONSTRAINT_21E: \"; SQL statement:\n"
                + "INSERT INTO i18u VALUES (4, 'x@y', -5, null) [23513-232]",
                "Check constraint violation: \"CONSTRAINT_21E: \" [23513-232]");
        assertReduced("NULL not allowed for column \"EMAIL\"; SQL statement:\nINSERT INTO i18u VALUES (5, null, 1, null)"
                + " [23502-232]", "NULL not allowed for column \"EMAIL\" [23502-232]");
        assertReduced("Data conversion error converting \"'notanumber' (I18U: \"\"KARMA\"\" INTEGER)\"; SQL statement:\n"
                + "INSERT INTO i18u VALUES (6, 'a@b', 'notanumber', null) [22018-232]",
                "Data conversion error converting \"?\" [22018-232]");
        assertReduced("Referential integrity constraint violation: \"CONSTRAINT_21EE1: PUBLIC.I18O FOREIGN KEY(UID)"
                + " REFERENCES PUBLIC.I18U(ID) (CAST(99999999999 AS BIGINT))\"; SQL statement:\nINSERT INTO i18o VALUES"
                + " (1, 99999999999) [23506-232]",
                "Referential integrity constraint violation: \"CONSTRAINT_21EE1: PUBLIC.I18O FOREIGN KEY(UID)"
                + " REFERENCES PUBLIC.I18U(ID) (CAST(? AS BIGINT))\" [23506-232]");
        assertReduced("Numeric value out of range: \"99999999999\" in column \"KARMA\"; SQL statement:\n"
                + "INSERT INTO i18u VALUES (7, 'c@d', 99999999999, null) [22004-232]",
                "Numeric value out of range: \"?\" in column \"KARMA\" [22004-232]");
        assertReduced("Cannot parse \"DATE\" constant \"secretdate\"; SQL statement:\n"
                + "INSERT INTO i18u VALUES (8, 'c@d', 1, 'secretdate') [22007-232]",
                "Cannot parse \"?\" constant \"?\" [22007-232]");
        assertReduced("Table \"NOWHERE\" not found; SQL statement:\nSELECT 'x' FROM nowhere [42102-232]",
                "Table \"NOWHERE\" not found [42102-232]");
    }

    /** JDBI 3's statement exceptions append the statement and every bound argument, unquoted. */
    @Test
    void jdbiStatementExceptionsLoseTheirBoundArguments() {
        assertReduced("org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend."
                + " [statement:\"SELECT version FROM accounts WHERE id = :id AND note <> :unless\","
                + " arguments:{positional:{0:1,1:marker@example.com}, named:{unless:marker@example.com,id:1}, finder:[]}]",
                "org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend."
                + " [statement:\"?\", arguments:{?}]");
        assertReduced("java.sql.SQLException: boom [arguments:{positional:{0:notanumber}, named:{}, finder:[]}]",
                "java.sql.SQLException: boom [arguments:{?}]");
    }

    @Test
    void messagesAreBounded() {
        String reduced = Redaction.reduce("x".repeat(10_000));
        assertTrue(reduced.length() < Redaction.MAX_MESSAGE + 40, reduced);
        assertTrue(reduced.endsWith("(10000 characters)"), reduced);
    }

    @Test
    void describeNamesClassAndSqlStateAndCauses() {
        SQLException driver = new SQLIntegrityConstraintViolationException(
                "(conn=9) Duplicate entry 'marker@example.com' for key 'email'", "23000", 1062);
        RuntimeException wrapper = new IllegalStateException("copy failed", driver);
        assertEquals("java.lang.IllegalStateException: copy failed; caused by"
                + " java.sql.SQLIntegrityConstraintViolationException [23000]: (conn=9) Duplicate entry '?' for key 'email'",
                Redaction.describe(wrapper, false));
        assertTrue(Redaction.describe(wrapper, true).contains("marker@example.com"));
        assertEquals("null", Redaction.describe(null, false));
    }

    @Test
    void loggableKeepsStackTracesAndClassNamesButNotValues() {
        SQLException driver = new SQLException("ERROR: duplicate key value violates unique constraint \"u_email\"\n"
                + "  Detail: Key (email)=(marker@example.com) already exists.", "23505");
        SQLException suppressed = new SQLException("Failing row contains (5, marker@example.com)");
        driver.addSuppressed(suppressed);
        RuntimeException wrapper = new RuntimeException("wrapped: 'marker@example.com'", driver);
        Throwable loggable = Redaction.loggable(wrapper, false);
        StringWriter printed = new StringWriter();
        loggable.printStackTrace(new PrintWriter(printed));
        String text = printed.toString();
        assertFalse(text.contains("marker@example.com"), text);
        assertTrue(text.startsWith("java.lang.RuntimeException: wrapped: '?'"), text);
        assertTrue(text.contains("Caused by: java.sql.SQLException [23505]: ERROR: duplicate key value violates unique"
                + " constraint \"u_email\""), text);
        assertTrue(text.contains("RedactionTest.loggableKeepsStackTracesAndClassNamesButNotValues"), text);
        assertTrue(text.contains("Suppressed: java.sql.SQLException"), text);
        assertSame(wrapper, Redaction.loggable(wrapper, true));
    }

    @Test
    void sqlLiteralsBecomePlaceholders() {
        assertEquals("INSERT INTO users (id, email, name) VALUES (?, ?, ?)",
                Redaction.sql("INSERT INTO users (id, email, name) VALUES (42, 'marker@example.com', E'O\\'Brien')", false));
        assertEquals("UPDATE \"public\".\"users\" SET karma = karma + ? WHERE id = ? AND note = ?",
                Redaction.sql("UPDATE \"public\".\"users\" SET karma = karma + 1.5e3 WHERE id = 0x1F AND note = 'it''s'",
                        false));
        assertEquals("SELECT t1.id FROM `users` t1 WHERE t1.email = ? AND t1.id = $1 AND t1.name = ?",
                Redaction.sql("SELECT t1.id /* marker */ FROM `users` t1 -- marker\n WHERE t1.email = \"marker@x\""
                        + " AND t1.id = $1 AND t1.name = $$marker$$", false));
        assertEquals("DELETE FROM users WHERE id IN (?, ?) AND name = ?",
                Redaction.sql("DELETE   FROM users\n\tWHERE id IN (1, 2) AND name = 'unterminated marker", false));
        assertEquals("INSERT INTO t VALUES (?, 'x')",
                Redaction.sql("INSERT INTO t VALUES (?, 'x')", true).replace("?, 'x'", "?, 'x'"));
    }

    @Test
    void longSqlIsCutAndSaysHowLongItWas() {
        String sql = "INSERT INTO users (id, bio) VALUES (1, '" + "marker ".repeat(1000) + "')" + ", (2, 'x')".repeat(500);
        String masked = Redaction.sql(sql, false);
        assertTrue(masked.length() <= Redaction.MAX_SQL + 30, masked);
        assertTrue(masked.endsWith("(" + sql.length() + " characters)"), masked);
        assertFalse(masked.contains("marker"), masked);
        assertTrue(Redaction.sql(sql, true).length() < sql.length());
    }
}
