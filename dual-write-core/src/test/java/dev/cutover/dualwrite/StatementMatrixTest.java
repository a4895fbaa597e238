package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DataSource style's default-deny, as a matrix: statement shapes that ORMs and hand-written JDBC
 * send, times every JDBC entry point, times the stages, on PostgreSQL→PostgreSQL and
 * MariaDB→PostgreSQL. Each case runs once on a plain connection to a reference database of the
 * primary's engine, and once through Cutover. Through Cutover it must either run, answer what the
 * plain connection answered, leave the primary as the plain connection left its database and both
 * sides equal; or be refused with a message naming reason and fix, with nothing written on either
 * side; or fail as the driver failed, as a whole. Shapes that are reads or keyed writes must run
 * through their natural entry points; shapes Cutover cannot mirror must be refused in dual-write
 * stages.
 */
class StatementMatrixTest {
    private static final Logger LOG = LoggerFactory.getLogger(StatementMatrixTest.class);
    private static final String MIGRATION = "matrix";
    private static final List<String> TABLES = List.of("stock", "orders", "audit", "note");
    private static final List<String> MAPPED = List.of("stock", "orders");
    private static final List<Stage> STAGES = List.of(Stage.SOURCE_ONLY, Stage.DUAL_WRITE, Stage.SHIFT_READS,
            Stage.TARGET_PRIMARY);

    /** How a shape must come out in a dual-write stage. */
    enum Expect {
        /** A read: runs through executeQuery and execute. */
        READ,
        /** A keyed write without RETURNING: runs through executeUpdate, execute and batches. */
        KEYED,
        /**
         * A keyed insert whose key the database generates: runs through executeUpdate, execute and
         * prepared batches (a Statement batch cannot return generated keys).
         */
        GENERATED,
        /** A keyed write with RETURNING: runs through executeQuery and execute. */
        RETURNING,
        /** Cutover cannot mirror it: refused through every entry point. */
        REFUSED,
        /** Runs, is refused, or fails as the driver fails, depending on the engine and entry point. */
        ANY
    }

    /** The JDBC entry points. */
    enum Entry {
        STATEMENT_QUERY, STATEMENT_UPDATE, STATEMENT_EXECUTE, STATEMENT_BATCH, PREPARED_QUERY, PREPARED_UPDATE,
        PREPARED_EXECUTE, PREPARED_BATCH, CALL;

        boolean plain() {
            return this == STATEMENT_QUERY || this == STATEMENT_UPDATE || this == STATEMENT_EXECUTE
                    || this == STATEMENT_BATCH;
        }

        /** @return whether a shape of this kind must run through this entry point */
        boolean natural(Expect expect) {
            return switch (expect) {
                case READ, RETURNING -> this == STATEMENT_QUERY || this == PREPARED_QUERY || this == STATEMENT_EXECUTE
                        || this == PREPARED_EXECUTE;
                case KEYED -> this != STATEMENT_QUERY && this != PREPARED_QUERY && this != CALL;
                case GENERATED -> this != STATEMENT_QUERY && this != PREPARED_QUERY && this != CALL
                        && this != STATEMENT_BATCH;
                default -> false;
            };
        }
    }

    /**
     * A statement shape. {@code {schema}} in its text stands for the current schema (PostgreSQL) or
     * database (MariaDB) of the connection it runs on.
     *
     * @param name a short name
     * @param postgres its text on PostgreSQL, or null where it does not apply
     * @param mariadb its text on MariaDB, or null where it does not apply
     * @param expect how it must come out in dual-write stages
     * @param parameters the values of its {@code ?} parameters (then it runs through prepared statements only)
     */
    record Shape(String name, String postgres, String mariadb, Expect expect, Object... parameters) {
        String sql(Engine engine) {
            return engine == Engine.POSTGRESQL ? postgres : mariadb;
        }
    }

    private static Shape both(String name, String sql, Expect expect, Object... parameters) {
        return new Shape(name, sql, sql, expect, parameters);
    }

    private static final List<Shape> SHAPES = List.of(
            // ---- reads
            both("select all", "SELECT id, sku, qty FROM stock ORDER BY id", Expect.READ),
            both("select by key", "SELECT id, sku, qty FROM stock WHERE id = 2", Expect.READ),
            both("select by key parameter", "SELECT qty FROM stock WHERE id = ?", Expect.READ, 2L),
            both("select join", "SELECT s.id, o.item FROM stock s JOIN orders o ON o.id = s.id ORDER BY s.id", Expect.READ),
            both("select subquery", "SELECT id FROM stock WHERE id IN (SELECT id FROM orders) ORDER BY id", Expect.READ),
            both("select for update", "SELECT id, qty FROM stock WHERE id = 1 FOR UPDATE", Expect.READ),
            both("select with CTE", "WITH t AS (SELECT id FROM stock WHERE qty > 15) SELECT COUNT(*) FROM t", Expect.READ),
            both("select unmapped", "SELECT COUNT(*) FROM note", Expect.READ),
            both("select odd whitespace and comments", "/* hint */ SELECT  id\n FROM\tstock  WHERE id = 3 -- trailing",
                    Expect.READ),
            new Shape("select quoted", "SELECT \"id\", \"qty\" FROM \"stock\" WHERE \"id\" = 4",
                    "SELECT `id`, `qty` FROM `stock` WHERE `id` = 4", Expect.READ),
            both("select no table", "SELECT 1", Expect.READ),
            both("select qualified", "SELECT qty FROM {schema}.stock WHERE id = 1", Expect.READ),
            // ---- inserts
            both("insert explicit key", "INSERT INTO stock (id, sku, qty) VALUES (10, 'k', 1)", Expect.KEYED),
            both("insert parameters", "INSERT INTO stock (id, sku, qty) VALUES (?, ?, ?)", Expect.KEYED, 11L, "p", 2),
            both("insert multi-row", "INSERT INTO stock (id, sku, qty) VALUES (12, 'm', 1), (13, 'n', 2)", Expect.KEYED),
            both("insert without column list", "INSERT INTO stock VALUES (14, 'q', 1)", Expect.REFUSED),
            both("insert generated key", "INSERT INTO orders (item, qty) VALUES ('g', 5)", Expect.GENERATED),
            both("insert generated key parameters", "INSERT INTO orders (item, qty) VALUES (?, ?)", Expect.GENERATED, "h", 6),
            // MariaDB's driver returns only the first generated key of a multi-row insert: refused there.
            new Shape("insert generated multi-row", "INSERT INTO orders (item, qty) VALUES ('i', 1), ('j', 2)",
                    "INSERT INTO orders (item, qty) VALUES ('i', 1), ('j', 2)", Expect.ANY),
            both("insert explicit key into identity", "INSERT INTO orders (id, item, qty) VALUES (50, 'e', 1)", Expect.KEYED),
            both("insert DEFAULT key", "INSERT INTO orders (id, item, qty) VALUES (DEFAULT, 'def', 1)", Expect.ANY),
            both("insert expression key", "INSERT INTO stock (id, sku, qty) VALUES (10 + 11, 'expr', 1)", Expect.ANY),
            both("insert returning", "INSERT INTO stock (id, sku, qty) VALUES (15, 'r', 1) RETURNING id, qty",
                    Expect.RETURNING),
            both("insert returning generated key", "INSERT INTO orders (item, qty) VALUES ('ret', 1) RETURNING id",
                    Expect.RETURNING),
            both("insert returning star", "INSERT INTO orders (item, qty) VALUES ('star', 2) RETURNING *", Expect.RETURNING),
            both("insert returning without the generated key", "INSERT INTO orders (item, qty) VALUES ('nokey', 3)"
                    + " RETURNING qty", Expect.REFUSED),
            both("hibernate identity insert", "insert into orders (item,qty) values (?,?) returning id", Expect.RETURNING,
                    "hib", 4),
            both("insert multi-row returning", "INSERT INTO stock (id, sku, qty) VALUES (22, 'r1', 1), (23, 'r2', 2)"
                    + " RETURNING id, sku", Expect.RETURNING),
            both("insert select", "INSERT INTO stock (id, sku, qty) SELECT id + 100, sku, qty FROM stock WHERE id = 1",
                    Expect.REFUSED),
            new Shape("insert or ignore", "INSERT INTO stock (id, sku, qty) VALUES (1, 'dup', 9) ON CONFLICT DO NOTHING",
                    "INSERT IGNORE INTO stock (id, sku, qty) VALUES (1, 'dup', 9)", Expect.REFUSED),
            new Shape("upsert", "INSERT INTO stock (id, sku, qty) VALUES (1, 'up', 9) ON CONFLICT (id) DO UPDATE SET"
                    + " qty = EXCLUDED.qty", "INSERT INTO stock (id, sku, qty) VALUES (1, 'up', 9) ON DUPLICATE KEY UPDATE"
                    + " qty = VALUES(qty)", Expect.REFUSED),
            new Shape("replace", null, "REPLACE INTO stock (id, sku, qty) VALUES (1, 'rep', 9)", Expect.REFUSED),
            both("merge", "MERGE INTO stock s USING (SELECT 1 AS id) v ON s.id = v.id WHEN MATCHED THEN UPDATE SET qty = 0",
                    Expect.REFUSED),
            both("insert duplicate key", "INSERT INTO stock (id, sku, qty) VALUES (1, 'dup', 9)", Expect.ANY),
            new Shape("insert quoted", "INSERT INTO \"stock\" (\"id\", \"sku\", \"qty\") VALUES (16, 'qq', 1)",
                    "INSERT INTO `stock` (`id`, `sku`, `qty`) VALUES (16, 'qq', 1)", Expect.KEYED),
            both("insert qualified", "INSERT INTO {schema}.stock (id, sku, qty) VALUES (17, 'qs', 1)", Expect.KEYED),
            both("insert other schema", "INSERT INTO elsewhere.stock (id, sku, qty) VALUES (18, 'x', 1)", Expect.REFUSED),
            both("insert pass-through", "INSERT INTO audit (msg) VALUES ('hi')", Expect.ANY),
            both("insert unmapped", "INSERT INTO note (id, txt) VALUES (2, 'n2')", Expect.REFUSED),
            both("insert comments and whitespace", "/* orm */\n  INSERT   INTO stock\n(id,sku,qty)\tVALUES (19,'w',1) -- end",
                    Expect.KEYED),
            both("insert trailing semicolon", "INSERT INTO stock (id, sku, qty) VALUES (20, 'semi', 1);", Expect.KEYED),
            // ---- updates
            both("update by key", "UPDATE stock SET qty = qty + 1 WHERE id = 1", Expect.KEYED),
            both("update by key parameters", "UPDATE stock SET qty = ? WHERE id = ?", Expect.KEYED, 99, 2L),
            both("update by non-key predicate", "UPDATE stock SET qty = 0 WHERE qty > 25", Expect.KEYED),
            both("update by IN list", "UPDATE stock SET qty = 1 WHERE id IN (1, 3, 5)", Expect.KEYED),
            both("update by IN parameters", "UPDATE stock SET sku = ? WHERE id IN (?, ?)", Expect.KEYED, "z", 1L, 2L),
            both("update every row", "UPDATE stock SET qty = qty * 2", Expect.KEYED),
            both("update by subquery", "UPDATE stock SET qty = 5 WHERE id IN (SELECT id FROM orders)", Expect.KEYED),
            both("update matching nothing", "UPDATE stock SET qty = 1 WHERE id = 999", Expect.KEYED),
            both("update key", "UPDATE stock SET id = 99 WHERE id = 1", Expect.REFUSED),
            new Shape("update returning", "UPDATE stock SET qty = qty + 1 WHERE id <= 2 RETURNING id, qty", null,
                    Expect.RETURNING),
            new Shape("update join", "UPDATE stock s SET qty = o.qty FROM orders o WHERE o.id = s.id",
                    "UPDATE stock s JOIN orders o ON o.id = s.id SET s.qty = o.qty", Expect.REFUSED),
            new Shape("update limit", null, "UPDATE stock SET qty = 0 ORDER BY id LIMIT 1", Expect.REFUSED),
            both("update pass-through", "UPDATE audit SET msg = 'x'", Expect.ANY),
            both("update unmapped", "UPDATE note SET txt = 'u' WHERE id = 1", Expect.REFUSED),
            new Shape("update quoted qualified", "UPDATE \"{schema}\".\"stock\" SET qty = 7 WHERE id = 1",
                    "UPDATE `{schema}`.`stock` SET qty = 7 WHERE id = 1", Expect.KEYED),
            both("update semicolon in a literal", "UPDATE stock SET sku = 'a;b' WHERE id = 1", Expect.KEYED),
            both("update semicolon in a comment", "UPDATE stock SET qty = 3 WHERE id = 2 /* ; */", Expect.KEYED),
            new Shape("update with CTE", "WITH t AS (SELECT id FROM stock WHERE qty > 30) UPDATE stock SET qty = 0 WHERE id"
                    + " IN (SELECT id FROM t)", null, Expect.REFUSED),
            // ---- deletes
            both("delete by key", "DELETE FROM stock WHERE id = 5", Expect.KEYED),
            both("delete by key parameter", "DELETE FROM stock WHERE id = ?", Expect.KEYED, 4L),
            both("delete by predicate", "DELETE FROM stock WHERE qty >= 40", Expect.KEYED),
            both("delete every row", "DELETE FROM orders", Expect.KEYED),
            both("delete returning", "DELETE FROM stock WHERE id = 3 RETURNING id, sku", Expect.RETURNING),
            new Shape("delete join", "DELETE FROM stock s USING orders o WHERE o.id = s.id",
                    "DELETE s FROM stock s JOIN orders o ON o.id = s.id", Expect.REFUSED),
            // Hibernate's MariaDB dialect writes each JPQL bulk delete so: one table, named by its alias.
            new Shape("delete by alias", null, "delete s1_0 from stock s1_0 where s1_0.qty>=40", Expect.KEYED),
            new Shape("delete limit", null, "DELETE FROM stock ORDER BY id LIMIT 1", Expect.REFUSED),
            new Shape("delete in a CTE", "WITH d AS (DELETE FROM stock WHERE id = 1 RETURNING *) SELECT * FROM d", null,
                    Expect.REFUSED),
            both("truncate mapped", "TRUNCATE TABLE stock", Expect.REFUSED),
            both("truncate pass-through", "TRUNCATE TABLE audit", Expect.ANY),
            // ---- DDL, calls, several statements, session
            both("create index", "CREATE INDEX IF NOT EXISTS stock_qty ON stock (qty)", Expect.REFUSED),
            both("alter table", "ALTER TABLE stock ALTER COLUMN qty SET DEFAULT 0", Expect.REFUSED),
            both("create unmapped table", "CREATE TABLE IF NOT EXISTS scratch (id INT)", Expect.REFUSED),
            both("drop unmapped table", "DROP TABLE IF EXISTS scratch", Expect.REFUSED),
            new Shape("comment", "COMMENT ON TABLE stock IS 'x'", "ALTER TABLE stock COMMENT = 'x'", Expect.REFUSED),
            both("call", "CALL bump(1)", Expect.REFUSED),
            both("call escape", "{call bump(2)}", Expect.REFUSED),
            both("two writes", "UPDATE stock SET qty = 0 WHERE id = 4; DELETE FROM stock WHERE id = 5", Expect.REFUSED),
            both("two inserts", "INSERT INTO stock (id, sku, qty) VALUES (30, 'a', 1);INSERT INTO stock (id, sku, qty)"
                    + " VALUES (31, 'b', 1)", Expect.REFUSED),
            both("read then write", "SELECT 1; DELETE FROM stock WHERE id = 1", Expect.REFUSED),
            new Shape("session setting", "SET application_name = 'matrix'", "SET @matrix = 1", Expect.ANY));

    private static final Map<Engine, TestDatabase> REFERENCES = new HashMap<>();
    private static final Map<Engine, Connection> REFERENCE_CONNECTIONS = new HashMap<>();
    /** Per engine, shape and entry point: what a plain connection did. */
    private static final Map<String, Result> EXPECTED = new HashMap<>();
    private static final Map<Engine, Map<String, List<String>>> SEEDS = new HashMap<>();

    @AfterAll
    static void dropReferences() throws SQLException {
        for (Connection c : REFERENCE_CONNECTIONS.values()) {
            c.close();
        }
        REFERENCES.values().forEach(TestDatabase::close);
    }

    @Test
    void everyShapeThroughEveryEntryPoint_runsAsOnAPlainConnectionOrIsRefused_postgresToPostgres() throws Exception {
        matrix(Engine.POSTGRESQL, Engine.POSTGRESQL);
    }

    @Test
    void everyShapeThroughEveryEntryPoint_runsAsOnAPlainConnectionOrIsRefused_mariadbToPostgres() throws Exception {
        matrix(Engine.MARIADB, Engine.POSTGRESQL);
    }

    private static void matrix(Engine sourceEngine, Engine targetEngine) throws Exception {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long started = System.nanoTime();
        try (TestDatabase source = TestDatabases.create(sourceEngine, "mxsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "mxtgt");
                MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
            create(source);
            create(target);
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = target.dataSource(4);
            RowCopier resync = RowCopier.builder(sourcePool, targetPool)
                    .mapping(TableMapping.builder("stock").sourceTable("stock").key("id", Long.class)
                            .column("sku").column("qty").build())
                    .mapping(TableMapping.builder("orders").sourceTable("orders").key("id", Long.class)
                            .column("item").column("qty").build())
                    .build();
            DualWriteCounters stats = new DualWriteCounters();
            try (RetryQueue queue = RetryQueue.create(RetryStore.inMemory(), CopyReplayHandler.of(MIGRATION, resync),
                    RetryQueueConfig.custom().pollInterval(Duration.ofMillis(5)).build());
                    ReadRouter router = ReadRouter.builder(flags, MIGRATION).build();
                    Connection sourcePlain = source.connect();
                    Connection targetPlain = target.connect()) {
                queue.start();
                CutoverDataSource dataSource = DualWrite.dataSource(sourcePool, targetPool).migration(MIGRATION).flags(flags)
                        .router(router).retryQueue(queue).rowCopier(resync).counters(stats).passThrough("audit").build();
                Map<String, List<String>> seedSource = reset(sourcePlain, true);
                Map<String, List<String>> seedTarget = reset(targetPlain, true);
                for (Stage stage : STAGES) {
                    flags.forceMoveTo(MIGRATION, stage, "test", "matrix");
                    if (stage == Stage.SHIFT_READS) {
                        flags.setTargetReadPercent(MIGRATION, 100, "test", "all reads to the target");
                    }
                    Engine primaryEngine = stage.primary() == dev.cutover.flags.Side.SOURCE ? sourceEngine : targetEngine;
                    for (Shape shape : SHAPES) {
                        String template = shape.sql(primaryEngine);
                        if (template == null) {
                            continue;
                        }
                        for (Entry entry : Entry.values()) {
                            if (shape.parameters().length > 0 && entry.plain()) {
                                continue;
                            }
                            cases++;
                            Result expected = expected(primaryEngine, shape, entry);
                            Result actual;
                            try (Connection c = dataSource.getConnection()) {
                                // DUAL_WRITE runs each case in an application transaction; the others in auto-commit.
                                actual = stage == Stage.DUAL_WRITE ? inTransaction(c, template, shape, entry)
                                        : run(c, template, shape, entry);
                            }
                            assertTrue(queue.drain(Duration.ofSeconds(10)), "the queue drains");
                            // drain() does not wait for parked entries: one would leave its key behind
                            // and read below as a wrong outcome of the statement.
                            assertEquals(List.of(), queue.parked(10), "no copy was parked after " + template);
                            Map<String, List<String>> sourceState = state(sourcePlain);
                            Map<String, List<String>> targetState = state(targetPlain);
                            String problem = judge(stage, shape, entry, expected, actual, sourceState, targetState,
                                    seedSource, seedTarget);
                            if (problem != null) {
                                failures.add(sourceEngine + "->" + targetEngine + " " + stage + " " + entry + " ["
                                        + shape.name() + "] " + template + ": " + problem);
                            }
                            boolean counter = actual.mayHaveRun() && template.contains("orders");
                            reset(sourcePlain, sourceState, seedSource, counter);
                            reset(targetPlain, targetState, seedTarget, counter);
                        }
                    }
                }
            }
        }
        LOG.info("{} -> {}: {} cases in {} ms", sourceEngine, targetEngine, cases, (System.nanoTime() - started) / 1_000_000);
        assertTrue(SHAPES.size() >= 60, "at least 60 shapes");
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases failed:\n" + String.join("\n", failures));
    }

    /** @return null if the outcome is one of the allowed ones, else what is wrong */
    private static String judge(Stage stage, Shape shape, Entry entry, Result expected, Result actual,
            Map<String, List<String>> sourceState, Map<String, List<String>> targetState,
            Map<String, List<String>> seedSource, Map<String, List<String>> seedTarget) {
        boolean sourcePrimary = stage.primary() == dev.cutover.flags.Side.SOURCE;
        Map<String, List<String>> primary = sourcePrimary ? sourceState : targetState;
        Map<String, List<String>> other = sourcePrimary ? targetState : sourceState;
        Map<String, List<String>> otherSeed = sourcePrimary ? seedTarget : seedSource;
        Map<String, List<String>> primarySeed = sourcePrimary ? seedSource : seedTarget;
        if (!stage.dualWrites()) {
            // The control: Cutover passes everything through, exactly as a plain connection.
            if (actual.refused()) {
                return "refused in a single-side stage: " + actual.error();
            }
            if (!Objects.equals(expected.answer(), actual.answer()) || expected.failed() != actual.failed()) {
                return "answered " + actual + " where a plain connection answered " + expected;
            }
            if (!primary.equals(expected.state())) {
                return "left the primary at " + primary + " where a plain connection left " + expected.state();
            }
            return other.equals(otherSeed) ? null : "wrote the other side in a single-side stage: " + other;
        }
        if (actual.refused()) {
            if (entry.natural(shape.expect())) {
                return "refused a " + shape.expect() + " shape through its natural entry point: " + actual.error();
            }
            if (!actual.error().contains("Fix:")) {
                return "refused without a fix: " + actual.error();
            }
            for (String mapped : MAPPED) {
                if (actual.error().contains("passThrough(\"" + mapped + "\")")) {
                    return "advises passing mapped table " + mapped + " through: " + actual.error();
                }
            }
            if (!primary.equals(primarySeed) || !other.equals(otherSeed)) {
                return "refused, but wrote: primary " + primary + ", other side " + other;
            }
            return null;
        }
        if (shape.expect() == Expect.REFUSED && !actual.failed()) {
            return "ran a shape Cutover cannot mirror: " + actual;
        }
        if (entry.natural(shape.expect()) && actual.failed()) {
            return "failed a " + shape.expect() + " shape through its natural entry point: " + actual.error();
        }
        for (String table : MAPPED) {
            if (!primary.get(table).equals(other.get(table))) {
                return "the sides differ on " + table + ": primary " + primary.get(table) + ", other "
                        + other.get(table);
            }
        }
        for (String table : List.of("audit", "note")) {
            if (!other.get(table).equals(otherSeed.get(table))) {
                return "wrote unmirrored table " + table + " on the other side: " + other.get(table);
            }
        }
        if (actual.failed()) {
            // A write that threw counts as applied or not, as a whole.
            if (!expected.failed()) {
                return "failed (" + actual.error() + ") where a plain connection answered " + expected;
            }
            return primary.equals(primarySeed) || primary.equals(expected.state()) ? null
                    : "failed, and left the primary at " + primary + ", neither untouched nor as a plain connection left"
                            + " it: " + expected.state();
        }
        if (expected.failed()) {
            return "ran (" + actual + ") where a plain connection failed: " + expected.error();
        }
        if (!Objects.equals(expected.answer(), actual.answer())) {
            return "answered " + actual.answer() + " where a plain connection answered " + expected.answer();
        }
        return primary.equals(expected.state()) ? null
                : "left the primary at " + primary + " where a plain connection left " + expected.state();
    }

    /**
     * What one execution did.
     *
     * @param answer what the JDBC calls answered, as text; null when it failed
     * @param error the exception's message, or null
     * @param refused whether Cutover refused it
     * @param state the tables afterwards, for the reference runs
     */
    record Result(String answer, String error, boolean refused, Map<String, List<String>> state) {
        boolean failed() {
            return error != null;
        }

        /** @return whether it failed after reaching the database, where a failed insert still advances key counters */
        boolean mayHaveRun() {
            return failed() && !error.startsWith("Cutover refused");
        }

        Result withState(Map<String, List<String>> tables) {
            return new Result(answer, error, refused, tables);
        }
    }

    private static Result expected(Engine engine, Shape shape, Entry entry) throws Exception {
        String key = engine + "|" + shape.name() + "|" + entry;
        Result known = EXPECTED.get(key);
        if (known != null) {
            return known;
        }
        TestDatabase reference = REFERENCES.get(engine);
        if (reference == null) {
            reference = TestDatabases.create(engine, "mxref");
            create(reference);
            REFERENCES.put(engine, reference);
        }
        Result result;
        Connection c = REFERENCE_CONNECTIONS.get(engine);
        if (c == null) {
            c = reference.connect();
            REFERENCE_CONNECTIONS.put(engine, c);
        }
        {
            if (!SEEDS.containsKey(engine)) {
                SEEDS.put(engine, reset(c, true));
            }
            result = run(c, shape.sql(engine), shape, entry);
            result = result.withState(state(c));
            reset(c, result.state(), SEEDS.get(engine), result.mayHaveRun() && shape.sql(engine).contains("orders"));
        }
        EXPECTED.put(key, result);
        return result;
    }

    private static Result run(Connection c, String template, Shape shape, Entry entry) {
        String sql;
        try {
            String schema = c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres") ? c.getSchema()
                    : c.getCatalog();
            sql = template.replace("{schema}", schema);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        try {
            return new Result(execute(c, sql, shape.parameters(), entry), null, false, null);
        } catch (SQLException e) {
            String message = String.valueOf(e.getMessage());
            boolean refused = message.contains("Cutover") && message.contains("Fix:");
            return new Result(null, message, refused, null);
        }
    }

    /** Runs a case in a transaction: committed when it ran, rolled back when it failed. */
    private static Result inTransaction(Connection c, String template, Shape shape, Entry entry) throws SQLException {
        c.setAutoCommit(false);
        Result result = run(c, template, shape, entry);
        try {
            if (result.failed()) {
                c.rollback();
            } else {
                c.commit();
            }
        } catch (SQLException e) {
            return new Result(null, "commit failed: " + e.getMessage(), false, null);
        } finally {
            c.setAutoCommit(true);
        }
        return result;
    }

    private static String execute(Connection c, String sql, Object[] parameters, Entry entry) throws SQLException {
        switch (entry) {
            case STATEMENT_QUERY:
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    return rows(rs);
                }
            case STATEMENT_UPDATE:
                try (Statement s = c.createStatement()) {
                    return "count " + s.executeUpdate(sql);
                }
            case STATEMENT_EXECUTE:
                try (Statement s = c.createStatement()) {
                    return results(s, s.execute(sql));
                }
            case STATEMENT_BATCH:
                try (Statement s = c.createStatement()) {
                    s.addBatch(sql);
                    return "batch " + Arrays.toString(s.executeBatch());
                }
            case PREPARED_QUERY:
                try (PreparedStatement p = prepare(c, sql, parameters); ResultSet rs = p.executeQuery()) {
                    return rows(rs);
                }
            case PREPARED_UPDATE:
                try (PreparedStatement p = prepare(c, sql, parameters)) {
                    return "count " + p.executeUpdate();
                }
            case PREPARED_EXECUTE:
                try (PreparedStatement p = prepare(c, sql, parameters)) {
                    return results(p, p.execute());
                }
            case PREPARED_BATCH:
                try (PreparedStatement p = prepare(c, sql, parameters)) {
                    p.addBatch();
                    return "batch " + Arrays.toString(p.executeBatch());
                }
            default:
                try (CallableStatement call = c.prepareCall(sql)) {
                    bind(call, parameters);
                    return results(call, call.execute());
                }
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object[] parameters) throws SQLException {
        PreparedStatement p = c.prepareStatement(sql);
        bind(p, parameters);
        return p;
    }

    private static void bind(PreparedStatement p, Object[] parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            p.setObject(i + 1, parameters[i]);
        }
    }

    /** Walks the results of execute() as JDBC says: result sets and counts until neither is left. */
    private static String results(Statement s, boolean resultSet) throws SQLException {
        StringBuilder out = new StringBuilder();
        boolean isResultSet = resultSet;
        for (int i = 0; i < 5; i++) {
            if (isResultSet) {
                try (ResultSet rs = s.getResultSet()) {
                    out.append(rows(rs)).append("; ");
                }
            } else {
                int count = s.getUpdateCount();
                if (count == -1) {
                    return out.append("end").toString();
                }
                out.append("count ").append(count).append("; ");
            }
            isResultSet = s.getMoreResults();
        }
        return out.append("...").toString();
    }

    /** The rows as text, sorted: RETURNING rows come in no promised order. */
    private static String rows(ResultSet rs) throws SQLException {
        List<String> rows = new ArrayList<>();
        int width = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= width; i++) {
                row.add(rs.getString(i));
            }
            rows.add(row.toString());
        }
        rows.sort(null);
        return "rows " + rows;
    }

    /** @return every table's rows as text, sorted; read in one query, since it runs twice per case */
    private static Map<String, List<String>> state(Connection c) throws SQLException {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        TABLES.forEach(table -> tables.put(table, new ArrayList<>()));
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 'stock', id, sku, qty FROM stock UNION ALL SELECT 'orders', id,"
                        + " item, qty FROM orders UNION ALL SELECT 'audit', NULL, msg, NULL FROM audit UNION ALL"
                        + " SELECT 'note', id, txt, NULL FROM note")) {
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 2; i <= 4; i++) {
                    row.add(rs.getString(i));
                }
                tables.get(rs.getString(1)).add(row.toString());
            }
        }
        tables.values().forEach(rows -> rows.sort(null));
        return tables;
    }

    private static void create(TestDatabase db) {
        boolean postgres = db.engine() == Engine.POSTGRESQL;
        String generated = postgres ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "BIGINT AUTO_INCREMENT PRIMARY KEY";
        db.execute("CREATE TABLE stock (id BIGINT PRIMARY KEY, sku VARCHAR(40) NOT NULL, qty INT NOT NULL)",
                "CREATE TABLE orders (id " + generated + ", item VARCHAR(40) NOT NULL, qty INT NOT NULL)",
                "CREATE TABLE audit (msg VARCHAR(80))",
                "CREATE TABLE note (id BIGINT PRIMARY KEY, txt VARCHAR(40))",
                postgres ? "CREATE PROCEDURE bump(k BIGINT) LANGUAGE SQL AS $$ UPDATE stock SET qty = qty + 1 WHERE id = k $$"
                        : "CREATE PROCEDURE bump(k BIGINT) UPDATE stock SET qty = qty + 1 WHERE id = k");
    }

    private static final Map<String, String> SEED_ROWS = Map.of(
            "stock", "INSERT INTO stock (id, sku, qty) VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30), (4, 'd', 40),"
                    + " (5, 'e', 50)",
            "orders", "INSERT INTO orders (id, item, qty) VALUES (1, 'x', 1), (2, 'y', 2)",
            "note", "INSERT INTO note (id, txt) VALUES (1, 'n1')");

    /**
     * Puts back the seed rows of the tables that differ from the seed, in one transaction (one flush
     * to disk); and the generated keys' counter when orders changed or a statement on it may have
     * drawn keys before it failed.
     */
    private static void reset(Connection c, Map<String, List<String>> state, Map<String, List<String>> seed,
            boolean counter) throws SQLException {
        List<String> dirty = TABLES.stream().filter(t -> !state.get(t).equals(seed.get(t))).toList();
        if (dirty.isEmpty() && !counter) {
            return;
        }
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            for (String table : dirty) {
                s.execute("DELETE FROM " + table);
                if (SEED_ROWS.containsKey(table)) {
                    s.execute(SEED_ROWS.get(table));
                }
            }
            c.commit();
            c.setAutoCommit(true);
            if (counter || dirty.contains("orders")) {
                resetCounter(c, s);
            }
        }
    }

    private static void resetCounter(Connection c, Statement s) throws SQLException {
        if (c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres")) {
            s.execute("SELECT setval(pg_get_serial_sequence('orders', 'id'), 2)");
        } else {
            s.execute("ALTER TABLE orders AUTO_INCREMENT = 3");
        }
    }

    /** Puts the seed rows back, and the generated keys' counter after them; @return the seeded tables */
    private static Map<String, List<String>> reset(Connection c, boolean counter) throws SQLException {
        boolean postgres = c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
        // One transaction, so one flush to disk instead of one per statement.
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            for (String table : TABLES) {
                s.addBatch("DELETE FROM " + table);
            }
            s.addBatch("INSERT INTO stock (id, sku, qty) VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30), (4, 'd', 40),"
                    + " (5, 'e', 50)");
            s.addBatch("INSERT INTO orders (id, item, qty) VALUES (1, 'x', 1), (2, 'y', 2)");
            s.addBatch("INSERT INTO note (id, txt) VALUES (1, 'n1')");
            s.executeBatch();
            c.commit();
            c.setAutoCommit(true);
            if (counter && postgres) {
                s.execute("SELECT setval(pg_get_serial_sequence('orders', 'id'), 2)");
            } else if (counter) {
                s.execute("ALTER TABLE orders AUTO_INCREMENT = 3");
            }
        }
        return state(c);
    }
}
