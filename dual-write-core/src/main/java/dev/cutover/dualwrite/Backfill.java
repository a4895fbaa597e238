package dev.cutover.dualwrite;

import dev.cutover.common.Beta;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import dev.cutover.common.internal.ColumnValues;
import dev.cutover.common.internal.Names;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.BackfillCheckpoints.Checkpoint;
import dev.cutover.dualwrite.BackfillProgress.Phase;
import dev.cutover.dualwrite.internal.ChunkSql;
import dev.cutover.dualwrite.internal.KeyText;
import dev.cutover.dualwrite.internal.LatencyHistogram;
import dev.cutover.dualwrite.internal.RowSql;
import dev.cutover.flags.FlagChange;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.WritePermit;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the rows a migration's tables held before dual writes began (the history) from the source
 * to the target, in chunks, while the application keeps writing through the wrappers. Get one from
 * the runtime ({@code migration.backfill().build()}) or from {@link #builder}.
 *
 * <p><b>A chunk</b> takes the next rows in key order (keyset pagination on the source key,
 * composite keys included) and, in one short transaction on each side:
 * <ol>
 *   <li>reads and locks them on the source ({@code SELECT ... ORDER BY key LIMIT n FOR UPDATE}, in
 *       {@code READ COMMITTED});</li>
 *   <li>converts them through the {@link TableMapping} (id maps included) and writes them to the
 *       target with one multi-row upsert (on PostgreSQL after the copies' locks, see below);</li>
 *   <li>deletes the target rows in the chunk's key range that the source does not have, then reads
 *       those keys on the source again: if one appeared meanwhile, both transactions are rolled back
 *       and the chunk is tried again;</li>
 *   <li>commits the target (only inside the copy window of the flags' write permit, like every copy
 *       from the primary), then ends the source transaction, which releases the locks.</li>
 * </ol>
 * This is {@link RowCopier}'s protocol for many keys at once, so it is ordered against the
 * application's dual writes exactly as their copies are among themselves: a copy locks its source row
 * and writes the target under that lock, so it either lands before the chunk read the row (and the
 * chunk carries the same row or a newer one) or waits for the chunk's lock and lands after it with
 * the latest row. A chunk never writes a row older than one already copied, and never writes a row
 * the source has deleted (it holds the lock of every row it writes, and rows deleted before its read
 * are not read). A target row deleted by the chunk holds its target lock until the commit, so a copy
 * of a row re-inserted meanwhile lands after the delete; a re-insert committed before the re-check is
 * seen by it.
 *
 * <p>On a PostgreSQL target the chunk's upsert first takes, in its round trip, the transaction-scoped
 * advisory locks every copy takes there: the table's shared, then each of its keys' exclusive, in the
 * copies' order. A chunk whose client gave up while its commit was on the wire (a reset, or a stall
 * past its timeout) has ended its source locks but may still commit on the server later; until it
 * has ended there, later copies of its keys wait for it and then see its rows (a {@code DELETE} would
 * otherwise pass over its uncommitted inserts, and the late commit bring back a row deleted
 * meanwhile), and so does the handover of a primary move. So that those locks fit the server's lock
 * table, a chunk into PostgreSQL takes at most 1,000 rows. MariaDB and MySQL need no such lock: their
 * deletes and updates wait for an uncommitted insert.
 *
 * <p>Range deletes need both sides to order keys alike: for keys copied unchanged whose values are
 * integers ({@code Long} or {@code Integer} key columns) each chunk deletes in its own range. For
 * other keys (text, whose collation may differ between the databases, UUIDs, translated keys such as
 * an id map) the chunks only upsert, and once the source is walked, the backfill walks the target's
 * keys ({@link Phase#CLEANING_TARGET}) and deletes, with the same re-check, those whose source key no
 * longer exists.
 *
 * <p><b>Stages.</b> A backfill runs only while the source is the primary and both sides are written
 * ({@code DUAL_WRITE}, {@code SHIFT_READS}); it refuses to start otherwise, and stops with a
 * {@link BackfillException} if the stage moves while it runs (the chunk in flight is rolled back).
 *
 * <p><b>Pacing</b> ({@link BackfillConfig}): the chunk size adapts to keep each chunk near the chunk
 * time (0.5 s by default), a rows-per-second limit caps the average, and the backfill waits between
 * chunks while the migration's dual-write copies are slower than their baseline without it, so that
 * the application keeps its write latency (an application that does not write gets full speed).
 * {@link #pause()} and {@link #resume()} hold it between chunks, without holding a lock;
 * {@link #stop()} ends it after the current chunk.
 *
 * <p><b>Resuming.</b> After every chunk the entity's checkpoint (its last key and counts) is saved in
 * the {@link BackfillCheckpoints}; a new {@link #run()} of the same migration resumes after the last
 * committed chunk, after a {@link #stop()}, a failure or a crash. A run after a finished backfill
 * starts over, and so does one after the migration was in a stage that writes one side only (a walk
 * back to SOURCE_ONLY, as the flags' audit shows since the last chunk), since rows behind the
 * checkpoint may have changed unmirrored then. Run one backfill per migration at a time.
 *
 * <p><b>Progress</b>: {@link #progress()}, listeners (e.g. the Micrometer binder
 * {@link dev.cutover.dualwrite.micrometer.BackfillMetrics}), and an INFO line at most every
 * {@link BackfillConfig#progressLogInterval()} with rows done, rows per second and the time left. No
 * row value is logged.
 *
 * <p>Thread-safe: {@link #pause()}, {@link #resume()}, {@link #stop()} and {@link #progress()} may be
 * called from any thread while {@link #run()} runs on one.
 */
@Beta
public final class Backfill {
    private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);
    /** The most values one statement binds: PostgreSQL's driver allows 32,767. */
    static final int MAX_BIND_VALUES = 30_000;
    /**
     * The most rows of a chunk into a PostgreSQL target: each row's key takes an advisory lock, and
     * those locks share the server's lock table with every session's ({@code max_locks_per_transaction}
     * times the connections, about 7,800 entries by default); one transaction of 20,000 such locks
     * failed with "out of shared memory" on a default PostgreSQL 15.
     */
    static final int MAX_KEY_LOCKS = 1_000;
    /** Keys per delete or look-up statement. */
    private static final int KEY_BATCH = 500;
    /** The most flips a resume reads from the audit to prove its checkpoints still hold; more, and it starts over. */
    private static final int MAX_AUDITED_FLIPS = 10_000;
    /** How long a chunk waits for a handover of the primary before it fails like any other attempt. */
    private static final Duration MAX_HANDOVER_WAIT = Duration.ofMinutes(2);
    /** The weight of the newest chunk in the rows-per-second average that sizes chunks. */
    private static final double RATE_WEIGHT = 0.25;

    private final RowCopier resync;
    private final MigrationFlags flags;
    private final String migration;
    private final List<String> entities;
    private final BackfillConfig config;
    private final BackfillCheckpoints checkpoints;
    private final DualWriteCounters stats;
    private final List<BackfillListener> listeners;

    private final Object signal = new Object();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean paused;
    private volatile boolean stopRequested;
    private volatile BackfillProgress progress;

    // State of the current run, touched by its thread only (published through `progress`).
    private long rowsDone;
    private long rowsTotal;
    private long rowsDeleted;
    private long chunks;
    private long chunkRetries;
    private long backOffs;
    private int chunkSize;
    private double sizingRate;
    private long runStart;
    private long pausedNanos;
    private long rowsAtStart;
    private long throttleUntil;
    private long backOffUntil;
    private long backOffNanos;
    private LatencyBackOff backOff;
    private long copiesAtBaseline;
    private long lastLog;
    private long lastFailureLog;
    private long lastBackOffLog;
    private long copiesSeen;
    private long writeNanosSeen;
    /** The flags' version read before the newest chunk's permit, saved with its checkpoint. */
    private long chunkFlagsVersion;
    private LatencyHistogram.Counts timesSeen = LatencyHistogram.Counts.EMPTY;
    private String entity = "";
    private Phase phase = Phase.NOT_STARTED;
    /** Whether chunks take a lock per key (a PostgreSQL target), which caps their rows; set by the first chunk. */
    private boolean keyLocks;

    private Backfill(Builder b) {
        this.resync = b.resync;
        this.flags = b.flags;
        this.migration = b.migration;
        this.entities = b.entities == null ? List.copyOf(resync.entities()) : b.entities;
        this.config = b.config;
        this.checkpoints = b.checkpoints;
        this.stats = b.stats;
        this.listeners = List.copyOf(b.listeners);
        this.chunkSize = config.initialChunkSize();
        this.progress = snapshot();
    }

    /**
     * Starts building a backfill of a migration's tables.
     *
     * @param resync the migration's row copier: its mappings, data sources and dialects
     * @param flags the application's flags, for the stage and the copy window of each chunk
     * @param migration the migration's name
     * @return the builder
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public static Builder builder(RowCopier resync, MigrationFlags flags, String migration) {
        return new Builder(resync, flags, migration);
    }

    /**
     * Runs the backfill on the calling thread until every entity is copied or {@link #stop()} is
     * called, resuming from the checkpoints of an unfinished earlier run.
     *
     * @return the progress at the end: {@link Phase#FINISHED} or {@link Phase#STOPPED}
     * @throws BackfillException if the migration is not in {@code DUAL_WRITE} or {@code SHIFT_READS}
     *     (at the start, or at a chunk), a chunk failed {@link BackfillConfig#maxChunkAttempts()} times,
     *     or the checkpoints cannot be read or saved; the checkpoint stays at the last committed chunk
     * @throws IllegalStateException if this backfill is already running
     */
    public BackfillProgress run() {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("The backfill of " + migration + " is already running");
        }
        return runClaimed();
    }

    /**
     * Runs the backfill on a daemon thread of its own; see {@link #run()}.
     *
     * @return completes with the progress at the end, or with the {@link BackfillException}
     * @throws IllegalStateException if this backfill is already running
     */
    public CompletableFuture<BackfillProgress> start() {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("The backfill of " + migration + " is already running");
        }
        CompletableFuture<BackfillProgress> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                done.complete(runClaimed());
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "cutover-backfill-" + migration);
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    /** Holds the backfill before its next chunk, without holding any lock, until {@link #resume()}. */
    public void pause() {
        paused = true;
    }

    /** Lets a paused backfill go on. */
    public void resume() {
        synchronized (signal) {
            paused = false;
            signal.notifyAll();
        }
    }

    /** @return whether {@link #pause()} holds the backfill */
    public boolean isPaused() {
        return paused;
    }

    /** Ends the run after the chunk in flight, its checkpoint saved; {@link #run()} then returns {@link Phase#STOPPED}. */
    public void stop() {
        synchronized (signal) {
            stopRequested = true;
            signal.notifyAll();
        }
    }

    /** @return where the backfill stands; no I/O */
    public BackfillProgress progress() {
        return progress;
    }

    /** @return the pacing */
    public BackfillConfig config() {
        return config;
    }

    private BackfillProgress runClaimed() {
        try {
            stopRequested = false;
            return runAll();
        } catch (BackfillException e) {
            phase = Phase.FAILED;
            publish();
            LOG.warn("Backfill of {} stopped at entity {} after {} rows: {}", migration, entity, rowsDone, e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            phase = Phase.FAILED;
            publish();
            throw new BackfillException("Backfill of " + migration + " failed: " + Redaction.describe(e, resync.logValues()), e);
        } finally {
            running.set(false);
        }
    }

    private BackfillProgress runAll() {
        Stage stage = flags.state(migration).stage();
        if (!copiesFromSource(stage)) {
            throw refusal(stage);
        }
        Map<String, Checkpoint> saved = checkpoints.load(migration);
        boolean finishedBefore = !saved.isEmpty() && entities.stream()
                .allMatch(e -> saved.containsKey(e) && saved.get(e).finished());
        String stale = finishedBefore || saved.isEmpty() ? null : staleCheckpoints(saved);
        Map<String, Checkpoint> resumeFrom = finishedBefore || stale != null ? Map.of() : saved;
        rowsDone = 0;
        rowsDeleted = 0;
        chunks = 0;
        chunkRetries = 0;
        backOffs = 0;
        chunkSize = config.initialChunkSize();
        sizingRate = 0;
        rowsTotal = 0;
        for (String e : entities) {
            rowsTotal += count(resync.mapping(e));
            Checkpoint checkpoint = resumeFrom.get(e);
            if (checkpoint != null) {
                rowsDone += checkpoint.rowsCopied();
                rowsDeleted += checkpoint.rowsDeleted();
                chunks += checkpoint.chunks();
            }
        }
        runStart = System.nanoTime();
        pausedNanos = 0;
        rowsAtStart = rowsDone;
        throttleUntil = runStart;
        backOffUntil = runStart;
        backOffNanos = 0;
        backOff = stats == null || (config.backOffLatencyRatio() == 0 && config.backOffLatency().isZero()) ? null
                : new LatencyBackOff(config);
        lastLog = runStart;
        lastBackOffLog = runStart - config.progressLogInterval().toNanos();
        markLatency();
        copiesAtBaseline = copiesSeen;
        phase = Phase.COPYING;
        LOG.info("Backfill of {} {}: {} rows in {} ({} done){}", migration, resumeFrom.isEmpty() ? "starts" : "resumes",
                rowsTotal, entities, rowsDone, finishedBefore ? "; the previous backfill had finished, so this one starts over"
                        : stale != null ? "; the previous backfill's checkpoints are stale (" + stale + "), so this one starts over" : "");
        publish();
        for (String e : entities) {
            Checkpoint checkpoint = resumeFrom.get(e);
            if (checkpoint != null && checkpoint.finished()) {
                continue;
            }
            entity = e;
            if (!copyEntity(resync.mapping(e), checkpoint)) {
                phase = Phase.STOPPED;
                publish();
                LOG.info("Backfill of {} stopped at entity {} after {} rows; a new run resumes there", migration, e, rowsDone);
                return progress;
            }
        }
        phase = Phase.FINISHED;
        publish();
        LOG.info("Backfill of {} finished: {} rows copied, {} target rows deleted, {} chunks ({} retried), {} back-offs,"
                + " {} s", migration, rowsDone, rowsDeleted, chunks, chunkRetries, backOffs,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - runStart));
        return progress;
    }

    /** @return false if stopped before the entity was done */
    private boolean copyEntity(TableMapping mapping, Checkpoint checkpoint) {
        boolean ranges = comparableAsRanges(mapping);
        long copied = checkpoint == null ? 0 : checkpoint.rowsCopied();
        long deleted = checkpoint == null ? 0 : checkpoint.rowsDeleted();
        long entityChunks = checkpoint == null ? 0 : checkpoint.chunks();
        List<Object> after = checkpoint == null || checkpoint.lastKey() == null ? null : KeyText.decode(checkpoint.lastKey());
        boolean cleaning = checkpoint != null && checkpoint.cleaningTarget();
        if (!cleaning) {
            phase = Phase.COPYING;
            while (true) {
                if (!awaitTurn()) {
                    return false;
                }
                final List<Object> from = after;
                long start = System.nanoTime();
                int asked = chunkSize;
                Chunk chunk = attempt(mapping, "after " + (from == null ? "the first key" : "the last checkpoint"),
                        size -> copyChunk(mapping, from, size, ranges));
                long took = System.nanoTime() - start;
                copied += chunk.rows();
                deleted += chunk.deleted();
                entityChunks++;
                rowsDone += chunk.rows();
                rowsDeleted += chunk.deleted();
                chunks++;
                if (chunk.rows() == 0) {
                    break;
                }
                after = chunk.last();
                checkpoints.save(migration, new Checkpoint(mapping.entity(), false, KeyText.encode(after), false, copied,
                        entityChunks, deleted, chunkFlagsVersion));
                paceAfter(chunk.rows(), asked, took, start, mapping);
                publish();
            }
            if (!ranges) {
                checkpoints.save(migration, new Checkpoint(mapping.entity(), true, null, false, copied, entityChunks, deleted,
                        chunkFlagsVersion));
                after = null;
            }
        }
        if (!ranges) {
            phase = Phase.CLEANING_TARGET;
            publish();
            while (true) {
                if (!awaitTurn()) {
                    return false;
                }
                final List<Object> from = after;
                Chunk sweep = attempt(mapping, "of the target walk", size -> cleanTarget(mapping, from, maxRows(mapping)));
                deleted += sweep.deleted();
                rowsDeleted += sweep.deleted();
                if (sweep.rows() == 0) {
                    break;
                }
                after = sweep.last();
                checkpoints.save(migration, new Checkpoint(mapping.entity(), true, KeyText.encode(after), false, copied,
                        entityChunks, deleted, chunkFlagsVersion));
                publish();
            }
            phase = Phase.COPYING;
        }
        checkpoints.save(migration, new Checkpoint(mapping.entity(), !ranges, null, true, copied, entityChunks, deleted,
                chunkFlagsVersion));
        publish();
        return true;
    }

    /**
     * The outcome of a chunk.
     *
     * @param rows source rows copied (for the target walk: target keys examined)
     * @param last the last key of the chunk, in the walked side's values; null when it found none
     * @param deleted target rows deleted
     */
    private record Chunk(int rows, List<Object> last, int deleted) {
    }

    @FunctionalInterface
    private interface ChunkStep {
        Chunk run(int size) throws SQLException;
    }

    /** Runs a chunk, trying it again with half the rows after a pause when it fails. */
    private Chunk attempt(TableMapping mapping, String where, ChunkStep step) {
        for (int attempt = 1; ; attempt++) {
            try {
                return step.run(chunkSize);
            } catch (BackfillException e) {
                throw e;
            } catch (SQLException | RuntimeException e) {
                chunkRetries++;
                if (attempt >= config.maxChunkAttempts()) {
                    throw new BackfillException("A chunk of " + mapping.entity() + " " + where + " failed "
                            + attempt + " times; the backfill of " + migration + " stops there and resumes from that"
                            + " checkpoint when run again: " + Redaction.describe(e, resync.logValues()), e);
                }
                long now = System.nanoTime();
                String text = "A chunk of {} ({} rows) of the backfill of {} failed (attempt {} of {}), trying again"
                        + " with a smaller chunk: {}";
                if (now - lastFailureLog >= config.progressLogInterval().toNanos()) {
                    lastFailureLog = now;
                    LOG.warn(text, mapping.entity(), chunkSize, migration, attempt, config.maxChunkAttempts(),
                            Redaction.describe(e, resync.logValues()));
                } else {
                    LOG.debug(text, mapping.entity(), chunkSize, migration, attempt, config.maxChunkAttempts(),
                            Redaction.describe(e, resync.logValues()));
                }
                chunkSize = Math.max(config.minChunkSize(), chunkSize / 2);
                sizingRate = 0;
                sleep(TimeUnit.MILLISECONDS.toNanos(Math.min(2_000, 50L * attempt * attempt)));
            }
        }
    }

    /**
     * One chunk of the source walk: lock the next rows, upsert them on the target, delete the target's
     * rows of the chunk's range that the source lacks (for range-comparable keys), commit inside the
     * copy window.
     */
    private Chunk copyChunk(TableMapping mapping, List<Object> after, int size, boolean ranges) throws SQLException {
        Dialect sourceDialect = resync.dialect(Side.SOURCE);
        Dialect targetDialect = resync.dialect(Side.TARGET);
        List<String> sourceColumns = mapping.columnNames(Side.SOURCE);
        List<String> sourceKeys = mapping.keyColumnNames(Side.SOURCE);
        List<String> targetColumns = mapping.columnNames(Side.TARGET);
        List<String> targetKeys = mapping.keyColumnNames(Side.TARGET);
        keyLocks = targetDialect == Dialect.POSTGRESQL;
        int rowsAsked = Math.min(size, maxChunkRows(mapping));
        try (WritePermit permit = permit();
                Sides sides = new Sides(resync.dataSource(Side.SOURCE), resync.dataSource(Side.TARGET), timeoutMillis())) {
            Connection source = sides.source;
            Connection target = sides.target;
            try {
                List<List<Object>> rows = new ArrayList<>();
                try (PreparedStatement select = prepare(source, ChunkSql.selectChunk(sourceDialect,
                        mapping.sourceTable(), sourceColumns, sourceKeys, after != null, rowsAsked, true),
                        rangeValues(sourceDialect, after, null))) {
                    try (ResultSet rs = select.executeQuery()) {
                        ColumnValues reader = null;
                        while (rs.next()) {
                            if (reader == null) {
                                reader = ColumnValues.of(rs.getMetaData(), sourceColumns.size(), sourceDialect);
                            }
                            rows.add(reader.row(rs));
                        }
                    }
                }
                List<Object> last = rows.isEmpty() ? null : List.copyOf(rows.get(rows.size() - 1).subList(0, sourceKeys.size()));
                Set<Object> copiedKeys = new HashSet<>();
                if (!rows.isEmpty()) {
                    List<Object> values = new ArrayList<>(rows.size() * targetColumns.size());
                    List<List<Object>> lockKeys = new ArrayList<>(rows.size());
                    for (List<Object> row : rows) {
                        List<Object> converted = mapping.convertRow(Side.SOURCE, row);
                        List<Object> targetKey = converted.subList(0, targetKeys.size());
                        copiedKeys.add(normalise(targetKey));
                        lockKeys.add(lockKey(mapping, row.subList(0, sourceKeys.size()), targetKey));
                        values.addAll(converted);
                    }
                    if (resync.guardedWrite(mapping, Side.TARGET, targetDialect, target)) {
                        // ON DUPLICATE KEY UPDATE would overwrite another row on a collision of another
                        // unique index (see RowCopier): such tables are written row by row, by key.
                        int width = targetColumns.size();
                        for (int i = 0; i < rows.size(); i++) {
                            List<Object> converted = values.subList(i * width, (i + 1) * width);
                            RowCopier.writeGuarded(target, timeoutSeconds(), mapping.targetTable(), targetColumns,
                                    targetKeys, converted, converted.subList(0, targetKeys.size()));
                        }
                    } else {
                        // On PostgreSQL the copies' locks, taken before the upsert in its round trip: should this
                        // transaction outlive its client (a commit on the wire when the connection was lost),
                        // a later copy of one of its keys waits for it and then sees its row, and the handover
                        // of a primary move waits for it too (see ReceivingLocks).
                        ReceivingLocks.lockAndExecute(target, timeoutSeconds(), targetDialect, mapping.targetTable(),
                                lockKeys, RowSql.upsertRows(targetDialect, mapping.targetTable(), targetColumns,
                                        targetKeys, rows.size()), values);
                    }
                }
                int deleted = 0;
                // Keys are copied unchanged here, so the source's bounds are the target's. After the
                // upsert the range holds the chunk's keys and whatever the source lacks: only a count
                // above the chunk's rows makes reading the range's keys worth it.
                if (ranges && countInRange(target, targetDialect, mapping.targetTable(), targetKeys, after, last)
                        > copiedKeys.size()) {
                    List<List<Object>> stale = new ArrayList<>();
                    for (List<Object> key : keysInRange(target, targetDialect, mapping.targetTable(), targetKeys, after,
                            last)) {
                        if (!copiedKeys.contains(normalise(key))) {
                            stale.add(key);
                        }
                    }
                    deleted = deleteAbsent(mapping, source, target, stale, stale);
                }
                commitInWindow(permit, mapping, sides, sourceDialect);
                return new Chunk(rows.size(), last, deleted);
            } catch (SQLException | RuntimeException e) {
                sides.rollback(e, sourceDialect);
                throw e;
            }
        }
    }

    /**
     * One chunk of the target walk: the next target keys, those whose source key no longer exists
     * deleted with the re-check of {@link #deleteAbsent}.
     */
    private Chunk cleanTarget(TableMapping mapping, List<Object> after, int size) throws SQLException {
        Dialect sourceDialect = resync.dialect(Side.SOURCE);
        Dialect targetDialect = resync.dialect(Side.TARGET);
        List<String> sourceKeys = mapping.keyColumnNames(Side.SOURCE);
        List<String> targetKeys = mapping.keyColumnNames(Side.TARGET);
        try (WritePermit permit = permit();
                Sides sides = new Sides(resync.dataSource(Side.SOURCE), resync.dataSource(Side.TARGET), timeoutMillis())) {
            Connection source = sides.source;
            Connection target = sides.target;
            try {
                List<List<Object>> keys = new ArrayList<>();
                try (PreparedStatement select = prepare(target, ChunkSql.selectChunk(targetDialect,
                        mapping.targetTable(), targetKeys, targetKeys, after != null, size, false),
                        rangeValues(targetDialect, after, null))) {
                    keys.addAll(readKeys(select, targetKeys.size(), targetDialect));
                }
                if (keys.isEmpty()) {
                    commitInWindow(permit, mapping, sides, sourceDialect);
                    return new Chunk(0, null, 0);
                }
                List<List<Object>> targetSide = new ArrayList<>();
                List<List<Object>> sourceSide = new ArrayList<>();
                int unmapped = 0;
                for (List<Object> key : keys) {
                    try {
                        sourceSide.add(mapping.convertKey(Side.TARGET, key));
                        targetSide.add(key);
                    } catch (CutoverException | IllegalArgumentException e) {
                        unmapped++;
                    }
                }
                if (unmapped > 0) {
                    LOG.warn("{} target row(s) of {} have no source key (e.g. no id-map entry): the backfill of {} leaves"
                            + " them; the verifier reports them", unmapped, mapping.entity(), migration);
                }
                Set<Object> present = new HashSet<>();
                for (int from = 0; from < sourceSide.size(); from += KEY_BATCH) {
                    List<List<Object>> batch = sourceSide.subList(from, Math.min(sourceSide.size(), from + KEY_BATCH));
                    present.addAll(existing(source, sourceDialect, mapping.sourceTable(), sourceKeys, batch));
                }
                List<List<Object>> staleTarget = new ArrayList<>();
                List<List<Object>> staleSource = new ArrayList<>();
                for (int i = 0; i < sourceSide.size(); i++) {
                    if (!present.contains(normalise(sourceSide.get(i)))) {
                        staleTarget.add(targetSide.get(i));
                        staleSource.add(sourceSide.get(i));
                    }
                }
                int deleted = deleteAbsent(mapping, source, target, staleTarget, staleSource);
                commitInWindow(permit, mapping, sides, sourceDialect);
                return new Chunk(keys.size(), keys.get(keys.size() - 1), deleted);
            } catch (SQLException | RuntimeException e) {
                sides.rollback(e, sourceDialect);
                throw e;
            }
        }
    }

    /**
     * Deletes target rows the source did not have, then reads their keys on the source again (a
     * plain read, in {@code READ COMMITTED}): a row inserted and committed meanwhile fails the chunk,
     * which is rolled back and tried again. A re-insert committed after this read has its copy wait
     * for the delete's row lock on the target, so it lands after the delete. The re-read takes no
     * lock: its copy may hold that very source row while it waits for the target row this delete
     * holds, and a locking read would wait for it in turn, across two databases no deadlock detector sees.
     *
     * <p>Unlike a copy's delete, these take no advisory key locks on PostgreSQL: each deletes a row it
     * read committed, whose row lock makes any later write of the key wait until this transaction has
     * ended, even one whose client gave up. A copy's delete may find no row and lock nothing, which is
     * why copies need the key's lock; an abandoned copy's insert that these pass over is ordered by
     * that key's later copies, which wait for its lock.
     *
     * @return the rows deleted
     */
    private int deleteAbsent(TableMapping mapping, Connection source, Connection target, List<List<Object>> targetKeys,
            List<List<Object>> sourceKeys) throws SQLException {
        int deleted = 0;
        for (int from = 0; from < targetKeys.size(); from += KEY_BATCH) {
            List<List<Object>> batch = targetKeys.subList(from, Math.min(targetKeys.size(), from + KEY_BATCH));
            try (PreparedStatement delete = prepare(target, ChunkSql.byKeys("DELETE", mapping.targetTable(),
                    mapping.keyColumnNames(Side.TARGET), batch.size()), flatten(batch))) {
                deleted += delete.executeUpdate();
            }
        }
        Dialect sourceDialect = resync.dialect(Side.SOURCE);
        for (int from = 0; from < sourceKeys.size(); from += KEY_BATCH) {
            List<List<Object>> batch = sourceKeys.subList(from, Math.min(sourceKeys.size(), from + KEY_BATCH));
            if (!existing(source, sourceDialect, mapping.sourceTable(), mapping.keyColumnNames(Side.SOURCE), batch).isEmpty()) {
                throw new RangeChangedException(mapping.entity());
            }
        }
        return deleted;
    }

    /** A row appeared on the source in a range whose target rows were being deleted: the chunk is tried again. */
    private static final class RangeChangedException extends SQLException {
        private static final long serialVersionUID = 1L;

        RangeChangedException(String entity) {
            super("A row of " + entity + " was inserted on the source while the chunk deleted the target rows the source"
                    + " lacked; the chunk is rolled back and tried again", "40001");
        }
    }

    private void commitInWindow(WritePermit permit, TableMapping mapping, Sides sides, Dialect sourceDialect)
            throws SQLException {
        if (!permit.ensureBeforeDeadline()) {
            throw new RowCopier.CopyWindowClosedException("A chunk of " + mapping.entity() + " was not written on the"
                    + " target before the copy window of its primary closed (the primary may have moved); the chunk"
                    + " was rolled back");
        }
        sides.target.commit();
        RowCopier.endLockOnly(sides.source, sourceDialect);
    }

    /** Source keys of the batch that exist, normalised; a plain read. */
    private Set<Object> existing(Connection source, Dialect dialect, String table, List<String> keyColumns,
            List<List<Object>> keys) throws SQLException {
        Set<Object> found = new HashSet<>();
        if (keys.isEmpty()) {
            return found;
        }
        try (PreparedStatement select = prepare(source, ChunkSql.byKeys("SELECT " + String.join(", ", keyColumns),
                table, keyColumns, keys.size()), flatten(keys))) {
            for (List<Object> key : readKeys(select, keyColumns.size(), dialect)) {
                found.add(normalise(key));
            }
        }
        return found;
    }

    private long countInRange(Connection connection, Dialect dialect, String table, List<String> keyColumns,
            List<Object> after, List<Object> upTo) throws SQLException {
        try (PreparedStatement count = prepare(connection, ChunkSql.countInRange(dialect, table, keyColumns,
                after != null, upTo != null), rangeValues(dialect, after, upTo))) {
            try (ResultSet rs = count.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /**
     * Prepares a statement of the backfill with the statement timeout set and its values bound; the
     * caller closes it.
     */
    private PreparedStatement prepare(Connection connection, String sql, List<Object> values) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            statement.setQueryTimeout(timeoutSeconds());
            ColumnValues.bind(statement, values);
            return statement;
        } catch (SQLException | RuntimeException e) {
            try {
                statement.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static List<Object> rangeValues(Dialect dialect, List<Object> after, List<Object> upTo) {
        List<Object> values = new ArrayList<>();
        if (after != null) {
            values.addAll(ChunkSql.boundValues(dialect, after));
        }
        if (upTo != null) {
            values.addAll(ChunkSql.boundValues(dialect, upTo));
        }
        return values;
    }

    private List<List<Object>> keysInRange(Connection connection, Dialect dialect, String table, List<String> keyColumns,
            List<Object> after, List<Object> upTo) throws SQLException {
        try (PreparedStatement select = prepare(connection, ChunkSql.selectKeysInRange(dialect, table, keyColumns,
                after != null, upTo != null), rangeValues(dialect, after, upTo))) {
            return readKeys(select, keyColumns.size(), dialect);
        }
    }

    private static List<List<Object>> readKeys(PreparedStatement select, int width, Dialect dialect) throws SQLException {
        List<List<Object>> keys = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
            ColumnValues reader = null;
            while (rs.next()) {
                if (reader == null) {
                    reader = ColumnValues.of(rs.getMetaData(), width, dialect);
                }
                keys.add(List.copyOf(reader.row(rs)));
            }
        }
        return keys;
    }

    private static List<Object> flatten(List<List<Object>> keys) {
        List<Object> values = new ArrayList<>();
        keys.forEach(values::addAll);
        return values;
    }

    /**
     * A key's values as comparable Java values whatever type a driver or a conversion gave them:
     * integers of any width as {@code Long}, UUIDs as their lower-case text.
     */
    private static Object normalise(List<Object> key) {
        List<Object> values = new ArrayList<>(key.size());
        for (Object value : key) {
            if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
                values.add(((Number) value).longValue());
            } else if (value instanceof BigInteger || value instanceof BigDecimal) {
                BigDecimal decimal = new BigDecimal(value.toString());
                try {
                    values.add(decimal.longValueExact());
                } catch (ArithmeticException e) {
                    values.add(decimal.stripTrailingZeros());
                }
            } else if (value instanceof UUID || value instanceof String text && text.length() == 36 && isUuid(text)) {
                values.add(value.toString().toLowerCase(Locale.ROOT));
            } else {
                values.add(value);
            }
        }
        return values;
    }

    private static boolean isUuid(String text) {
        try {
            UUID.fromString(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether target rows can be found by the source's key ranges: keys copied unchanged whose values
     * are integers, which every dialect orders alike.
     */
    static boolean comparableAsRanges(TableMapping mapping) {
        return !mapping.keysTranslated() && mapping.keyColumns().stream()
                .allMatch(k -> k.keyType() == Long.class || k.keyType() == Integer.class);
    }

    /** The most rows of a chunk: what one upsert can bind, and the configured maximum. */
    private int maxRows(TableMapping mapping) {
        int width = Math.max(mapping.columnNames(Side.TARGET).size(), mapping.columnNames(Side.SOURCE).size());
        return Math.max(1, Math.min(config.maxChunkSize(), MAX_BIND_VALUES / Math.max(1, width)));
    }

    /** The most rows of a chunk of the source walk: {@link #maxRows}, and its key locks on a PostgreSQL target. */
    private int maxChunkRows(TableMapping mapping) {
        return keyLocks ? Math.min(MAX_KEY_LOCKS, maxRows(mapping)) : maxRows(mapping);
    }

    /**
     * A chunk row's key as a copy of the row names its advisory lock ({@link ReceivingLocks#keyLockId}).
     * A copy's key is parsed from its routing key into the mapping's key types, so a key copied
     * unchanged goes through that text here too (a UUID that a driver reads as text, in either case,
     * locks what the copy's {@code UUID} locks); a translated key is the translation's value either way.
     */
    private static List<Object> lockKey(TableMapping mapping, List<Object> sourceKey, List<Object> targetKey) {
        if (mapping.keysTranslated()) {
            return targetKey;
        }
        try {
            return mapping.keyValues(mapping.key(sourceKey.toArray()));
        } catch (IllegalArgumentException e) {
            // A value that does not parse as its key type has no routing key, so no copy's lock to meet.
            return targetKey;
        }
    }

    /**
     * Takes a write permit for one chunk: a chunk is a copy from the primary and must land inside its
     * copy window. Waits while this instance's handover of a primary move is in progress.
     */
    private WritePermit permit() throws SQLException {
        long deadline = System.nanoTime() + MAX_HANDOVER_WAIT.toNanos();
        while (true) {
            // Read before the permit, so that a flip between the two is after the saved version and the
            // next resume sees it in the audit.
            chunkFlagsVersion = flags.state(migration).version();
            WritePermit permit = Handovers.tryBeginWrite(flags, migration);
            if (permit != null) {
                Stage stage = permit.stage();
                if (!copiesFromSource(stage)) {
                    permit.close();
                    throw refusal(stage);
                }
                return permit;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new java.sql.SQLTransientException("The handover of a primary move of " + migration
                        + " did not finish within " + MAX_HANDOVER_WAIT.toSeconds() + " s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.sql.SQLTransientException("Interrupted while waiting for a handover of " + migration, e);
            }
        }
    }

    /**
     * Why the saved checkpoints no longer prove their rows copied, or null if they still do. A row
     * behind a checkpoint stays equal on both sides only while every write of it is mirrored: a flip to
     * a stage that writes one side only (a walk back to SOURCE_ONLY, say) lets the sides differ there,
     * and resuming would leave those rows behind. So every flip since the oldest checkpoint's version
     * must be in the audit, and each must have kept both sides written. Starting over is always safe.
     */
    private String staleCheckpoints(Map<String, Checkpoint> saved) {
        long savedVersion = saved.values().stream().mapToLong(Checkpoint::flagsVersion).min().orElseThrow();
        long current = flags.state(migration).version();
        if (current == savedVersion) {
            return null;
        }
        if (current < savedVersion || current - savedVersion > MAX_AUDITED_FLIPS) {
            return "the flags are at version " + current + ", the checkpoints at " + savedVersion;
        }
        List<FlagChange> changes;
        try {
            // Some slack for flips the store has and this instance has not loaded yet.
            changes = flags.audit(migration, (int) (current - savedVersion) + 16);
        } catch (RuntimeException e) {
            throw new BackfillException("Cannot read the flag audit of " + migration + ", which shows whether the"
                    + " checkpoints of its last backfill still hold; run the backfill again once the flag store answers: "
                    + Redaction.describe(e, false), e);
        }
        long expected = -1;
        for (FlagChange change : changes) {
            long version = change.after().version();
            if (expected == -1 ? version < current : version != expected) {
                return "version " + (expected == -1 ? current : expected) + " of the flags is not in the audit (set outside"
                        + " Cutover)";
            }
            if (!change.after().stage().dualWrites()) {
                return "moved to " + change.after().stage() + " at version " + version + " by " + change.actor() + " at "
                        + change.at();
            }
            if (change.before().version() <= savedVersion) {
                return null;
            }
            expected = change.before().version();
        }
        return "the audit does not reach back to version " + savedVersion + " of the flags";
    }

    private static boolean copiesFromSource(Stage stage) {
        return stage == Stage.DUAL_WRITE || stage == Stage.SHIFT_READS;
    }

    private BackfillException refusal(Stage stage) {
        return new BackfillException("Migration " + migration + " is in stage " + stage + ": a backfill copies the"
                + " source's rows to the target, which is safe only while the source is the primary and both sides are"
                + " written (DUAL_WRITE or SHIFT_READS). Move it to DUAL_WRITE first; a backfill stopped here resumes"
                + " from its checkpoint");
    }

    /**
     * Before a chunk: waits while paused and for the rate limit. No lock is held meanwhile.
     *
     * @return false if stopped
     */
    private boolean awaitTurn() {
        if (paused && !stopRequested) {
            Phase before = phase;
            phase = Phase.PAUSED;
            publish();
            LOG.info("Backfill of {} paused at entity {} after {} rows", migration, entity, rowsDone);
            long start = System.nanoTime();
            synchronized (signal) {
                while (paused && !stopRequested) {
                    try {
                        signal.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stopRequested = true;
                    }
                }
            }
            pausedNanos += System.nanoTime() - start;
            phase = before;
            publish();
            LOG.info("Backfill of {} resumed", migration);
        }
        long now = System.nanoTime();
        sleep(Math.max(throttleUntil, backOffUntil) - now);
        long slept = System.nanoTime() - now;
        backOffNanos += Math.max(0, Math.min(slept, backOffUntil - now));
        if (backOff != null && !stopRequested) {
            measureBaselineIfDue();
        }
        return !stopRequested;
    }

    /**
     * Copies nothing for a baseline window, when due, and gives the back-off the dual-write copies
     * made meanwhile: their time without the backfill. The first quarter of the window is not
     * measured: copies that finish then began while the last chunk ran (waiting for its locks or its
     * CPU), and counting them would put the backfill's own cost into the baseline. No lock is held.
     */
    private void measureBaselineIfDue() {
        long now = System.nanoTime();
        if (!backOff.baselineDue(now, stats.mirrored(Side.TARGET) - copiesAtBaseline)) {
            return;
        }
        long window = config.backOffBaselineWindow().toNanos();
        sleep(window / 4);
        markLatency();
        sleep(window - window / 4);
        long end = System.nanoTime();
        backOffNanos += end - now;
        long copies = stats.mirrored(Side.TARGET) - copiesSeen;
        long nanos = writeNanos() - writeNanosSeen;
        LatencyHistogram.Counts times = stats.sourceWriteTimes().minus(timesSeen);
        backOff.baseline(copies, nanos, times, end);
        markLatency();
        copiesAtBaseline = copiesSeen;
        LOG.debug("Backfill of {}: {} dual-write copies averaged {} µs in a {} ms baseline window, 99% of their {} steps"
                + " under {} µs; baseline {} µs, tail baseline {} µs", migration, copies,
                copies == 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(nanos / copies), config.backOffBaselineWindow().toMillis(),
                times.total(), TimeUnit.NANOSECONDS.toMicros(times.quantileFloor(0.99)),
                TimeUnit.NANOSECONDS.toMicros(backOff.baselineNanos()),
                TimeUnit.NANOSECONDS.toMicros(backOff.tailBaselineNanos()));
    }

    /**
     * What the application's writes of the migration took: their copies, and the repository-style
     * primary calls on the source, so that a source slowed by the backfill's reads counts as much as
     * a slower copy does.
     */
    private long writeNanos() {
        return stats.mirrorNanos(Side.TARGET) + stats.primaryNanos(Side.SOURCE);
    }

    /** The dual-write copies counted, and their time, when the back-off last looked. */
    private void markLatency() {
        if (stats != null) {
            copiesSeen = stats.mirrored(Side.TARGET);
            writeNanosSeen = writeNanos();
            timesSeen = stats.sourceWriteTimes();
        }
    }

    /** After a chunk: adapts the chunk size to the chunk time, schedules the rate limit, backs off. */
    private void paceAfter(int rows, int asked, long took, long start, TableMapping mapping) {
        int max = maxChunkRows(mapping);
        if (config.rowsPerSecond() > 0) {
            max = (int) Math.max(config.minChunkSize(), Math.min(max,
                    config.rowsPerSecond() * config.chunkTime().toNanos() / 1_000_000_000L));
            throttleUntil = Math.max(throttleUntil, start) + rows * 1_000_000_000L / config.rowsPerSecond();
        }
        // Only full chunks tell the rate: a short one ended at the table's end or met deleted rows.
        if (rows >= Math.min(asked, max) && took > 0) {
            double rate = rows * 1e9 / took;
            sizingRate = sizingRate == 0 ? rate : (1 - RATE_WEIGHT) * sizingRate + RATE_WEIGHT * rate;
            chunkSize = (int) Math.max(config.minChunkSize(), Math.min(max,
                    sizingRate * config.chunkTime().toNanos() / 1e9));
        } else {
            chunkSize = Math.max(config.minChunkSize(), Math.min(max, chunkSize));
        }
        if (backOff != null) {
            // The copies since the last decision: those made in the wait before the chunk and while it ran.
            long copies = stats.mirrored(Side.TARGET) - copiesSeen;
            long nanos = writeNanos() - writeNanosSeen;
            LatencyHistogram.Counts times = stats.sourceWriteTimes().minus(timesSeen);
            markLatency();
            double dutyBefore = backOff.dutyCycle();
            long tailBackOffsBefore = backOff.tailBackOffs();
            long wait = backOff.afterChunk(took, copies, nanos, times);
            backOffUntil = System.nanoTime() + wait;
            backOffs = backOff.backOffs();
            // The duty cycle swings between full speed and a back-off every few seconds under steady
            // load; one line per progress interval says it, the rest go to DEBUG.
            long now = System.nanoTime();
            boolean inform = now - lastBackOffLog >= config.progressLogInterval().toNanos();
            if (dutyBefore >= 1 && backOff.dutyCycle() < 1) {
                lastBackOffLog = inform ? now : lastBackOffLog;
                log(inform, "Backfill of {} backs off: the migration's dual-write copies averaged {} µs (baseline {} µs,"
                        + " backOffLatencyRatio {}, backOffLatency {} ms){}; it now copies {}% of the time", migration,
                        copies == 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(nanos / copies),
                        TimeUnit.NANOSECONDS.toMicros(backOff.baselineNanos()), config.backOffLatencyRatio(),
                        config.backOffLatency().toMillis(), backOff.tailBackOffs() > tailBackOffsBefore
                                ? " and more than 1% of their steps took over backOffLatencyRatio times their 99th"
                                + " percentile without the backfill (" + TimeUnit.NANOSECONDS.toMicros(
                                        backOff.tailBaselineNanos()) + " µs)" : "",
                        Math.round(backOff.dutyCycle() * 100));
            } else if (dutyBefore < 1 && backOff.dutyCycle() >= 1) {
                lastBackOffLog = inform ? now : lastBackOffLog;
                log(inform, "Backfill of {} is back to full speed: the migration's dual-write copies are near their"
                        + " baseline again", migration);
            }
        }
        long now = System.nanoTime();
        if (now - lastLog >= config.progressLogInterval().toNanos()) {
            lastLog = now;
            BackfillProgress p = snapshot();
            LOG.info(String.format(Locale.ROOT, "Backfill of %s: %s, %d of %d rows (%.1f%%), %.0f rows/s, about %d s left,"
                            + " chunks of %d rows, copying %.0f%% of the time", migration, entity, p.rowsDone(),
                    p.rowsTotal(), p.percentDone(), p.rowsPerSecond(), p.estimatedRemaining().toSeconds(), p.chunkSize(),
                    p.dutyCycle() * 100));
        }
    }

    private static void log(boolean info, String format, Object... args) {
        if (info) {
            LOG.info(format, args);
        } else {
            LOG.debug(format, args);
        }
    }

    /** Sleeps, waking early for {@link #stop()}. */
    private void sleep(long nanos) {
        long until = System.nanoTime() + nanos;
        synchronized (signal) {
            for (long left = nanos; left > 0 && !stopRequested; left = until - System.nanoTime()) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(signal, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopRequested = true;
                }
            }
        }
    }

    private long count(TableMapping mapping) {
        try (Connection connection = NetworkTimeouts.connect(resync.dataSource(Side.SOURCE), timeoutMillis());
                PreparedStatement count = prepare(connection, "SELECT COUNT(*) FROM " + mapping.sourceTable(), List.of())) {
            try (ResultSet rs = count.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            LOG.warn("Backfill of {} could not count the rows of {}, so its progress shows no total for it: {}", migration,
                    mapping.entity(), Redaction.describe(e, resync.logValues()));
            return 0;
        }
    }

    private void publish() {
        BackfillProgress p = snapshot();
        progress = p;
        for (BackfillListener listener : listeners) {
            try {
                listener.onProgress(p);
            } catch (RuntimeException e) {
                LOG.warn("A backfill listener of {} failed: {}", migration, e.toString());
            }
        }
    }

    private BackfillProgress snapshot() {
        long elapsed = runStart == 0 ? 0 : System.nanoTime() - runStart;
        long active = Math.max(0, elapsed - pausedNanos);
        double rate = active <= 0 ? 0 : (rowsDone - rowsAtStart) * 1e9 / active;
        long left = Math.max(0, rowsTotal - rowsDone);
        Duration remaining = phase == Phase.FINISHED || rate <= 0 ? Duration.ZERO
                : Duration.ofMillis((long) Math.min(Long.MAX_VALUE / 2, left * 1000 / rate));
        return new BackfillProgress(migration, entity, phase, rowsDone, rowsTotal, rowsDeleted, chunks, chunkRetries,
                backOffs, chunkSize, rate, remaining, Duration.ofNanos(elapsed), Duration.ofNanos(backOffNanos),
                backOff == null ? 1 : backOff.dutyCycle(),
                Duration.ofNanos(backOff == null ? 0 : backOff.baselineNanos()));
    }

    private int timeoutSeconds() {
        return (int) Math.max(1, config.statementTimeout().toSeconds());
    }

    private int timeoutMillis() {
        return (int) Math.min(Integer.MAX_VALUE, config.statementTimeout().toMillis() + 5_000);
    }

    @Override
    public String toString() {
        return "Backfill{" + migration + ": " + entities + "}";
    }

    /**
     * A chunk's two connections, each in a transaction: the source's in {@code READ COMMITTED}, so
     * that its re-checks read what is committed now (MariaDB's default {@code REPEATABLE READ}
     * would read its snapshot) and its locking read takes no gap locks; auto-commit and isolation
     * are restored when closed.
     */
    private static final class Sides implements AutoCloseable {
        final Connection source;
        final Connection target;
        private final int sourceIsolation;
        private final boolean sourceAutoCommit;
        private final boolean targetAutoCommit;

        Sides(DataSource sourceData, DataSource targetData, int networkTimeoutMillis) throws SQLException {
            Connection s = NetworkTimeouts.connect(sourceData, networkTimeoutMillis);
            Connection t;
            try {
                t = NetworkTimeouts.connect(targetData, networkTimeoutMillis);
            } catch (SQLException | RuntimeException e) {
                s.close();
                throw e;
            }
            this.source = s;
            this.target = t;
            try {
                sourceIsolation = s.getTransactionIsolation();
                sourceAutoCommit = s.getAutoCommit();
                targetAutoCommit = t.getAutoCommit();
                if (sourceIsolation != Connection.TRANSACTION_READ_COMMITTED) {
                    s.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                }
                s.setAutoCommit(false);
                t.setAutoCommit(false);
            } catch (SQLException | RuntimeException e) {
                closeBoth();
                throw e;
            }
        }

        void rollback(Exception cause, Dialect sourceDialect) {
            try {
                target.rollback();
            } catch (SQLException e) {
                cause.addSuppressed(e);
            }
            try {
                RowCopier.endLockOnly(source, sourceDialect);
            } catch (SQLException e) {
                cause.addSuppressed(e);
            }
        }

        @Override
        public void close() throws SQLException {
            try {
                target.setAutoCommit(targetAutoCommit);
                source.setAutoCommit(sourceAutoCommit);
                if (sourceIsolation != Connection.TRANSACTION_READ_COMMITTED) {
                    source.setTransactionIsolation(sourceIsolation);
                }
            } catch (SQLException e) {
                LOG.debug("Could not restore a backfill connection: {}", e.getMessage());
            } finally {
                closeBoth();
            }
        }

        private void closeBoth() throws SQLException {
            try {
                target.close();
            } finally {
                source.close();
            }
        }
    }

    /** Builds a {@link Backfill}; not thread-safe. */
    public static final class Builder {
        private final RowCopier resync;
        private final MigrationFlags flags;
        private final String migration;
        private List<String> entities;
        private BackfillConfig config = BackfillConfig.ofDefaults();
        private BackfillCheckpoints checkpoints = BackfillCheckpoints.inMemory();
        private DualWriteCounters stats;
        private final List<BackfillListener> listeners = new ArrayList<>();

        private Builder(RowCopier resync, MigrationFlags flags, String migration) {
            this.resync = Objects.requireNonNull(resync, "null resync");
            this.flags = Objects.requireNonNull(flags, "null flags");
            this.migration = Names.checkMigrationName(migration);
        }

        /**
         * Copies only some of the row copier's entities, in this order.
         *
         * @param entities the entities; default all, in mapping order
         * @return this builder
         * @throws IllegalArgumentException if one is not mapped
         * @throws CutoverConfigurationException if the list is empty
         */
        public Builder entities(String... entities) {
            if (entities.length == 0) {
                throw new CutoverConfigurationException("A backfill needs at least one entity: name the entities to"
                        + " copy, or leave entities(...) out to copy all of the row copier's");
            }
            Map<String, Boolean> chosen = new LinkedHashMap<>();
            for (String entity : entities) {
                resync.mapping(entity);
                chosen.put(entity, Boolean.TRUE);
            }
            this.entities = List.copyOf(chosen.keySet());
            return this;
        }

        /**
         * @param config the pacing; default {@link BackfillConfig#ofDefaults()}
         * @return this builder
         */
        public Builder config(BackfillConfig config) {
            this.config = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * @param checkpoints where checkpoints are kept; default {@link BackfillCheckpoints#inMemory()},
         *     which a crash loses
         * @return this builder
         */
        public Builder checkpoints(BackfillCheckpoints checkpoints) {
            this.checkpoints = Objects.requireNonNull(checkpoints, "null checkpoints");
            return this;
        }

        /**
         * The migration's dual-write stats, whose copy times are the back-off signal (see
         * {@link BackfillConfig}); without them the backfill does not back off.
         *
         * @param stats the stats its repositories and data sources count into
         * @return this builder
         */
        public Builder counters(DualWriteCounters stats) {
            this.stats = Objects.requireNonNull(stats, "null stats");
            return this;
        }

        /**
         * @param listener hears the progress after every chunk; may be called several times
         * @return this builder
         */
        public Builder listener(BackfillListener listener) {
            listeners.add(Objects.requireNonNull(listener, "null listener"));
            return this;
        }

        /** @return the backfill; it touches no database until run */
        public Backfill build() {
            return new Backfill(this);
        }
    }
}
