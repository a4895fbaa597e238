package dev.cutover.verifier;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Names;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.Column;
import dev.cutover.dualwrite.internal.Mappings;
import dev.cutover.flags.Side;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryStore;
import dev.cutover.verifier.internal.KeyEquality;
import dev.cutover.verifier.internal.ReceivingColumns;
import dev.cutover.verifier.internal.Schema;
import dev.cutover.verifier.internal.SideSql;
import dev.cutover.verifier.internal.TableRun;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves that the source and the target of a migration hold the same rows, while traffic flows,
 * and optionally queues what differs for repair.
 *
 * <p><b>How.</b> Before any row is read, every mapping is checked against both databases'
 * metadata (tables, mapped columns, primary keys, column types); problems are thrown together as a
 * {@link VerificationSetupException}. Then each table is walked in the source's primary-key order,
 * in chunks of {@link VerifierConfig#chunkSize()} rows whose bounds are found by keyset pagination.
 * When both sides run the same engine and the mapping converts no values (columns may be renamed,
 * but none is split, merged, coded or key-translated), each side computes a checksum of the chunk inside the
 * database and rows cross the network only for chunks whose checksums differ
 * ({@link ComparisonMethod#DATABASE_CHECKSUM}); otherwise both sides' rows are streamed and the
 * source rows, converted by the mapping, are compared with the target's as normalised values:
 * numbers by value, timestamps in UTC within {@link VerifierConfig#timestampPrecision()}, text as
 * Unicode ({@link ComparisonMethod#KEY_RANGE_STREAM}, or {@link ComparisonMethod#KEY_LOOKUP_STREAM}
 * when the key order of the two sides may differ).
 *
 * <p><b>Writes in flight.</b> A key seen different may be a write whose mirror copy has not landed
 * yet. Such keys are re-checked after {@link VerifierConfig#recheckDelay()}, reading the primary's
 * row ({@link Builder#primary(Side)}, the source by default) with {@code SELECT ... FOR UPDATE}
 * and, while holding that lock, the other side's row; only keys that differ at every one of
 * {@link VerifierConfig#recheckAttempts()} looks are reported. Dual-write copies take the same
 * lock, so no copy of the key is half done during a re-check.
 *
 * <p><b>Repair.</b> With {@link Builder#repairWith(RetryQueue, String)}, each reported key is
 * queued as a {@code RESYNC} entry, which the retry-queue's drain copies from the primary.
 *
 * <p><b>Resume.</b> After every chunk a {@link Checkpoint} is saved in the
 * {@link Builder#checkpoints(CheckpointStore) checkpoint store}; {@link #stop()} ends a run after
 * the chunk in hand, and {@link #resume(String)} continues a stopped or crashed run after its last
 * finished chunk.
 *
 * <p>Thread-safe: one run at a time per verifier ({@link #run()} and {@link #resume(String)} refuse
 * to start while another is going on); {@link #stop()} may be called from any thread.
 */
public final class Verifier {
    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);

    private final DataSource source;
    private final DataSource target;
    private final List<TableMapping> mappings;
    private final VerifierConfig config;
    private final BiPredicate<String, String> repair;
    private final Side primary;
    private final ProgressListener listener;
    private final CheckpointStore checkpoints;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean stopRequested;

    private Verifier(Builder b) {
        this.source = b.source;
        this.target = b.target;
        this.mappings = List.copyOf(b.mappings.values());
        this.config = b.config;
        this.primary = b.primary;
        this.repair = b.repair == null ? null : (entity, key) -> b.repair.test(
                CopyReplayHandler.entry(b.repairMigration, entity, key, b.primary));
        this.listener = b.listener;
        this.checkpoints = b.checkpoints;
    }

    /**
     * Starts a verifier of two databases.
     *
     * @param source the source database; the reference, whose rows the target should hold
     * @param target the target database
     * @return the builder
     */
    public static Builder builder(DataSource source, DataSource target) {
        return new Builder(source, target);
    }

    /**
     * Checks every mapping against both databases' metadata, reading no rows: the tables and mapped
     * columns exist, each table's primary key is the mapping's key, and (for mappings that convert
     * no values) each pair of columns has compatible types.
     *
     * @throws VerificationSetupException listing every problem found
     * @throws VerifierException if the metadata cannot be read
     */
    public void validate() {
        try {
            plan(false);
        } catch (SQLException e) {
            throw new VerifierException("Cannot read the databases' metadata: " + Redaction.message(e, false), null, e);
        }
    }

    /**
     * Checks, without reading a row, that every mapped table exists on both sides with the mapped
     * columns and the mapping's key as its primary key: what a run checks before it starts. Done
     * before a migration starts writing both sides, it turns a mapping that cannot be copied into one
     * message, instead of every copy failing into the retry-queue. It also refuses a text key column
     * that the two sides compare differently (MariaDB's case-insensitive or PAD SPACE collations
     * against PostgreSQL's exact text, say), since copies by key would then silently touch the wrong
     * rows; a run does not need that, as it compares keys exactly itself.
     *
     * @throws VerificationSetupException naming every problem and its fix
     * @throws VerifierException if a database cannot be asked
     */
    public void checkSetup() {
        try {
            plan(true);
        } catch (SQLException e) {
            throw new VerifierException("Cannot check the mappings of " + this + " against the databases: "
                    + Redaction.message(e, config.revealValues()), null, e);
        }
    }

    /**
     * Verifies every mapped table from its first key, with a new run id.
     *
     * @return the report; {@link VerificationReport#completed()} is false if {@link #stop()} ended it
     * @throws VerificationSetupException if a mapping does not fit the databases (nothing was read)
     * @throws VerifierException if a database fails; the run can be resumed from its report's
     *     run id, which the message names
     * @throws IllegalStateException if another run of this verifier is going on
     */
    public VerificationReport run() {
        return execute(UUID.randomUUID().toString(), Map.of());
    }

    /**
     * Continues a stopped or crashed run after its last finished chunk; tables it had finished are
     * not read again, and the report covers the whole run (the duration only this part).
     *
     * @param runId the run's id, from {@link VerificationReport#runId()} or a failure's message
     * @return the report
     * @throws IllegalArgumentException if the checkpoint store knows no such run
     * @throws VerificationSetupException if a mapping does not fit the databases
     * @throws VerifierException if a database fails
     * @throws IllegalStateException if another run of this verifier is going on
     */
    public VerificationReport resume(String runId) {
        Objects.requireNonNull(runId, "null runId");
        Map<String, Checkpoint> saved = checkpoints.load(runId);
        if (saved.isEmpty()) {
            throw new IllegalArgumentException("The checkpoint store holds no run '" + runId
                    + "': pass the same store (CheckpointStore.jdbc to survive a restart) or start a new run with run()");
        }
        return execute(runId, saved);
    }

    /**
     * Asks the run going on to stop after the chunk in hand; its report then says
     * {@link VerificationReport#completed() completed} false, and {@link #resume(String)} continues it.
     * Does nothing when no run is going on.
     */
    public void stop() {
        stopRequested = true;
    }

    private VerificationReport execute(String runId, Map<String, Checkpoint> saved) {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("A run of this verifier is going on: wait for it, or stop() it first");
        }
        stopRequested = false;
        Instant startedAt = Instant.now();
        ExecutorService targetReader = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "cutover-verifier-target");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<TableRun.Plan> plans = plan(false);
            // Counted on the target's reader, which has no chunk to read yet: the count (a scan of the source's
            // keys) runs beside the first chunk instead of before it. Progress waits for it.
            CompletableFuture<Long> rowsTotal = CompletableFuture.supplyAsync(() -> {
                try {
                    return countRows(plans);
                } catch (SQLException e) {
                    throw new CompletionException(e);
                }
            }, targetReader);
            Pacer pacer = new Pacer(runId, rowsTotal, saved);
            List<TableReport> tables = new ArrayList<>();
            for (TableRun.Plan plan : plans) {
                Checkpoint resumeFrom = saved.get(plan.mapping().entity());
                LOG.info("Verifier run {}: {} ({} -> {}) by {}{}", runId, plan.mapping().entity(), plan.mapping().sourceTable(),
                        plan.mapping().targetTable(), plan.method(), resumeFrom == null ? "" : ", resumed");
                TableReport table = new TableRun(plan, source, target, config, targetReader, pacer, primary, resumeFrom).run();
                pacer.tableDone(table);
                tables.add(table);
                if (table.method() == ComparisonMethod.DATABASE_CHECKSUM && table.chunks() >= 4
                        && table.chunksComparedByRow() > table.chunks() / 2
                        && table.chunksComparedByRow() > 2 * (table.differenceCount() + table.transientDifferences())) {
                    LOG.warn("Verifier run {}: {} checksums differed in {} of {} chunks although few rows differ: the column"
                            + " types of {} and {} probably render values differently (decimal scale, timestamp precision);"
                            + " the result stands, but rows were read instead of checksummed. Align the types for speed.",
                            runId, table.entity(), table.chunksComparedByRow(), table.chunks(), table.sourceTable(),
                            table.targetTable());
                }
            }
            VerificationReport report = new VerificationReport(runId, tables.stream().allMatch(TableReport::finished),
                    startedAt, Duration.between(startedAt, Instant.now()), tables);
            LOG.info("Verifier run {} {}: {} rows, {} differences ({} more cleared by re-checks), {} ms", runId,
                    report.completed() ? "completed" : "stopped", report.rowsCompared(), report.differenceCount(),
                    tables.stream().mapToLong(TableReport::transientDifferences).sum(), report.duration().toMillis());
            return report;
        } catch (SQLException e) {
            throw new VerifierException("Verifier run " + runId + " failed: " + Redaction.message(e, config.revealValues())
                    + "; its finished chunks are checkpointed, resume it with resume(\"" + runId + "\")", runId, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VerifierException("Verifier run " + runId + " was interrupted; resume it with resume(\"" + runId + "\")",
                    runId, e);
        } finally {
            targetReader.shutdownNow();
            running.set(false);
        }
    }

    /**
     * @param beforeCopies whether copies are about to be made with these mappings (the set-up check):
     *     then text keys must also compare alike on both sides, which a run, comparing exactly in
     *     memory, does not need
     */
    private List<TableRun.Plan> plan(boolean beforeCopies) throws SQLException {
        Dialect sourceDialect = detect(source, "source");
        Dialect targetDialect = detect(target, "target");
        List<String> problems = new ArrayList<>();
        List<TableRun.Plan> plans = new ArrayList<>();
        try (Connection sourceConnection = connect(source); Connection targetConnection = connect(target)) {
            boolean sameDatabase = sameDatabase(sourceConnection, targetConnection);
            // Asked of each side at most once per check, whatever the number of mappings with FLOAT columns.
            Map<Side, Boolean> readsFloatsExactly = new java.util.EnumMap<>(Side.class);
            // Per side and PostgreSQL type: whether that side's connections assign text to it.
            Map<String, Boolean> takesText = new java.util.HashMap<>();
            for (TableMapping mapping : mappings) {
                if (sameDatabase && mapping.sourceTable().equalsIgnoreCase(mapping.targetTable())) {
                    // The URL without its parameters, which may hold a password.
                    String url = String.valueOf(sourceConnection.getMetaData().getURL()).replaceAll("[?;].*$", "");
                    problems.add("the source and the target are the same database (" + url + "), so " + mapping.entity()
                            + " would copy table " + mapping.sourceTable() + " onto itself: pass the new database as the target");
                    continue;
                }
                Schema.TableInfo sourceTable = Schema.describe(sourceConnection, sourceDialect, mapping.sourceTable());
                Schema.TableInfo targetTable = Schema.describe(targetConnection, targetDialect, mapping.targetTable());
                int before = problems.size();
                check(mapping, Side.SOURCE, sourceTable, problems);
                check(mapping, Side.TARGET, targetTable, problems);
                if (problems.size() > before) {
                    continue;
                }
                List<Schema.ColumnInfo> sourceColumns = columns(mapping, Side.SOURCE, sourceTable);
                List<Schema.ColumnInfo> targetColumns = columns(mapping, Side.TARGET, targetTable);
                checkKeyTypes(mapping, sourceColumns, problems);
                if (beforeCopies) {
                    checkKeyEquality(mapping, sourceConnection, sourceDialect, targetConnection, targetDialect, sourceColumns,
                            targetColumns, problems);
                    checkReceiving(mapping, Side.SOURCE, sourceDialect, sourceConnection, sourceColumns, targetColumns,
                            takesText, problems);
                    checkReceiving(mapping, Side.TARGET, targetDialect, targetConnection, targetColumns, sourceColumns,
                            takesText, problems);
                }
                checkFloats(mapping.sourceTable(), sourceDialect, sourceColumns,
                        () -> readsFloatsExactly.computeIfAbsent(Side.SOURCE, side -> readsFloatsExactly(sourceConnection)),
                        problems);
                checkFloats(mapping.targetTable(), targetDialect, targetColumns,
                        () -> readsFloatsExactly.computeIfAbsent(Side.TARGET, side -> readsFloatsExactly(targetConnection)),
                        problems);
                if (Mappings.isIdentity(mapping)) {
                    for (int i = 0; i < sourceColumns.size(); i++) {
                        Schema.ColumnInfo s = sourceColumns.get(i);
                        Schema.ColumnInfo t = targetColumns.get(i);
                        if (!s.family().compatibleWith(t.family())) {
                            problems.add("columns " + mapping.sourceTable() + "." + s.name() + " (" + s.typeName() + ") and "
                                    + mapping.targetTable() + "." + t.name() + " (" + t.typeName() + ") of " + mapping.entity()
                                    + " cannot hold the same values: change one type, or map the column with a conversion"
                                    + " (TableMapping.Builder.column(source, target, toTarget, toSource))");
                        }
                    }
                }
                plans.add(new TableRun.Plan(mapping, method(mapping, sourceDialect, targetDialect, sourceColumns, targetColumns),
                        new SideSql(sourceDialect, mapping.sourceTable(), mapping.columnNames(Side.SOURCE),
                                mapping.keyColumnNames(Side.SOURCE)),
                        new SideSql(targetDialect, mapping.targetTable(), mapping.columnNames(Side.TARGET),
                                mapping.keyColumnNames(Side.TARGET))));
            }
        }
        if (!problems.isEmpty()) {
            throw new VerificationSetupException(problems);
        }
        return plans;
    }

    /**
     * Refuses a mapped MariaDB or MySQL {@code FLOAT} column that the side's connections read rounded:
     * without the binary protocol (Connector/J's default), the server sends a FLOAT as text with six
     * significant digits ({@code 13.404954} as {@code 13.405}), so every copy read from that side, and
     * every comparison, would see another value than the one stored. Whether the connection reads
     * floats exactly is asked of the server itself, at most once per side and check.
     */
    private static void checkFloats(String table, Dialect dialect, List<Schema.ColumnInfo> columns,
            java.util.function.BooleanSupplier readsFloatsExactly, List<String> problems) {
        if (dialect != Dialect.MARIADB && dialect != Dialect.MYSQL) {
            return;
        }
        List<String> floats = columns.stream().filter(c -> c.typeName().toUpperCase(java.util.Locale.ROOT).startsWith("FLOAT"))
                .map(Schema.ColumnInfo::name).toList();
        if (floats.isEmpty() || readsFloatsExactly.getAsBoolean()) {
            return;
        }
        problems.add("column(s) " + String.join(", ", floats) + " of " + table + " are FLOAT, which "
                + dialect.name().charAt(0) + dialect.name().substring(1).toLowerCase(java.util.Locale.ROOT)
                + " sends rounded to six significant digits outside its binary protocol (13.404954 reads as 13.405),"
                + " so a copy would store another value: make them DOUBLE (ALTER TABLE " + table + " MODIFY <column>"
                + " DOUBLE keeps every stored value) and the other side's columns doubles too, or give this side's"
                + " pool the binary protocol (useServerPrepStmts=true)");
    }

    private static boolean readsFloatsExactly(Connection connection) {
        try (PreparedStatement probe = connection.prepareStatement("SELECT CAST(? AS FLOAT)")) {
            probe.setDouble(1, 13.404954);
            try (ResultSet rs = probe.executeQuery()) {
                return rs.next() && rs.getFloat(1) == 13.404954f;
            }
        } catch (SQLException e) {
            return false; // a server without CAST(... AS FLOAT) (MySQL before 8.0.17) cannot show it does
        }
    }

    /**
     * Two pools on one database (the source's URL passed twice) are different data sources, which
     * {@code Cutover.builder} cannot tell apart; their connections' URL, catalog and schema can.
     */
    private static boolean sameDatabase(Connection source, Connection target) throws SQLException {
        return Objects.equals(source.getMetaData().getURL(), target.getMetaData().getURL())
                && Objects.equals(source.getCatalog(), target.getCatalog())
                && Objects.equals(source.getSchema(), target.getSchema());
    }

    /**
     * A routing key's values are bound to the source's key column as the mapping's key type: a String
     * bound to a whole-number column (or a number to a text one) fails every copy on PostgreSQL
     * ("operator does not exist: bigint = character varying") and would put each key into the
     * retry-queue, to fail there again.
     */
    private static void checkKeyTypes(TableMapping mapping, List<Schema.ColumnInfo> sourceColumns, List<String> problems) {
        List<Column> keys = Mappings.keyColumns(mapping);
        for (int i = 0; i < keys.size(); i++) {
            Class<?> type = keys.get(i).keyType();
            Schema.ColumnInfo column = sourceColumns.get(i);
            boolean number = type == Long.class || type == Integer.class;
            boolean uuidColumn = column.typeName().equalsIgnoreCase("uuid");
            Schema.Family family = column.family();
            boolean textMismatch = type == String.class && (uuidColumn
                    || family != Schema.Family.TEXT && family != Schema.Family.OTHER);
            if (textMismatch || number && family == Schema.Family.TEXT) {
                String fit = family == Schema.Family.INTEGER ? "key(\"" + column.name() + "\", Long.class) (or Integer.class)"
                        : uuidColumn ? "key(\"" + column.name() + "\", UUID.class)"
                        : family == Schema.Family.TEXT ? "key(\"" + column.name() + "\", String.class)"
                        : family == Schema.Family.NUMBER ? "key(\"" + column.name() + "\", Long.class) if the column holds"
                                + " whole numbers only (a decimal with a scale cannot key a migration: compared as text, 1 and"
                                + " 1.00 are two keys, while the database holds one row)"
                        : "a key column of a text, whole-number or UUID type";
                problems.add("key " + mapping.sourceTable() + "." + column.name() + " of " + mapping.entity() + " is "
                        + column.typeName() + " but the mapping declares its values " + type.getSimpleName()
                        + ", which the database compares by its own conversion, so copies by key would fail or reach"
                        + " other rows: declare " + fit);
            }
        }
    }

    /**
     * Refuses a mapped PostgreSQL column that a copy into that side cannot write: a copy writes every
     * mapped column with an explicit value, which a {@code GENERATED ALWAYS} column refuses, and binds
     * text read from the other side as {@code varchar}, which PostgreSQL assigns to no {@code uuid},
     * {@code json} or {@code jsonb} column unless the pool sets {@code stringtype=unspecified}. Every
     * copy into that side would fail into the retry-queue, its write held on one side only.
     *
     * @param columns the receiving side's mapped columns
     * @param others the other side's, in the same order where the mapping converts nothing
     */
    private static void checkReceiving(TableMapping mapping, Side side, Dialect dialect, Connection connection,
            List<Schema.ColumnInfo> columns, List<Schema.ColumnInfo> others, Map<String, Boolean> takesText,
            List<String> problems) throws SQLException {
        if (dialect != Dialect.POSTGRESQL) {
            return;
        }
        String table = side == Side.SOURCE ? mapping.sourceTable() : mapping.targetTable();
        String where = " of " + mapping.entity() + " on the " + side.name().toLowerCase(Locale.ROOT);
        Map<String, String> generated = ReceivingColumns.alwaysGenerated(connection, table);
        for (int i = 0; i < columns.size(); i++) {
            Schema.ColumnInfo column = columns.get(i);
            String kind = generated.get(column.name().toLowerCase(Locale.ROOT));
            if ("identity".equals(kind)) {
                problems.add("column " + table + "." + column.name() + where + " is GENERATED ALWAYS AS IDENTITY, which"
                        + " refuses the explicit values a copy writes, so every copy into it would fail: ALTER TABLE " + table
                        + " ALTER COLUMN " + column.name() + " SET GENERATED BY DEFAULT (a move of the primary to this"
                        + " side moves its sequence past the copied ids)");
            } else if ("stored".equals(kind)) {
                problems.add("column " + table + "." + column.name() + where + " is GENERATED ALWAYS AS (...) STORED, which"
                        + " refuses the values a copy writes, so every copy into it would fail: leave it out of the mapping"
                        + " if both sides compute it, or make it a plain column on this side");
            }
            if (!Mappings.isIdentity(mapping)) {
                continue; // columns are converted, split or joined: the conversion decides what is written
            }
            String type = column.typeName().toLowerCase(Locale.ROOT);
            Schema.ColumnInfo other = others.get(i);
            if (ReceivingColumns.textTypedNames().contains(type) && other.family() == Schema.Family.TEXT
                    && !takesText.computeIfAbsent(side + ":" + type, k -> ReceivingColumns.takesText(connection, type))) {
                problems.add("column " + table + "." + column.name() + where + " is " + type + " and receives text from"
                        + " the " + side.other().name().toLowerCase(Locale.ROOT) + "'s " + other.name() + " ("
                        + other.typeName() + "), which this side's connections bind as varchar, and PostgreSQL assigns"
                        + " varchar to no " + type + " column, so every copy into it would fail: add stringtype=unspecified"
                        + " to this side's JDBC URL, or make both columns " + type + ", or map the column with a conversion"
                        + " (TableMapping.Builder.column(source, target, toTarget, toSource))");
            }
        }
    }

    /**
     * Refuses a text key column that the two databases compare differently. A copy addresses a row
     * with {@code WHERE key = ?} on both sides, using the key as the application spelled it: under
     * MariaDB's default collation {@code 'ABC'} and {@code 'abc '} find the row {@code 'abc'}, on
     * PostgreSQL neither does. A delete keyed {@code 'ABC'} then removes {@code 'abc'} on the one side
     * and nothing on the other, a PostgreSQL source's rows {@code 'abc'} and {@code 'ABC'} overwrite
     * each other in one MariaDB row, and a statement that deleted nothing on PostgreSQL deletes
     * {@code 'abc'} on MariaDB; every call succeeds. Both sides comparing alike (exactly, or under the
     * same collation of one engine) keeps every copy on the row the write touched.
     */
    private static void checkKeyEquality(TableMapping mapping, Connection sourceConnection, Dialect sourceDialect,
            Connection targetConnection, Dialect targetDialect, List<Schema.ColumnInfo> sourceColumns,
            List<Schema.ColumnInfo> targetColumns, List<String> problems) throws SQLException {
        int keys = mapping.keyColumnNames(Side.SOURCE).size();
        for (int i = 0; i < keys; i++) {
            KeyEquality.Rule source = KeyEquality.of(sourceConnection, sourceDialect, mapping.sourceTable(),
                    sourceColumns.get(i).name());
            KeyEquality.Rule target = KeyEquality.of(targetConnection, targetDialect, mapping.targetTable(),
                    targetColumns.get(i).name());
            if (source == null || target == null || source.exact() && target.exact()
                    || sourceDialect == targetDialect && source.rule().equals(target.rule())) {
                continue;
            }
            List<String> fixes = new ArrayList<>();
            if (source.fix() != null) {
                fixes.add(source.fix() + " on the source");
            }
            if (target.fix() != null) {
                fixes.add(target.fix() + " on the target");
            }
            problems.add("key " + mapping.sourceTable() + "." + sourceColumns.get(i).name() + " of " + mapping.entity()
                    + " compares text differently on the two sides, the source by " + source.rule() + " and the target by "
                    + target.rule() + ", so a copy by key could delete or overwrite another row than the one written"
                    + " (or miss it) without any error: make both compare exactly (" + String.join("; ", fixes)
                    + "), after checking that no two existing keys then differ only in case, accents or trailing spaces");
        }
    }

    /** Names the side that cannot be reached: the driver's message names a host, not which database it is. */
    private static Dialect detect(DataSource dataSource, String side) {
        try {
            return Dialect.detect(dataSource);
        } catch (CutoverException e) {
            if (!(e.getCause() instanceof SQLException)) {
                throw e;
            }
            throw new VerifierException("The " + side + " database cannot be reached: " + e.getMessage()
                    + "; nothing was compared or written: check its connection settings and that it is up, then try again",
                    null, e.getCause());
        }
    }

    private static ComparisonMethod method(TableMapping mapping, Dialect sourceDialect, Dialect targetDialect,
            List<Schema.ColumnInfo> sourceColumns, List<Schema.ColumnInfo> targetColumns) {
        if (!Mappings.isIdentity(mapping)) {
            return ComparisonMethod.KEY_LOOKUP_STREAM;
        }
        if (sourceDialect == targetDialect) {
            return ComparisonMethod.DATABASE_CHECKSUM;
        }
        // Whole numbers sort alike everywhere; text, UUIDs and timestamps may sort differently per engine.
        int keys = mapping.keyColumnNames(Side.SOURCE).size();
        for (int i = 0; i < keys; i++) {
            if (sourceColumns.get(i).family() != Schema.Family.INTEGER || targetColumns.get(i).family() != Schema.Family.INTEGER) {
                return ComparisonMethod.KEY_LOOKUP_STREAM;
            }
        }
        return ComparisonMethod.KEY_RANGE_STREAM;
    }

    private static void check(TableMapping mapping, Side side, Schema.TableInfo table, List<String> problems) {
        String name = side == Side.SOURCE ? mapping.sourceTable() : mapping.targetTable();
        String what = side.name().toLowerCase(Locale.ROOT) + " table " + name + " of " + mapping.entity();
        if (table == null) {
            problems.add(what + " does not exist: create it, or fix the mapping's table name");
            return;
        }
        for (String column : mapping.columnNames(side)) {
            if (!table.columns().containsKey(column.toLowerCase(Locale.ROOT))) {
                problems.add("column " + column + " is not in the " + what + " (it has "
                        + table.columns().values().stream().map(Schema.ColumnInfo::name).collect(Collectors.joining(", "))
                        + "): fix the mapping");
            }
        }
        List<String> keys = mapping.keyColumnNames(side);
        if (table.primaryKey().isEmpty()) {
            problems.add(what + " has no primary key: the verifier walks tables in key order, so add a primary key on ("
                    + String.join(", ", keys) + ")");
        } else if (!new HashSet<>(table.primaryKey()).equals(
                keys.stream().map(k -> k.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()))) {
            problems.add(what + " has the primary key (" + String.join(", ", table.primaryKey()) + "), but the mapping's key is ("
                    + String.join(", ", keys) + "): map the primary key's columns with TableMapping.Builder.key(...)");
        }
    }

    private static List<Schema.ColumnInfo> columns(TableMapping mapping, Side side, Schema.TableInfo table) {
        return mapping.columnNames(side).stream().map(c -> table.columns().get(c.toLowerCase(Locale.ROOT))).toList();
    }

    private long countRows(List<TableRun.Plan> plans) throws SQLException {
        long total = 0;
        try (Connection connection = connect(source); Statement statement = connection.createStatement()) {
            for (TableRun.Plan plan : plans) {
                try (ResultSet rs = statement.executeQuery(plan.source().count())) {
                    rs.next();
                    total += rs.getLong(1);
                }
            }
        }
        return total;
    }

    /** Borrows a connection whose reads cannot hang on a silently stalled network. */
    private Connection connect(DataSource dataSource) throws SQLException {
        return NetworkTimeouts.connect(dataSource, (int) config.statementTimeout().toMillis() + 2000);
    }

    @Override
    public String toString() {
        return "Verifier" + mappings.stream().map(TableMapping::entity).toList();
    }

    /** Progress, pacing, checkpoints and repair of one run. */
    private final class Pacer implements TableRun.Hooks {
        private final String runId;
        private final CompletableFuture<Long> rowsTotalCount;
        private long rowsTotal = -1;
        private final long started = System.nanoTime();
        private long rowsBefore;
        private long rowsHere;
        private long differencesBefore;
        private long lastLog = System.nanoTime();

        Pacer(String runId, CompletableFuture<Long> rowsTotal, Map<String, Checkpoint> saved) {
            this.runId = runId;
            this.rowsTotalCount = rowsTotal;
            for (Checkpoint checkpoint : saved.values()) {
                rowsBefore += checkpoint.rowsCompared();
            }
        }

        void tableDone(TableReport table) {
            differencesBefore += table.differenceCount();
        }

        /** The source rows of every mapped table, counted when the run started; waits for the count. */
        private long rowsTotal() throws SQLException, InterruptedException {
            if (rowsTotal < 0) {
                try {
                    rowsTotal = rowsTotalCount.get();
                } catch (ExecutionException e) {
                    throw TableRun.failureOf(e, "Counting the source rows");
                }
            }
            return rowsTotal;
        }

        @Override
        public boolean stopRequested() {
            return stopRequested;
        }

        @Override
        public void save(Checkpoint checkpoint) {
            checkpoints.save(runId, checkpoint);
        }

        @Override
        public boolean repair(String entity, String key) {
            return repair != null && repair.test(entity, key);
        }

        @Override
        public void afterChunk(String entity, long rows, long differences) throws SQLException, InterruptedException {
            long rowsTotal = rowsTotal();
            rowsHere += rows;
            long now = System.nanoTime();
            double seconds = Math.max(1e-9, (now - started) / 1e9);
            double rate = rowsHere / seconds;
            long done = rowsBefore + rowsHere;
            Duration left = rate > 0 && rowsTotal > done ? Duration.ofMillis((long) ((rowsTotal - done) / rate * 1000)) : Duration.ZERO;
            Progress progress = new Progress(runId, entity, done, rowsTotal, rate, left, differencesBefore + differences);
            listener.onProgress(progress);
            if (now - lastLog >= config.progressLogInterval().toNanos()) {
                lastLog = now;
                LOG.info("Verifier run {}: {}, {} of {} rows ({}%), {} rows/s, about {} s left, {} differences", runId, entity,
                        done, rowsTotal, rowsTotal == 0 ? 100 : done * 100 / rowsTotal, (long) rate, left.toSeconds(),
                        progress.differences());
            }
            if (config.rowsPerSecond() > 0) {
                long dueNanos = (long) (rowsHere * 1e9 / config.rowsPerSecond());
                long aheadMillis = (dueNanos - (System.nanoTime() - started)) / 1_000_000;
                if (aheadMillis > 0) {
                    Thread.sleep(aheadMillis);
                }
            }
            if (!config.pauseBetweenChunks().isZero()) {
                Thread.sleep(config.pauseBetweenChunks().toMillis());
            }
        }
    }

    /** Builds a {@link Verifier}; not thread-safe. */
    public static final class Builder {
        private final DataSource source;
        private final DataSource target;
        private final Map<String, TableMapping> mappings = new LinkedHashMap<>();
        private VerifierConfig config = VerifierConfig.ofDefaults();
        private Predicate<NewRetryEntry> repair;
        private String repairMigration;
        private Side primary = Side.SOURCE;
        private ProgressListener listener = ProgressListener.none();
        private CheckpointStore checkpoints = CheckpointStore.inMemory();

        private Builder(DataSource source, DataSource target) {
            this.source = Objects.requireNonNull(source, "null source");
            this.target = Objects.requireNonNull(target, "null target");
        }

        /**
         * Adds a table to verify; tables are verified in the order added.
         *
         * @param mapping the table's mapping, as used by {@link dev.cutover.dualwrite.RowCopier}
         * @return this builder
         * @throws CutoverConfigurationException if an entity of that name is already added
         */
        public Builder mapping(TableMapping mapping) {
            Mappings.addOnce(mappings, mapping);
            return this;
        }

        /**
         * Sets chunking, pacing and judging.
         *
         * @param config the configuration; default {@link VerifierConfig#ofDefaults()}
         * @return this builder
         */
        public Builder config(VerifierConfig config) {
            this.config = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * Queues each reported key as a {@code RESYNC} entry of a migration
         * ({@link CopyReplayHandler#entry}; {@link NewRetryEntry#resync} while the source is
         * primary), so that the queue's drain copies the {@link #primary(Side) primary}'s row to
         * the other side.
         *
         * @param queue the migration's retry-queue
         * @param migration the migration's name, as its repositories use it
         * @return this builder
         */
        public Builder repairWith(RetryQueue queue, String migration) {
            Objects.requireNonNull(queue, "null queue");
            Names.checkMigrationName(migration);
            this.repair = entry -> {
                queue.enqueue(entry);
                return true;
            };
            this.repairMigration = migration;
            return this;
        }

        /**
         * Like {@link #repairWith(RetryQueue, String)}, writing straight into the queue's store (for
         * a verifier running where no queue is started; any instance's queue then drains it).
         *
         * @param store the retry-queue's store
         * @param migration the migration's name
         * @return this builder
         */
        public Builder repairWith(RetryStore store, String migration) {
            Objects.requireNonNull(store, "null store");
            Names.checkMigrationName(migration);
            this.repair = entry -> {
                store.enqueue(entry, Instant.now());
                return true;
            };
            this.repairMigration = migration;
            return this;
        }

        /**
         * Adds a listener that hears about progress after every chunk (a log line is also written
         * every {@link VerifierConfig#progressLogInterval()}); listeners are called in the order added.
         *
         * @param listener the listener, e.g. a {@link dev.cutover.verifier.micrometer.VerifierMetrics}; default none
         * @return this builder
         */
        public Builder progressListener(ProgressListener listener) {
            Objects.requireNonNull(listener, "null listener");
            ProgressListener before = this.listener;
            this.listener = progress -> {
                notify(before, progress);
                notify(listener, progress);
            };
            return this;
        }

        /**
         * Sets which side is the primary while the verifier runs: the source up to
         * {@code SHIFT_READS}, the target from {@code TARGET_PRIMARY} on. A re-check locks the
         * primary's row, as the dual-write copies do, and a repair copies the primary's row to the
         * other side. The report still names differences from the source's point of view
         * ({@code MISSING_ON_TARGET}, ...).
         *
         * @param side the primary; default {@link Side#SOURCE}
         * @return this builder
         */
        public Builder primary(Side side) {
            this.primary = Objects.requireNonNull(side, "null side");
            return this;
        }

        /**
         * Sets where checkpoints go, for {@link Verifier#resume(String)}.
         *
         * @param store the store; default {@link CheckpointStore#inMemory()}, which does not survive
         *     a restart: use {@link CheckpointStore#jdbc} for that
         * @return this builder
         */
        public Builder checkpoints(CheckpointStore store) {
            this.checkpoints = Objects.requireNonNull(store, "null store");
            return this;
        }

        /**
         * Builds the verifier; it touches neither database until used.
         *
         * @return the verifier
         * @throws CutoverConfigurationException if no mapping was added
         */
        public Verifier build() {
            if (mappings.isEmpty()) {
                throw new CutoverConfigurationException("A verifier needs at least one table: call mapping(TableMapping)");
            }
            return new Verifier(this);
        }

        private static void notify(ProgressListener listener, Progress progress) {
            try {
                listener.onProgress(progress);
            } catch (RuntimeException e) {
                LOG.warn("A progress listener of the verifier failed; the run goes on", e);
            }
        }
    }
}
