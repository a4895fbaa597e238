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
}
