package dev.cutover.dualwrite.internal.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.internal.jdbc.SqlAnalysis.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How SQL texts are classified, without a database. */
class SqlAnalyzerTest {
    private final SqlAnalyzer analyzer = new SqlAnalyzer();

    @Test
    void statementsAreCountedBySemicolonsOutsideLiteralsIdentifiersAndComments() {
        assertEquals(1, SqlAnalyzer.statementCount("UPDATE t SET a = 1 WHERE id = 1"));
        assertEquals(1, SqlAnalyzer.statementCount("UPDATE t SET a = 1 WHERE id = 1 ;  -- done\n"));
        assertEquals(1, SqlAnalyzer.statementCount("UPDATE t SET s = 'a;b' WHERE id = 1"));
        assertEquals(1, SqlAnalyzer.statementCount("UPDATE \"we;ird\" SET a = 1 /* ; */ WHERE id = 1"));
        assertEquals(1, SqlAnalyzer.statementCount(";; SELECT 1 ;;"));
        assertEquals(2, SqlAnalyzer.statementCount("UPDATE t SET a = 0 WHERE id = 4; DELETE FROM t WHERE id = 5"));
        assertEquals(2, SqlAnalyzer.statementCount("SELECT 1;SELECT 2;"));
    }

    @Test
    void aTextTheEnginesQuoteDifferently_countsAsTheMostStatementsAnyEngineCouldSee() {
        // MariaDB reads \' as an escaped quote, PostgreSQL as a backslash and the string's end.
        assertEquals(2, SqlAnalyzer.statementCount("UPDATE t SET s = 'C:\\' WHERE id = 1; DELETE FROM t -- '"));
        // MariaDB reads # as a comment, PostgreSQL as an operator.
        assertEquals(2, SqlAnalyzer.statementCount("SELECT 1 # x\n; DELETE FROM t"));
    }

    @Test
    void writesWithReturning_keepTheirKindAndNameWhatTheyReturn() {
        SqlAnalysis insert = analyzer.analyze("INSERT INTO orders (item) VALUES ('a') RETURNING id, \"Item\", qty + 1");
        assertEquals(Kind.INSERT, insert.kind());
        assertNull(insert.refusal());
        assertEquals(List.of("id", "item", ""), insert.returning());
        assertEquals(List.of("*"), analyzer.analyze("DELETE FROM stock WHERE id = 1 RETURNING *").returning());
        assertNull(analyzer.analyze("UPDATE stock SET qty = 1 WHERE id = 1").returning());
    }

    @Test
    void refusalsNameTheStatementProperly_andAlwaysCarryAFix() {
        for (String sql : List.of("CREATE TABLE x (id INT)", "ALTER TABLE stock ADD COLUMN c INT",
                "REPLACE INTO stock (id) VALUES (1)", "TRUNCATE TABLE stock", "CALL bump(1)",
                "MERGE INTO stock s USING (SELECT 1 AS id) v ON s.id = v.id WHEN MATCHED THEN DELETE",
                "UPDATE a SET x = 1; DELETE FROM b", "SELECT * INTO copy FROM stock", "NOT SQL AT ALL")) {
            SqlAnalysis analysis = analyzer.analyze(sql);
            assertEquals(Kind.OTHER, analysis.kind(), sql);
            assertTrue(analysis.refusal() != null && analysis.fix() != null, sql);
            assertTrue(!analysis.refusal().matches("(?s).*[A-Z]{6,}TABLE.*"), analysis.refusal());
        }
        assertTrue(analyzer.analyze("CREATE TABLE x (id INT)").refusal().startsWith("CREATE TABLE statements"));
        assertTrue(analyzer.analyze("REPLACE INTO stock (id) VALUES (1)").refusal().contains("upsert"));
        assertTrue(analyzer.analyze("UPDATE a SET x = 1; DELETE FROM b").refusal().contains("2 statements"));
    }

    @Test
    void schemaStatements_areNamedByTheirType_orElseByTheirFirstWord() {
        Map<String, String> names = Map.of("CREATE TABLE x (id INT)", "CREATE TABLE",
                "CREATE INDEX i ON stock (qty)", "CREATE INDEX",
                "CREATE VIEW v AS SELECT id FROM stock", "CREATE VIEW",
                "ALTER TABLE stock ADD COLUMN c INT", "ALTER TABLE",
                "RENAME TABLE stock TO stock2", "RENAME TABLE",
                "COMMENT ON TABLE stock IS 'x'", "COMMENT ON",
                "/* why */ drop table stock", "DROP");
        names.forEach((sql, name) -> assertTrue(analyzer.analyze(sql).refusal().startsWith(name + " statements change"),
                sql + ": " + analyzer.analyze(sql).refusal()));
    }

    @Test
    void writesTheEnginesLexDifferentlyFromTheParser_areRefused_whilePlainCommentsAndQuotesAreNot() {
        for (String sql : List.of("UPDATE t SET a = 0 WHERE id = 3 --1", "UPDATE t SET a = 0 WHERE id = 3 /*! + 1 */",
                "UPDATE t SET a = 0 WHERE id = 3 /*M! + 1 */", "UPDATE t SET s = 'a\\' WHERE id = 4 -- ' WHERE id = 3",
                "UPDATE t SET s = E'a\\' WHERE id = 4 -- ' WHERE id = 3", "UPDATE t SET a = 0 WHERE id = 4 /* /* */ - 1 --*/",
                "INSERT INTO t (id, s) VALUES (3 --1\n, 'x')", "DELETE FROM t WHERE id = 3 --1")) {
            SqlAnalysis analysis = analyzer.analyze(sql);
            assertEquals(Kind.OTHER, analysis.kind(), sql);
            assertEquals("t", analysis.table(), sql);
            assertTrue(analysis.refusal() != null && analysis.fix() != null, sql);
        }
        // An executable comment runs its text in any statement, a read included.
        assertEquals(Kind.OTHER, analyzer.analyze("SELECT 1 /*!, bump(1) */").kind());
        for (String sql : List.of("/* orm */ UPDATE t SET a = 1 WHERE id = 2 -- done", "UPDATE t SET s = 'it''s' WHERE id = 1",
                "UPDATE t SET a = a - -1 WHERE id = 1", "UPDATE t SET a = 1 WHERE id = 1 --\n")) {
            assertNull(SqlAnalyzer.lexicalAmbiguity(sql), sql);
            assertEquals(Kind.UPDATE, analyzer.analyze(sql).kind(), sql);
        }
        // A read is never keyed: a backslash in its literals (MariaDB's LIKE escapes) leaves it a read.
        assertEquals(Kind.READ, analyzer.analyze("SELECT id FROM t WHERE s LIKE 'a\\_%'").kind());
    }

    @Test
    void theFunctionsAStatementCalls_areNamed_soThatThoseThatMayWriteCanBeRefused() {
        assertEquals(List.of("bump"), analyzer.analyze("SELECT bump(1)").functions());
        assertEquals(List.of("bump"), analyzer.analyze("SELECT public.bump(id) FROM stock WHERE id = 1").functions());
        assertEquals(List.of("bump"), analyzer.analyze("UPDATE stock SET qty = bump(2) WHERE id = 1").functions());
        assertEquals(List.of("bump"), analyzer.analyze("SET @x = bump(1)").functions());
        assertEquals(List.of("count", "lower"), analyzer.analyze("SELECT COUNT(*), lower(sku) FROM stock").functions());
        assertEquals(List.of(), analyzer.analyze("INSERT INTO stock (id, qty) VALUES (1, 2)").functions());
    }
}
