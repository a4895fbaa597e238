package dev.cutover.verifier.internal;

import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import dev.cutover.common.internal.ColumnValues;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.internal.ColumnGroup;
import dev.cutover.dualwrite.internal.Mappings;
import dev.cutover.flags.Side;
import dev.cutover.verifier.Checkpoint;
import dev.cutover.verifier.ComparisonMethod;
import dev.cutover.verifier.RowDifference;
import dev.cutover.verifier.TableReport;
import dev.cutover.verifier.VerifierConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies one mapped table: walks the source in key chunks, compares each chunk (by checksum
 * first, or row by row), re-checks the keys that differ, and records a checkpoint after every chunk.
 * The target side of each chunk is read on a second thread while the source side is read on the
 * caller's. Not thread-safe: one run per instance.
 */
public final class TableRun {
    private static final Logger LOG = LoggerFactory.getLogger(TableRun.class);
    /** Keys bound per {@code IN} list when rows are fetched by key. */
    private static final int KEYS_PER_LOOKUP = 500;

    /** What the run needs from the verifier around it. */
    public interface Hooks {
        /** @return whether the run should stop after the chunk in hand */
        boolean stopRequested();

        /**
         * Records a checkpoint.
         *
         * @param checkpoint where the table stands
         */
        void save(Checkpoint checkpoint);

        /**
         * Called after every chunk, once its checkpoint is saved: reports progress and paces the run.
         *
         * @param entity the table
         * @param rows source rows the chunk compared
         * @param differences differences found in the table so far
         * @throws SQLException if the count of the run's rows, which progress reports, failed
         * @throws InterruptedException if interrupted while pacing
         */
        void afterChunk(String entity, long rows, long differences) throws SQLException, InterruptedException;

        /**
         * Queues a confirmed difference for repair, if repair is on.
         *
         * @param entity the mapping's entity
         * @param key the routing key
         * @return whether it was queued
         */
        boolean repair(String entity, String key);
    }

    /**
     * How a table is compared: its mapping, the method and the statements of each side.
     *
     * @param mapping the mapping
     * @param method the comparison method
     * @param source the source's statements
     * @param target the target's statements
     */
    public record Plan(TableMapping mapping, ComparisonMethod method, SideSql source, SideSql target) {
    }

    private record Suspect(List<Object> sourceKey, RowDifference.Kind kind, List<String> columns, String reason) {
        Suspect(List<Object> sourceKey, RowDifference.Kind kind, List<String> columns) {
            this(sourceKey, kind, columns, "");
        }
    }

    private record ChunkResult(long rows, List<Suspect> suspects) {
    }

    private record Checksum(long count, String hash) {
    }

    private final Plan plan;
    private final TableMapping mapping;
    private final DataSource source;
    private final DataSource target;
    private final VerifierConfig config;
    private final Values values;
    private final Executor targetReader;
    private final Hooks hooks;
    private final Side primary;
    private final int timeoutSeconds;
    private final List<String> targetColumns;
    /** Whether rows and keys are copied unchanged, so that comparing needs no conversion ({@link Mappings#isIdentity}). */
    private final boolean identity;

    private boolean targetWalk;
    private List<Object> lastKey;
    private boolean finished;
    private long rows;
    private long chunks;
    private long chunksByRow;
    private long transients;
    private long repairs;
    private final List<RowDifference> differences = new ArrayList<>();
    private long unlisted;
    /** Whether a row comparison read {@link #nextEnd} while the target's rows were still being read. */
    private boolean nextEndRead;
    /** The end of the chunk after the one in hand (null: it is the last), when {@link #nextEndRead}. */
    private List<Object> nextEnd;

    /**
     * Prepares the run of one table.
     *
     * @param plan how to compare it
     * @param source the source database
     * @param target the target database
     * @param config pacing and judging
     * @param targetReader runs the target's reads beside the source's
     * @param hooks the verifier around it
     * @param primary the side whose row a re-check locks, as the dual-write copies do
     * @param resumeFrom the table's last checkpoint, or null to start at its first key
     */
    public TableRun(Plan plan, DataSource source, DataSource target, VerifierConfig config, Executor targetReader,
            Hooks hooks, Side primary, Checkpoint resumeFrom) {
        this.plan = plan;
        this.mapping = plan.mapping();
        this.source = source;
        this.target = target;
        this.config = config;
        this.values = new Values(config.timestampPrecision());
        this.targetReader = targetReader;
        this.hooks = hooks;
        this.primary = primary;
        this.timeoutSeconds = (int) Math.max(1, (config.statementTimeout().toMillis() + 999) / 1000);
        this.targetColumns = mapping.columnNames(Side.TARGET);
        this.identity = Mappings.isIdentity(mapping);
        if (resumeFrom != null) {
            targetWalk = resumeFrom.targetWalk();
            lastKey = KeyCodec.decode(resumeFrom.lastKey());
            finished = resumeFrom.finished();
            rows = resumeFrom.rowsCompared();
            chunks = resumeFrom.chunks();
            chunksByRow = resumeFrom.chunksComparedByRow();
            transients = resumeFrom.transientDifferences();
            repairs = resumeFrom.repairsQueued();
            differences.addAll(resumeFrom.differences());
            unlisted = resumeFrom.unlistedDifferences();
        }
    }

    /**
     * Runs the table to its end, or until a stop is requested between chunks.
     *
     * @return the table's report, {@link TableReport#finished()} false if stopped
     * @throws SQLException if a database fails; the finished chunks stay checkpointed
     * @throws InterruptedException if interrupted while waiting to re-check or pacing
     */
    public TableReport run() throws SQLException, InterruptedException {
        long started = System.nanoTime();
        if (!finished && !targetWalk) {
            walkSource();
        }
        if (!finished && targetWalk) {
            walkTarget();
        }
        return new TableReport(mapping.entity(), mapping.sourceTable(), mapping.targetTable(), plan.method(), finished,
                rows, chunks, chunksByRow, transients, repairs, differences, unlisted, Duration.ofNanos(System.nanoTime() - started));
    }

    private void walkSource() throws SQLException, InterruptedException {
        List<Object> lower = lastKey;
        List<Object> upper = chunkEnd(lower);
        while (!hooks.stopRequested()) {
            nextEndRead = false;
            ChunkResult result = plan.method() == ComparisonMethod.DATABASE_CHECKSUM
                    ? checksumChunk(lower, upper)
                    : rowChunk(lower, upper);
            confirm(result.suspects());
            rows += result.rows();
            chunks++;
            if (upper != null) {
                lastKey = upper;
            } else if (plan.method() == ComparisonMethod.KEY_LOOKUP_STREAM) {
                targetWalk = true;
                lastKey = null;
            } else {
                finished = true;
                lastKey = null;
            }
            hooks.save(checkpoint());
            hooks.afterChunk(mapping.entity(), result.rows(), differences.size() + unlisted);
            if (upper == null) {
                return;
            }
            lower = upper;
            upper = nextEndRead ? nextEnd : chunkEnd(lower);
        }
    }

    /** Finds the target's rows that the source lacks, when the key order cannot be trusted to agree. */
    private void walkTarget() throws SQLException, InterruptedException {
        List<Object> lower = lastKey;
        while (!hooks.stopRequested()) {
            List<List<Object>> keys = query(target, plan.target().keysAfter(lower != null, config.chunkSize()),
                    bounds(lower, null), plan.target().keyWidth());
            List<List<Object>> sourceKeys = new ArrayList<>(keys.size());
            for (List<Object> key : keys) {
                sourceKeys.add(Mappings.convertKey(mapping, Side.TARGET, key));
            }
            Set<List<Object>> present = new HashSet<>();
            for (List<Object> row : byKeys(source, plan.source(), sourceKeys, true)) {
                present.add(Values.normalizeAll(row));
            }
            List<Suspect> suspects = new ArrayList<>();
            for (List<Object> sourceKey : sourceKeys) {
                if (!present.contains(Values.normalizeAll(sourceKey))) {
                    suspects.add(new Suspect(sourceKey, RowDifference.Kind.EXTRA_ON_TARGET, List.of()));
                }
            }
            confirm(suspects);
            chunks++;
            boolean last = keys.size() < config.chunkSize();
            lastKey = last ? null : keys.get(keys.size() - 1);
            finished = last;
            hooks.save(checkpoint());
            hooks.afterChunk(mapping.entity(), 0, differences.size() + unlisted);
            if (last) {
                return;
            }
            lower = lastKey;
        }
    }

    private List<Object> chunkEnd(List<Object> lower) throws SQLException {
        List<List<Object>> end = query(source, plan.source().chunkEnd(lower != null, config.chunkSize()),
                bounds(lower, null), plan.source().keyWidth());
        return end.isEmpty() ? null : end.get(0);
    }

    private ChunkResult checksumChunk(List<Object> lower, List<Object> upper) throws SQLException {
        CompletableFuture<Checksum> targetSum = onTarget(() -> checksum(target, plan.target(), toTarget(lower), toTarget(upper)));
        Checksum sourceSum = checksum(source, plan.source(), lower, upper);
        readNextEnd(upper);
        if (sourceSum.equals(join(targetSum))) {
            return new ChunkResult(sourceSum.count(), List.of());
        }
        chunksByRow++;
        return rangeCompare(lower, upper);
    }

    /** Reads the next chunk's end (a round trip and an index scan) while the target is still at work on this one. */
    private void readNextEnd(List<Object> upper) throws SQLException {
        if (upper != null && !nextEndRead) {
            nextEnd = chunkEnd(upper);
            nextEndRead = true;
        }
    }

    private ChunkResult rowChunk(List<Object> lower, List<Object> upper) throws SQLException {
        chunksByRow++;
        return plan.method() == ComparisonMethod.KEY_RANGE_STREAM ? rangeCompare(lower, upper) : lookupCompare(lower, upper);
    }

    private ChunkResult rangeCompare(List<Object> lower, List<Object> upper) throws SQLException {
        List<Object> targetLower = toTarget(lower);
        List<Object> targetUpper = toTarget(upper);
        CompletableFuture<List<List<Object>>> targetRows = onTarget(() -> query(target,
                plan.target().rows(targetLower != null, targetUpper != null), bounds(targetLower, targetUpper),
                plan.target().width()));
        List<List<Object>> sourceRows = query(source, plan.source().rows(lower != null, upper != null), bounds(lower, upper),
                plan.source().width());
        readNextEnd(upper);
        List<List<Object>> targetList = join(targetRows);
        // Both sides are read in key order, which mostly agrees: rows are paired in step while their keys
        // are equal, and only what follows the first disagreement (a missing or extra row, another
        // collation's order) is matched by key through a map.
        List<Suspect> suspects = new ArrayList<>();
        int paired = 0;
        int limit = Math.min(sourceRows.size(), targetList.size());
        for (; paired < limit; paired++) {
            List<Object> sourceRow = sourceRows.get(paired);
            List<Object> targetRow = targetList.get(paired);
            List<Object> sourceKey = sourceRow.subList(0, plan.source().keyWidth());
            if (!Objects.equals(normalKey(targetSideKey(sourceKey)), normalKey(targetRow.subList(0, plan.target().keyWidth())))) {
                break;
            }
            Suspect suspect = judge(sourceKey, sourceRow, targetRow);
            if (suspect != null) {
                suspects.add(suspect);
            }
        }
        Map<Object, List<Object>> byKey = byKey(targetList.subList(paired, targetList.size()));
        suspects.addAll(compare(sourceRows.subList(paired, sourceRows.size()), byKey));
        for (List<Object> extra : byKey.values()) {
            suspects.add(new Suspect(Mappings.convertKey(mapping, Side.TARGET, extra.subList(0, plan.target().keyWidth())),
                    RowDifference.Kind.EXTRA_ON_TARGET, List.of()));
        }
        return new ChunkResult(sourceRows.size(), suspects);
    }

    private ChunkResult lookupCompare(List<Object> lower, List<Object> upper) throws SQLException {
        List<List<Object>> sourceRows = query(source, plan.source().rows(lower != null, upper != null), bounds(lower, upper),
                plan.source().width());
        List<List<Object>> targetKeys = new ArrayList<>(sourceRows.size());
        List<List<Object>> translated = new ArrayList<>(sourceRows.size());
        List<Suspect> suspects = new ArrayList<>();
        for (List<Object> row : sourceRows) {
            List<Object> sourceKey = row.subList(0, plan.source().keyWidth());
            List<Object> targetKey = targetKey(sourceKey);
            if (targetKey == null) {
                suspects.add(unconvertibleKey(sourceKey));
            } else {
                targetKeys.add(targetKey);
                translated.add(row);
            }
        }
        suspects.addAll(compare(translated, byKey(byKeys(target, plan.target(), targetKeys, false))));
        return new ChunkResult(sourceRows.size(), suspects);
    }

    /**
     * The target's key of a source key, or null when the mapping's key translation rejects it
     * (a {@link dev.cutover.dualwrite.KeyTranslation} function that throws for this value). A
     * translation that fails on I/O ({@link CutoverException}) fails the run, which can be resumed.
     */
    private List<Object> targetKey(List<Object> sourceKey) {
        try {
            return Mappings.convertKey(mapping, Side.SOURCE, sourceKey);
        } catch (CutoverException e) {
            throw e;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Suspect unconvertibleKey(List<Object> sourceKey) {
        List<String> keys = mapping.keyColumnNames(Side.SOURCE);
        return new Suspect(sourceKey, RowDifference.Kind.UNCONVERTIBLE, keys, "the mapping's translation of the key "
                + mapping.sourceTable() + "." + String.join(", ", keys) + " to the target failed: fix the key translation");
    }

    private Map<Object, List<Object>> byKey(List<List<Object>> targetRows) {
        Map<Object, List<Object>> byKey = new LinkedHashMap<>(targetRows.size() * 4 / 3 + 1);
        for (List<Object> row : targetRows) {
            byKey.put(normalKey(row.subList(0, plan.target().keyWidth())), row);
        }
        return byKey;
    }

    /** The target's key of a source key; no copy when the mapping converts nothing. */
    private List<Object> targetSideKey(List<Object> sourceKey) {
        return identity ? sourceKey : Mappings.convertKey(mapping, Side.SOURCE, sourceKey);
    }

    /**
     * A key in the form that equal keys of both sides share: the normal form of its only value, or the
     * list of its values' normal forms. A one-column key, the common case, needs no list per row.
     */
    private static Object normalKey(List<Object> key) {
        return key.size() == 1 ? Values.normalize(key.get(0)) : Values.normalizeAll(key);
    }

    /** Compares source rows with the target rows of the same keys, removing those from the map. */
    private List<Suspect> compare(List<List<Object>> sourceRows, Map<Object, List<Object>> targetByKey) {
        List<Suspect> suspects = new ArrayList<>();
        for (List<Object> row : sourceRows) {
            List<Object> sourceKey = row.subList(0, plan.source().keyWidth());
            List<Object> actual = targetByKey.remove(normalKey(targetSideKey(sourceKey)));
            Suspect suspect = judge(sourceKey, row, actual);
            if (suspect != null) {
                suspects.add(suspect);
            }
        }
        return suspects;
    }

    private Suspect judge(List<Object> sourceKey, List<Object> sourceRow, List<Object> targetRow) {
        if (sourceRow == null && targetRow == null) {
            return null;
        }
        if (sourceRow == null) {
            return new Suspect(sourceKey, RowDifference.Kind.EXTRA_ON_TARGET, List.of());
        }
        if (targetRow == null) {
            return new Suspect(sourceKey, RowDifference.Kind.MISSING_ON_TARGET, List.of());
        }
        List<Object> expected;
        try {
            expected = identity ? sourceRow : Mappings.convertRow(mapping, Side.SOURCE, sourceRow);
        } catch (CutoverException e) {
            throw e;
        } catch (RuntimeException e) {
            return unconvertible(sourceKey, sourceRow);
        }
        int first = 0;
        while (first < expected.size() && values.same(expected.get(first), targetRow.get(first))) {
            first++;
        }
        if (first == expected.size()) {
            return null;
        }
        List<String> differing = new ArrayList<>();
        StringBuilder shown = new StringBuilder();
        for (int i = first; i < expected.size(); i++) {
            if (!values.same(expected.get(i), targetRow.get(i))) {
                differing.add(targetColumns.get(i));
                if (config.revealValues()) {
                    shown.append(shown.length() == 0 ? "" : "; ").append(targetColumns.get(i)).append(": source ")
                            .append(expected.get(i)).append(", target ").append(targetRow.get(i));
                }
            }
        }
        return new Suspect(sourceKey, RowDifference.Kind.DIFFERENT_VALUES, differing, shown.toString());
    }

    /**
     * A source row the mapping cannot convert (a code missing from a code map, a value a split
     * function rejects): a difference of its own, so that one such row neither stops the run nor
     * hides the others. The group whose conversion fails is found by converting group by group;
     * the reason names its columns and the exception's type, never the values (they may be personal
     * data, and the conversion's message often quotes them).
     */
    private Suspect unconvertible(List<Object> sourceKey, List<Object> sourceRow) {
        int offset = 0;
        for (ColumnGroup group : Mappings.groups(mapping)) {
            List<String> columns = group.columns(Side.SOURCE);
            List<Object> values = sourceRow.subList(offset, offset + columns.size());
            offset += columns.size();
            String problem;
            try {
                List<Object> converted = group.toTarget().apply(Collections.unmodifiableList(values));
                if (converted != null && converted.size() == group.columns(Side.TARGET).size()) {
                    continue;
                }
                problem = "returned " + (converted == null ? "null" : converted.size() + " value(s)") + " for "
                        + group.columns(Side.TARGET).size() + " target column(s)";
            } catch (CutoverException e) {
                throw e;
            } catch (RuntimeException e) {
                // The conversion's message often quotes the value: only shown when values are revealed.
                problem = "threw " + e.getClass().getSimpleName() + (config.revealValues() ? " (" + e.getMessage() + ")" : "");
            }
            String reason = "the mapping's conversion of " + mapping.sourceTable() + "." + String.join(", ", columns)
                    + " to the target " + problem + ": add the value to its code map, fix the conversion, or fix the row";
            return new Suspect(sourceKey, RowDifference.Kind.UNCONVERTIBLE, columns, reason);
        }
        String reason = "the mapping's conversion of the row of " + mapping.sourceTable() + " to the target failed";
        return new Suspect(sourceKey, RowDifference.Kind.UNCONVERTIBLE, List.of(), reason);
    }

    /**
     * Re-checks suspects after the delay, each under its source row lock, and records those that
     * differ at every look; the others were writes in flight.
     */
    private void confirm(List<Suspect> suspects) throws SQLException, InterruptedException {
        if (suspects.isEmpty()) {
            return;
        }
        List<Suspect> remaining = suspects;
        for (int attempt = 0; attempt < config.recheckAttempts() && !remaining.isEmpty(); attempt++) {
            Thread.sleep(config.recheckDelay().toMillis());
            remaining = recheck(remaining);
        }
        transients += suspects.size() - remaining.size();
        for (Suspect suspect : remaining) {
            String key = mapping.key(suspect.sourceKey().toArray());
            if (suspect.kind() == RowDifference.Kind.UNCONVERTIBLE) {
                LOG.warn("Verifier: row {} of {} ({}) cannot be converted through the mapping, reported as UNCONVERTIBLE: {}",
                        key, mapping.entity(), mapping.sourceTable(), suspect.reason());
            }
            if (differences.size() < config.maxListedDifferences()) {
                differences.add(new RowDifference(key, suspect.kind(), suspect.columns(), suspect.reason()));
            } else {
                unlisted++;
            }
            // A copy converts through the same mapping, so queuing an unconvertible row would only park it.
            if (suspect.kind() != RowDifference.Kind.UNCONVERTIBLE && hooks.repair(mapping.entity(), key)) {
                repairs++;
            }
        }
    }

    /**
     * Reads each key's row on the primary with {@code FOR UPDATE} and, while that lock is held, its
     * row on the other side: a dual-write copy of the key cannot be half done then, because copies
     * take the same lock.
     */
    private List<Suspect> recheck(List<Suspect> suspects) throws SQLException {
        List<Suspect> still = new ArrayList<>();
        boolean sourceLocked = primary == Side.SOURCE;
        String readSource = plan.source().byKey(sourceLocked);
        String readTarget = plan.target().byKey(!sourceLocked);
        try (Connection sourceConnection = connect(source); Connection targetConnection = connect(target)) {
            Connection locking = sourceLocked ? sourceConnection : targetConnection;
            boolean autoCommit = locking.getAutoCommit();
            locking.setAutoCommit(false);
            try {
                for (Suspect suspect : suspects) {
                    List<Object> targetKey = targetKey(suspect.sourceKey());
                    if (targetKey == null) {
                        still.add(unconvertibleKey(suspect.sourceKey()));
                        continue;
                    }
                    List<Object> sourceRow = null;
                    if (sourceLocked) {
                        sourceRow = exactly(suspect.sourceKey(),
                                query(sourceConnection, plan.source().dialect(), readSource, suspect.sourceKey(),
                                        plan.source().width()));
                    }
                    List<Object> targetRow = exactly(targetKey,
                            query(targetConnection, plan.target().dialect(), readTarget, targetKey, plan.target().width()));
                    if (!sourceLocked) {
                        sourceRow = exactly(suspect.sourceKey(),
                                query(sourceConnection, plan.source().dialect(), readSource, suspect.sourceKey(),
                                        plan.source().width()));
                    }
                    locking.commit();
                    Suspect again = judge(suspect.sourceKey(), sourceRow, targetRow);
                    if (again != null) {
                        still.add(again);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                try {
                    locking.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            } finally {
                locking.setAutoCommit(autoCommit);
            }
        }
        return still;
    }

    /**
     * The row whose key is exactly the one asked for: a case-insensitive collation (MariaDB's
     * default) answers {@code 'b-1'} with the row {@code 'B-1'}, which is another key to the other side.
     */
    private static List<Object> exactly(List<Object> key, List<List<Object>> rows) {
        List<Object> wanted = Values.normalizeAll(key);
        for (List<Object> row : rows) {
            if (Values.normalizeAll(row.subList(0, key.size())).equals(wanted)) {
                return row;
            }
        }
        return null;
    }

    private Checksum checksum(DataSource dataSource, SideSql sql, List<Object> lower, List<Object> upper) throws SQLException {
        try (Connection connection = connect(dataSource);
                PreparedStatement statement = connection.prepareStatement(sql.checksum(lower != null, upper != null))) {
            statement.setQueryTimeout(timeoutSeconds);
            bind(statement, bounds(lower, upper));
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return new Checksum(rs.getLong(1), rs.getString(2));
            }
        }
    }

    private List<List<Object>> byKeys(DataSource dataSource, SideSql sql, List<List<Object>> keys, boolean keysOnly)
            throws SQLException {
        List<List<Object>> rows = new ArrayList<>(keys.size());
        if (keys.isEmpty()) {
            return rows;
        }
        try (Connection connection = connect(dataSource)) {
            for (int from = 0; from < keys.size(); from += KEYS_PER_LOOKUP) {
                List<List<Object>> batch = keys.subList(from, Math.min(keys.size(), from + KEYS_PER_LOOKUP));
                List<Object> params = new ArrayList<>(batch.size() * sql.keyWidth());
                batch.forEach(params::addAll);
                rows.addAll(query(connection, sql.dialect(), sql.byKeys(batch.size(), keysOnly), params,
                        keysOnly ? sql.keyWidth() : sql.width()));
            }
        }
        return rows;
    }

    private List<List<Object>> query(DataSource dataSource, String sql, List<Object> params, int width) throws SQLException {
        try (Connection connection = connect(dataSource)) {
            return query(connection, dataSource == source ? plan.source().dialect() : plan.target().dialect(), sql, params,
                    width);
        }
    }

    /**
     * Runs a query and reads its rows. Dates, times and timestamps are read as {@code java.time}
     * values holding the stored fields ({@link ColumnValues}), the way the copies read them: through
     * {@code java.sql.Timestamp} both sides' wall times in the JVM zone's daylight-saving gap would
     * read as the next hour, and a target row one hour off would compare equal.
     */
    private List<List<Object>> query(Connection connection, Dialect dialect, String sql, List<Object> params, int width)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(timeoutSeconds);
            bind(statement, params);
            try (ResultSet rs = statement.executeQuery()) {
                List<List<Object>> rows = new ArrayList<>();
                ColumnValues reader = null;
                while (rs.next()) {
                    if (reader == null) {
                        reader = ColumnValues.of(rs.getMetaData(), width, dialect);
                    }
                    rows.add(reader.row(rs));
                }
                return rows;
            }
        }
    }

    /**
     * Borrows a connection whose reads give up a little after the statement timeout, so that a
     * silently stalled network cannot hang the run where a query timeout cannot reach.
     */
    private Connection connect(DataSource dataSource) throws SQLException {
        return NetworkTimeouts.connect(dataSource, timeoutSeconds * 1000 + 2000);
    }

    private static void bind(PreparedStatement statement, List<Object> params) throws SQLException {
        ColumnValues.bind(statement, params);
    }

    private static List<Object> bounds(List<Object> lower, List<Object> upper) {
        List<Object> params = new ArrayList<>();
        if (lower != null) {
            params.addAll(lower);
        }
        if (upper != null) {
            params.addAll(upper);
        }
        return params;
    }

    private List<Object> toTarget(List<Object> sourceKey) {
        return sourceKey == null ? null : Mappings.convertKey(mapping, Side.SOURCE, sourceKey);
    }

    private Checkpoint checkpoint() {
        return new Checkpoint(mapping.entity(), targetWalk, KeyCodec.encode(lastKey), finished, rows, chunks, chunksByRow,
                transients, repairs, differences, unlisted);
    }

    /** A read of the target, run beside the source's. */
    @FunctionalInterface
    private interface TargetRead<T> {
        T read() throws SQLException;
    }

    private <T> CompletableFuture<T> onTarget(TargetRead<T> read) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return read.read();
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, targetReader);
    }

    private static <T> T join(CompletableFuture<T> future) throws SQLException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while reading the target", e);
        } catch (ExecutionException e) {
            throw failureOf(e, "Reading the target");
        }
    }

    /**
     * What a database task run on another thread failed with, as it threw it: its SQLException to
     * throw, its RuntimeException thrown here, anything else wrapped.
     *
     * @param e the future's failure
     * @param what the task, for the message, e.g. "Reading the target"
     * @return the SQLException to throw
     */
    public static SQLException failureOf(ExecutionException e, String what) {
        Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                ? e.getCause().getCause() : e.getCause();
        if (cause instanceof SQLException sql) {
            return sql;
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        return new SQLException(what + " failed: " + cause, cause);
    }

    @Override
    public String toString() {
        return "TableRun{" + mapping.entity() + ", " + plan.method() + "}";
    }
}
