package dev.cutover.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.Migration;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.verifier.VerificationReport;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;

/**
 * What the starter's user tests (a Spring JDBC ledger, two Spring Data JPA shops) share: the set-up of
 * the databases as a team would do it, the oracle's row states and effects, and the final checks of a
 * walk. Rows are maps of column to text; {@code Map.of()} stands for no row.
 */
public final class UserTestSupport {
    private static final Map<String, String> ABSENT = Map.of();

    private UserTestSupport() {
    }

    /** Cutover's flag, queue and verifier tables on the source, from the scripts in its jars (README). */
    public static void createCutoverTables(TestDatabase source) throws IOException {
        String dialect = source.engine() == Engine.MARIADB ? "mariadb" : "postgresql";
        source.execute(split(script("dev/cutover/flags/" + dialect + ".sql")));
        source.execute(split(script("dev/cutover/queue/internal/" + dialect + ".sql")));
        // The backfill's checkpoints live in the verifier's table: without it the backfill fails.
        source.execute(split(script("dev/cutover/verifier/" + dialect + ".sql")));
    }

    /** One of Cutover's table scripts from its jar, with the default prefix filled in (README, "Cutover's tables"). */
    public static String script(String resource) throws IOException {
        try (InputStream in = UserTestSupport.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${prefix}", "cutover_");
        }
    }

    /** A script's statements, its comment lines left out. */
    public static String[] split(String sql) {
        String withoutComments = sql.lines().filter(l -> !l.strip().startsWith("--"))
                .reduce("", (a, b) -> a + b + "\n");
        return Arrays.stream(withoutComments.split(";\\s*\n")).map(String::strip).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
    }

    /** The properties of a JPA application that sets only Cutover's two URLs, with Hibernate's JDBC batching on. */
    public static List<String> jpaProperties(TestDatabase source, TestDatabase target) {
        return List.of("cutover.source.url=" + source.jdbcUrl(), "cutover.target.url=" + target.jdbcUrl(),
                "spring.jpa.open-in-view=false",
                "spring.jpa.properties.hibernate.jdbc.batch_size=20",
                "spring.jpa.properties.hibernate.order_inserts=true",
                "spring.jpa.properties.hibernate.order_updates=true");
    }

    /** Runs one step of a walk (a flip, a backfill); a refusal is logged and counted as a problem. */
    public static void step(Logger log, Collection<String> problems, String what, Runnable action) {
        long started = System.nanoTime();
        try {
            action.run();
            log.info("{} done in {} ms", what, (System.nanoTime() - started) / 1_000_000);
        } catch (RuntimeException e) {
            log.warn("{} refused", what, e);
            problems.add(what + " refused: " + e);
        }
    }

    /**
     * The end of a walk, its writers stopped: waits up to {@code wait} for the retry-queue to empty, then
     * the queue must be empty (nothing parked) and the verifier clean.
     */
    public static void drainAndVerify(Migration migration, Duration wait, Collection<String> problems)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (migration.queueDepth().pending() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        if (migration.queueDepth().pending() + migration.queueDepth().parked() > 0) {
            problems.add("queue not drained: " + migration.queueDepth());
        }
        VerificationReport report = migration.verify();
        if (!report.isClean()) {
            problems.add("verifier not clean: " + report.toJson());
        }
    }

    /** Both sides' rows must be what the acknowledged calls allow. */
    public static void checkOracle(AcknowledgedWriteOracle<String, Map<String, String>> oracle,
            Map<String, Map<String, String>> sourceRows, Map<String, Map<String, String>> targetRows,
            Collection<String> problems) {
        List<String> violations = oracle.violations(sourceRows, targetRows);
        if (!violations.isEmpty()) {
            problems.add(violations.size() + " oracle violation(s):\n" + String.join("\n", violations));
        }
    }

    /** The rows on either side under keys no call recorded, as "source k" and "target k". */
    public static List<String> unknownRows(Set<String> known, Map<String, Map<String, String>> sourceRows,
            Map<String, Map<String, String>> targetRows) {
        List<String> unknown = new ArrayList<>();
        sourceRows.keySet().stream().filter(k -> !known.contains(k)).forEach(k -> unknown.add("source " + k));
        targetRows.keySet().stream().filter(k -> !known.contains(k)).forEach(k -> unknown.add("target " + k));
        return unknown;
    }

    /** How a dump reads one column of a row as text. */
    public interface ColumnText {
        String read(ResultSet rs, ResultSetMetaData meta, int column, String name) throws SQLException;
    }

    /**
     * Every row of the tables (each {table, key prefix}) into {@code rows}, keyed prefix + id, its id and
     * version columns left out.
     */
    public static void readRows(Statement s, String[][] tables, Map<String, Map<String, String>> rows,
            ColumnText text) throws SQLException {
        for (String[] table : tables) {
            try (ResultSet rs = s.executeQuery("SELECT * FROM " + table[0])) {
                ResultSetMetaData meta = rs.getMetaData();
                while (rs.next()) {
                    Map<String, String> row = new TreeMap<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        String column = meta.getColumnLabel(i).toLowerCase();
                        if (!column.equals("id") && !column.equals("version")) {
                            row.put(column, text.read(rs, meta, i, column));
                        }
                    }
                    rows.put(table[1] + rs.getLong("id"), Map.copyOf(row));
                }
            }
        }
    }

    /** A decimal as the dumps write it: no trailing zeros, no exponent. */
    public static String num(BigDecimal value) {
        return value.stripTrailingZeros().toPlainString();
    }

    /** An insert: only where there is no row. */
    public static Effect<Map<String, String>> insert(Map<String, String> row) {
        return Effect.requiring(Map::isEmpty, s -> row);
    }

    /** An update to the given row: only where there is a row. */
    public static Effect<Map<String, String>> becomes(Map<String, String> row) {
        return Effect.requiring(s -> !s.isEmpty(), s -> row);
    }

    /** A delete: only where there is a row. */
    public static Effect<Map<String, String>> delete() {
        return Effect.requiring(s -> !s.isEmpty(), s -> ABSENT);
    }

    /** A row from column, value pairs. */
    public static Map<String, String> row(String... pairs) {
        return with(Map.of(), pairs);
    }

    /** {@code base} with the given column, value pairs set. */
    public static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> row = new TreeMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) {
            row.put(pairs[i], pairs[i + 1]);
        }
        return Map.copyOf(row);
    }

    /** @return the innermost cause */
    public static Throwable root(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    /** @return the message of Cutover's refusal in the causes (SQLState 0A000, "Cutover refused ..."), or null */
    public static String refusalMessage(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && "0A000".equals(sql.getSQLState())
                    && String.valueOf(sql.getMessage()).startsWith("Cutover refused")) {
                return sql.getMessage();
            }
        }
        return null;
    }

    /** @return whether an SQLException among the causes has one of the SQLStates */
    public static boolean hasSqlState(Throwable e, String... states) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && java.util.Arrays.asList(states).contains(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
