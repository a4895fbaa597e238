package dev.cutover.dualwrite;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import dev.cutover.dualwrite.internal.jdbc.JdbcContext;
import dev.cutover.dualwrite.internal.jdbc.WriteProtocol;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.HandoverException;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.internal.QueueAccess;
import dev.cutover.router.ReadRouter;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} over the source and the target databases (typically two HikariCP pools) that
 * dual-writes plain JDBC code by stage, with the same protocol and guarantees as the repository
 * proxy of {@link RepositoryBuilder}. Get one from {@link DualWrite#dataSource(DataSource, DataSource)}.
 *
 * <h2>Connections</h2>
 * A connection holds one physical connection to the primary of the stage read when its transaction
 * (in auto-commit, its statement) began, so a flip takes effect on the next transaction or
 * auto-commit statement. The application's SQL runs on whichever side is the primary as written, so
 * both databases must accept it: the same table and column names (or views), in SQL both dialects
 * understand; {@link Builder#build()} refuses mappings that rename. Value conversions of a
 * {@link TableMapping} still apply to the copies.
 * Auto-commit, isolation and read-only settings follow the connection to the other side when the
 * primary moves; other session settings (schema, catalog, client info) stay with the physical
 * connection they were made on. The copy after a commit reads and locks the primary's row on the
 * application's own connection that just committed, and borrows one connection of the other side's
 * pool; when the retry-queue's store was built on the primary's very pool, its pending checks and
 * entries use that same connection too. So Cutover never needs a second connection of the pool the
 * application writes through, and cannot starve it however many writers hold its connections.
 * Everything the mirror does in the call is bounded by {@link RowCopier.Builder#copyBudget}.
 *
 * <h2>Writes, per stage</h2>
 * Each statement is parsed with JSqlParser. In {@code SOURCE_ONLY} and {@code TARGET_ONLY} every
 * statement runs on the only side, untouched. In {@code DUAL_WRITE} and {@code SHIFT_READS} (source
 * primary) and {@code TARGET_PRIMARY} (target primary), writes run on the primary only, and Cutover
 * finds the keys each one touches:
 * <ul>
 *   <li>{@code INSERT ... VALUES} with a column list: the key columns' literals or parameters; when
 *       the key is generated (left out, or an expression), the keys the primary generated, read with
 *       {@code getGeneratedKeys} (requested internally; the application's own request still works);
 *   <li>{@code UPDATE} and {@code DELETE} of one table: before the statement, in its transaction and
 *       inside a savepoint, {@code SELECT <key columns> FROM <table> WHERE <its condition> FOR UPDATE},
 *       which both finds and locks the rows. When the statement then reports more affected rows than
 *       were found (a row another transaction committed in between), it is rolled back to the
 *       savepoint and made again. An {@code UPDATE} that assigns a key column is refused;
 *   <li>{@code Statement} and {@code PreparedStatement} batches: the same, per entry; batches of
 *       inserts run as one JDBC batch, while {@code UPDATE} and {@code DELETE} entries run one by one,
 *       so that each entry's locking read sees what the entries before it changed.
 * </ul>
 * After the primary transaction commits, each key is copied to the other side with {@link RowCopier}
 * under the primary's row lock, queued behind the key's pending retry-queue entries, or queued as a
 * {@code RESYNC} entry when the copy fails; the mirror never replays the application's SQL. A mirror
 * failure never fails the call. A primary failure fails the call with the driver's exception and
 * leaves nothing on the other side (a failure at commit queues the keys, because it may hide a
 * commit; the replay copies only committed rows). In auto-commit mode a write runs in a short
 * transaction of its own. A rolled-back transaction mirrors nothing.
 *
 * <p>Primary moves are fenced as in the repository style (see {@link MigrationFlags}, Primary moves):
 * a transaction takes its write permit at its first keyed write (waiting out a handover, and failing
 * with SQLState 40001 if the primary moved since the transaction began), holds it until it ends, and
 * is rolled back instead of committed when its primary's copy window is closing; a commit whose copy
 * then misses the window fails with SQLState 40001 after the commit (it may or may not persist, as a
 * whole).
 *
 * <p>Every JDBC entry point ({@code executeQuery}, {@code executeUpdate}, {@code executeLargeUpdate},
 * {@code execute}, batches) takes the same path, so a write with {@code RETURNING} is keyed and
 * mirrored whichever method runs it, and answers its rows as a disconnected
 * {@link javax.sql.rowset.CachedRowSet}. In a dual-write stage these are refused with a
 * {@link SQLFeatureNotSupportedException} that names the statement, the reason and the fix, before
 * anything is written: DDL, {@code TRUNCATE}, {@code MERGE}, {@code REPLACE} and upserts
 * ({@code ON CONFLICT}, {@code ON DUPLICATE KEY}, {@code INSERT IGNORE}), {@code INSERT ... SELECT},
 * multi-table writes, {@code ORDER BY}/{@code LIMIT} writes, procedure calls (also at each execution
 * of a {@code CallableStatement} prepared in a single-side stage), texts holding several statements,
 * {@code RETURNING} in a batch, SQL the parser does not understand, and writes to tables no
 * {@link TableMapping} of the {@link RowCopier} names. A schema-qualified name of a mapped table is
 * that table when the qualifier is the connection's current schema (or, on MariaDB, database).
 * Tables declared with {@link Builder#passThrough(String...)} are written (DDL included) on the
 * primary only and never mirrored; a mapped table cannot be declared so. Connections, statements,
 * result sets and metadata lead back only to these wrappers ({@code getConnection},
 * {@code getStatement}, {@code unwrap}), never to the driver's objects, on which SQL would bypass
 * the mirror. An insert whose generated key the driver does not return fails,
 * and its transaction can then only roll back (MariaDB's driver returns only the first key of a
 * multi-row {@code INSERT}: insert such rows one per statement or in a batch there).
 *
 * <h2>Reads</h2>
 * A query of mapped tables goes through {@link ReadRouter#read} (routing key: the key columns'
 * {@code =} conditions of a single-table query's WHERE, else none) and is answered as a disconnected
 * {@link javax.sql.rowset.CachedRowSet}, read to the end, when the connection is in auto-commit or
 * its transaction is read-only ({@link Connection#setReadOnly}; each query is then routed on its own,
 * so such a transaction gets no snapshot across queries). In a read-write transaction every query
 * runs on the primary connection, written yet or not: its reads may feed its writes, and a value read
 * from the other, possibly lagging side must never be written back to the primary as current.
 * Locking reads ({@code FOR UPDATE}) and queries of unmapped tables also run on the primary.
 *
 * <h2>Several migrations</h2>
 * One data source may carry several migrations ({@link Builder#addMigration}), each with its own
 * stage: everything above holds per table, under the stage of the migration that maps it, and a
 * read of one migration's tables goes through that migration's router (a read of several
 * migrations' tables runs on the primary). The stages of all of them are read together when a
 * transaction (or auto-commit statement) begins, and its connection goes to their common primary.
 * While they disagree about the primary, every write is refused before it runs (SQLState 55000),
 * naming each migration's stage and the fix: move their primary together with
 * {@link MigrationFlags#moveTogether}.
 *
 * <h2>Crash safety</h2>
 * By default a process killed between a primary commit and its copy leaves that key behind until it
 * is written again or verified. {@link Builder#crashSafe(JdbcRetryStore, Duration)} closes
 * the gap while the source is primary: each key's retry entry is written in the source transaction
 * itself, so it commits with the write or not at all.
 *
 * <p>The data source is thread-safe; its connections, like any JDBC connection, are not. Closing a
 * connection returns its physical connection; the data source itself owns nothing to close.
 */
public final class CutoverDataSource implements DataSource {
    private final DataSource source;
    private final DataSource target;
    private final JdbcContext context;
    /** Per migration, in the order they were declared: the breaker around its direct copies. */
    private final Map<String, CircuitBreaker> breakers;

    private CutoverDataSource(Builder b, JdbcContext context, Map<String, CircuitBreaker> breakers) {
        this.source = b.source;
        this.target = b.target;
        this.context = context;
        this.breakers = breakers;
    }

    /** @return the name of the first migration, the one set with {@link Builder#migration(String)} */
    public String migration() {
        return breakers.keySet().iterator().next();
    }

    /**
     * @return the names of every migration whose tables this data source mirrors: the one of
     *     {@link Builder#migration(String)} first, then those of {@link Builder#addMigration}
     */
    public List<String> migrations() {
        return List.copyOf(breakers.keySet());
    }

    /**
     * The breaker around the first migration's direct copies (see {@link Builder#mirrorCircuitBreaker}),
     * for health checks: while it is open, written keys go straight to the retry-queue.
     *
     * @return the breaker, the given one or the default
     */
    public CircuitBreaker mirrorCircuitBreaker() {
        return breakers.values().iterator().next();
    }

    /**
     * The breaker around a migration's direct copies, for health checks.
     *
     * @param migration one of {@link #migrations()}
     * @return its breaker
     * @throws IllegalArgumentException if this data source does not mirror that migration
     */
    public CircuitBreaker mirrorCircuitBreaker(String migration) {
        CircuitBreaker breaker = breakers.get(Objects.requireNonNull(migration, "null migration"));
        if (breaker == null) {
            throw new IllegalArgumentException("This CutoverDataSource mirrors migrations " + migrations() + ", not '"
                    + migration + "'");
        }
        return breaker;
    }

    /**
     * Opens a connection to the current primary.
     *
     * @return a wrapped connection, in auto-commit mode
     * @throws SQLException if the primary cannot be reached
     */
    @Override
    public Connection getConnection() throws SQLException {
        return context.connect(null, null);
    }

    /**
     * Opens a connection to the current primary with credentials, which are used for both databases.
     *
     * @param username the user
     * @param password the password
     * @return a wrapped connection, in auto-commit mode
     * @throws SQLException if the primary cannot be reached or refuses the credentials
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return context.connect(Objects.requireNonNull(username, "null username"), password);
    }

    /** @return the source data source's log writer */
    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return source.getLogWriter();
    }

    /** Sets the log writer of both data sources. */
    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        source.setLogWriter(out);
        target.setLogWriter(out);
    }

    /** Sets the login timeout of both data sources. */
    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        source.setLoginTimeout(seconds);
        target.setLoginTimeout(seconds);
    }

    /** @return the source data source's login timeout */
    @Override
    public int getLoginTimeout() throws SQLException {
        return source.getLoginTimeout();
    }

    /** @return the source data source's parent logger */
    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return source.getParentLogger();
    }

    /**
     * Unwraps to this data source only: handing out either pool would let writes bypass the mirror.
     *
     * @throws SQLException for any type this is not
     */
    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("CutoverDataSource wraps two data sources and unwraps to neither, so that writes cannot"
                + " bypass the mirror; keep your own references to the pools to reach them");
    }

    /** @return whether this data source is an instance of the type; it wraps no other it would unwrap to */
    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    /** @return names the migrations */
    @Override
    public String toString() {
        return breakers.size() == 1 ? "CutoverDataSource (migration " + migration() + ")"
                : "CutoverDataSource (migrations " + String.join(", ", breakers.keySet()) + ")";
    }

    /** Builds a {@link CutoverDataSource}; not thread-safe. */
    public static final class Builder {
        private final DataSource source;
        private final DataSource target;
        private final Set<String> passThrough = new LinkedHashSet<>();
        private String migration;
        private MigrationFlags flags;
        private ReadRouter router;
        private RetryQueue retryQueue;
        private RowCopier resync;
        private DualWriteCounters stats;
        private CircuitBreaker circuitBreaker;
        private JdbcRetryStore outboxStore;
        private Duration outboxDelay;
        private boolean crossDialectReads;
        private final List<Added> added = new ArrayList<>();

        /** A migration added with {@link #addMigration}. */
        private record Added(String migration, ReadRouter router, RowCopier resync, DualWriteCounters stats) {
        }

        Builder(DataSource source, DataSource target) {
            this.source = Objects.requireNonNull(source, "null source");
            this.target = Objects.requireNonNull(target, "null target");
        }

        /**
         * Sets the migration whose flags decide the stage.
         *
         * @param migration the migration's name; required
         * @return this builder
         * @throws CutoverConfigurationException if the name is not a valid migration name
         */
        public Builder migration(String migration) {
            this.migration = Names.checkMigrationName(migration);
            return this;
        }

        /**
         * Sets the flags read at the start of every transaction and auto-commit statement.
         *
         * @param flags the application's flags; required
         * @return this builder
         */
        public Builder flags(MigrationFlags flags) {
            this.flags = Objects.requireNonNull(flags, "null flags");
            return this;
        }

        /**
         * Sets the router that serves reads.
         *
         * @param router the router of the same migration; required
         * @return this builder
         */
        public Builder router(ReadRouter router) {
            this.router = Objects.requireNonNull(router, "null router");
            return this;
        }

        /**
         * Sets the queue that takes the copies which could not be made at once; its replay handler
         * should be a {@link CopyReplayHandler} over the same {@link RowCopier}.
         *
         * @param queue the queue; required
         * @return this builder
         */
        public Builder retryQueue(RetryQueue queue) {
            this.retryQueue = Objects.requireNonNull(queue, "null queue");
            return this;
        }

        /**
         * Sets how written keys are copied; its {@link TableMapping}s also say which tables are
         * mirrored (by their source table names while the source is primary, by their target table
         * names while the target is) and which columns form each table's key.
         *
         * @param rowCopier copies rows by key, over the same two databases; required
         * @return this builder
         */
        public Builder rowCopier(RowCopier rowCopier) {
            this.resync = Objects.requireNonNull(rowCopier, "null rowCopier");
            return this;
        }

        /**
         * Adds another migration whose tables this data source mirrors, each with its own stage: one
         * application data source can carry several migrations (one per table or aggregate). A write
         * of a table is keyed, fenced and copied by the migration whose {@link RowCopier} maps it,
         * under that migration's stage, so one can be in {@code SHIFT_READS} while another is in
         * {@code DUAL_WRITE}; a read of one migration's tables goes through that migration's router,
         * a read of several migrations' tables runs on the primary. Each table belongs to one
         * migration only. The retry-queue, the flags and the outbox are shared: the queue's replay
         * handler must replay every migration's entries ({@link CopyReplayHandler#of(Map, MigrationFlags)}).
         *
         * <p>A transaction runs on one primary connection, chosen when it begins: the primary of
         * every migration. While the migrations disagree about the primary (one in
         * {@code TARGET_PRIMARY}, another in {@code SHIFT_READS}), writes are refused before anything
         * is written, with SQLState 55000 and a message naming the migrations, their stages and the
         * fix; so move their primary together, with {@link MigrationFlags#moveTogether}. A transaction
         * takes each written migration's write permit, and commits only while each one's copy window
         * is open.
         *
         * @param migration the migration's name, not one already given
         * @param router the router of that migration
         * @param resync copies its rows by key, over the same two databases, in {@link MirrorMode#SYNC}
         * @param stats its counters, possibly shared with its repositories
         * @return this builder
         * @throws CutoverConfigurationException if the name is not a valid migration name
         */
        public Builder addMigration(String migration, ReadRouter router, RowCopier resync, DualWriteCounters stats) {
            added.add(new Added(Names.checkMigrationName(migration), Objects.requireNonNull(router, "null router"),
                    Objects.requireNonNull(resync, "null resync"), Objects.requireNonNull(stats, "null stats")));
            return this;
        }

        /**
         * Declares tables that are written on the primary only and never mirrored, in every stage
         * (session tables, caches, tables the migration leaves behind). Statements on them, DDL
         * included, are not refused.
         *
         * @param tables table names, optionally schema-qualified, matched case-insensitively; not a
         *     mapped table's ({@link #build()} refuses those, since passing them through would stop
         *     their copies)
         * @return this builder
         * @throws CutoverConfigurationException if a name is blank
         */
        public Builder passThrough(String... tables) {
            for (String table : Objects.requireNonNull(tables, "null tables")) {
                if (Objects.requireNonNull(table, "null table").isBlank()) {
                    throw new CutoverConfigurationException("passThrough table names must not be blank: name each"
                            + " table the application writes on the primary only, such as sessions or app.sessions");
                }
                passThrough.add(table);
            }
            return this;
        }

        /**
         * Whether reads go through the read router (to the target, and shadowed) also when the two
         * sides speak different SQL dialects. Off by default: the application's SQL is written for
         * one dialect (Hibernate's for the source's), so across engines its reads stay on the primary
         * and the DataSource style goes no further than {@code DUAL_WRITE}; a WARN log says so once.
         * Turn it on only for SQL both engines understand alike.
         *
         * @param allowed whether to route reads across dialects
         * @return this builder
         */
        public Builder crossDialectReads(boolean allowed) {
            this.crossDialectReads = allowed;
            return this;
        }

        /**
         * Sets the counters this data source adds to.
         *
         * @param stats counters, possibly shared with the repositories of the migration; default a
         *     new instance, readable only through a shared one
         * @return this builder
         */
        public Builder counters(DualWriteCounters stats) {
            this.stats = Objects.requireNonNull(stats, "null stats");
            return this;
        }

        /**
         * Sets the circuit breaker around direct copies; while it is open, written keys go straight to
         * the retry-queue.
         *
         * @param circuitBreaker the breaker; default as in {@link RepositoryBuilder#mirrorCircuitBreaker}
         * @return this builder
         */
        public Builder mirrorCircuitBreaker(CircuitBreaker circuitBreaker) {
            this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "null circuitBreaker");
            return this;
        }

        /**
         * Makes writes survive a crash of the process between the source's commit and the copy, with
         * a transactional outbox: before the source transaction commits, each written key's retry
         * entry ({@link CopyReplayHandler#intent}) is inserted into {@code store}'s table on the same
         * connection, so it commits with the write or not at all. After the commit the key is copied
         * at once as usual; a failed copy needs no further entry. The entry becomes due
         * {@code delay} after the write and then copies the key once more, which is idempotent.
         *
         * <p>The store's table must be in the source database; {@link #build()} checks it. While the
         * target is primary ({@code TARGET_PRIMARY}) the outbox does not apply, and the default mode
         * (copy, else queue) keeps the source complete.
         *
         * @param store the store the retry-queue drains, in the source database
         * @param delay how long after the write an entry becomes due, 100 ms to 1 hour
         * @return this builder
         * @throws CutoverConfigurationException if the delay is out of range
         */
        public Builder crashSafe(JdbcRetryStore store, Duration delay) {
            this.outboxDelay = Mirror.requireEntryDelay("outbox delay", delay);
            this.outboxStore = Objects.requireNonNull(store, "null store");
            return this;
        }

        /**
         * Validates the configuration and builds the data source.
         *
         * @return the data source
         * @throws CutoverConfigurationException listing every missing or inconsistent part
         */
        public CutoverDataSource build() {
            List<String> problems = new ArrayList<>();
            if (migration == null) {
                problems.add("missing migration(name)");
            }
            if (flags == null) {
                problems.add("missing flags(migrationFlags)");
            }
            if (router == null) {
                problems.add("missing router(readRouter)");
            } else if (migration != null && !router.migration().equals(migration)) {
                problems.add("router(readRouter) routes migration " + router.migration() + ", not " + migration
                        + ": build the router for " + migration);
            }
            if (retryQueue == null) {
                problems.add("missing retryQueue(queue)");
            }
            if (resync == null) {
                problems.add("missing rowCopier(rowCopier)");
            }
            List<Added> all = new ArrayList<>();
            if (migration != null && router != null && resync != null) {
                all.add(new Added(migration, router, resync, stats == null ? new DualWriteCounters() : stats));
            }
            Set<String> names = new LinkedHashSet<>();
            if (migration != null) {
                names.add(migration);
            }
            for (Added more : added) {
                if (!names.add(more.migration())) {
                    problems.add("addMigration(\"" + more.migration() + "\", ...): that migration is already part of"
                            + " this data source; add each migration once");
                }
                if (!more.router().migration().equals(more.migration())) {
                    problems.add("addMigration(\"" + more.migration() + "\", ...): its router routes migration "
                            + more.router().migration() + ": build the router for " + more.migration());
                }
                all.add(more);
            }
            for (Added part : all) {
                String where = part.migration().equals(migration) ? "rowCopier(rowCopier)"
                        : "addMigration(\"" + part.migration() + "\", ...)";
                checkSameNames(part.resync(), problems);
                if (part.resync().mirrorMode() == MirrorMode.ASYNC) {
                    problems.add(where + ": the row copier is in MirrorMode.ASYNC, which only the repository style"
                            + " supports so far: build the row copier for this data source with mirrorMode(MirrorMode.SYNC),"
                            + " or wrap the writes in a repository (Cutover.repository)");
                }
            }
            if (outboxStore != null) {
                checkOutboxInSource(problems);
            }
            List<JdbcContext.Part> mappingsOnly = all.stream().map(p -> new JdbcContext.Part(p.migration(), p.router(),
                    null, mappings(p.resync()))).toList();
            problems.addAll(JdbcContext.tableConflicts(mappingsOnly));
            problems.addAll(JdbcContext.passThroughConflicts(
                    mappingsOnly.stream().flatMap(p -> p.mappings().stream()).toList(), passThrough));
            if (!problems.isEmpty()) {
                throw new CutoverConfigurationException("Cannot build the CutoverDataSource:\n  " + String.join("\n  ", problems));
            }
            Map<Side, Boolean> queueIn = new EnumMap<>(Side.class);
            queueIn.put(Side.SOURCE, QueueAccess.storesIn(retryQueue, source));
            queueIn.put(Side.TARGET, QueueAccess.storesIn(retryQueue, target));
            Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();
            List<JdbcContext.Part> parts = new ArrayList<>();
            for (Added part : all) {
                String name = part.migration();
                // Declared so that operators can flip it from this process before its first flip is stored.
                flags.declare(name);
                CircuitBreaker breaker = circuitBreaker != null && name.equals(migration) ? circuitBreaker
                        : Mirror.defaultBreaker(name, part.resync().copyBudget());
                breakers.put(name, breaker);
                Mirror mirror = new Mirror(name, retryQueue, part.resync(), part.stats(), breaker);
                HandoverSteps.register(flags, name, retryQueue, part.resync());
                parts.add(new JdbcContext.Part(name, part.router(), new Protocol(flags, mirror, outboxStore,
                        outboxDelay, part.resync().copyBudget(), queueIn), mappings(part.resync())));
            }
            MigrationFlags stageFlags = flags;
            JdbcContext context = new JdbcContext(source, target, parts,
                    migrations -> stageFlags.states(migrations).stream().map(MigrationState::stage).toList(),
                    passThrough, all.stream().allMatch(p -> p.resync().logValues()), crossDialectReads);
            return new CutoverDataSource(this, context, Collections.unmodifiableMap(breakers));
        }

        private static List<TableMapping> mappings(RowCopier resync) {
            return resync.entities().stream().map(resync::mapping).toList();
        }

        /** The application's SQL runs as written on either side, so a mapping may convert values but not rename. */
        private static void checkSameNames(RowCopier resync, List<String> problems) {
            for (String entity : resync.entities()) {
                TableMapping mapping = resync.mapping(entity);
                List<String> renamed = renamed(mapping);
                if (!renamed.isEmpty()) {
                    problems.add("mapping " + entity + " names its table or columns differently on the target ("
                            + String.join(", ", renamed) + "); CutoverDataSource runs the"
                            + " application's SQL as written on whichever side is primary and routes reads to either,"
                            + " so both sides need the same names: give the target the source's names (or views of"
                            + " them), or wrap the DAOs with DualWrite.repository(...) instead");
                }
            }
        }

        /**
         * The names that differ between the sides, as {@code source -> target}: the table, then each
         * renamed column (column groups of different sizes as whole lists), so that the refusal says
         * which name to change.
         */
        private static List<String> renamed(TableMapping mapping) {
            List<String> renamed = new java.util.ArrayList<>();
            if (!mapping.sourceTable().equalsIgnoreCase(mapping.targetTable())) {
                renamed.add("table " + mapping.sourceTable() + " -> " + mapping.targetTable());
            }
            List<String> source = mapping.columnNames(Side.SOURCE);
            List<String> target = mapping.columnNames(Side.TARGET);
            if (source.size() != target.size()) {
                renamed.add("columns " + source + " -> " + target);
            } else {
                for (int i = 0; i < source.size(); i++) {
                    if (!source.get(i).equalsIgnoreCase(target.get(i))) {
                        renamed.add("column " + source.get(i) + " -> " + target.get(i));
                    }
                }
            }
            return renamed;
        }

        private void checkOutboxInSource(List<String> problems) {
            try (Connection connection = NetworkTimeouts.connect(source, NetworkTimeouts.DEFAULT_MILLIS);
                    Statement statement = connection.createStatement()) {
                statement.executeQuery("SELECT 1 FROM " + outboxStore.tableName() + " WHERE 1 = 0").close();
            } catch (SQLException e) {
                problems.add("crashSafe(store): the store's table " + outboxStore.tableName() + " cannot be read"
                        + " through the source data source (" + Redaction.describe(e, false) + "); the outbox entry is"
                        + " written in the"
                        + " source transaction, so the store must live in the source database (create it with"
                        + " RetryStore.jdbc(sourceDataSource, prefix).createTables())");
            }
        }
    }

    /** The dual-write core's side of the JDBC wrappers: the shared {@link Mirror}, and the outbox. */
    private static final class Protocol implements WriteProtocol {
        private final MigrationFlags flags;
        private final Mirror mirror;
        private final JdbcRetryStore outboxStore;
        private final Duration outboxDelay;
        private final Duration copyBudget;
        /** Per primary side: whether the retry-queue borrows from that side's pool. */
        private final Map<Side, Boolean> queueIn;

        Protocol(MigrationFlags flags, Mirror mirror, JdbcRetryStore outboxStore, Duration outboxDelay,
                Duration copyBudget, Map<Side, Boolean> queueIn) {
            this.flags = flags;
            this.copyBudget = copyBudget;
            this.queueIn = queueIn;
            this.mirror = mirror;
            this.outboxStore = outboxStore;
            this.outboxDelay = outboxDelay;
        }

        @Override
        public void primaryWrite(Side primary, boolean succeeded) {
            mirror.stats().primaryWrite(primary, succeeded);
        }

        @Override
        public WritePermit beginWrite() throws SQLException {
            try {
                return Handovers.beginWrite(flags, mirror.migration());
            } catch (HandoverException e) {
                throw new SQLTransientException(e.getMessage(), "40001", e);
            }
        }

        @Override
        public boolean committed(Side primary, Connection connection, List<WrittenKey> keys, WritePermit permit,
                boolean outbox) {
            if (outbox) {
                // The entries committed with the keys cover a failed copy; only a late one needs more.
                return mirror.copyCoveredByCommittedEntries(mirrorKeys(keys), primary, new Mirror.CallersConnection(connection,
                        false), permit);
            }
            return mirror.mirror(mirrorKeys(keys), primary, new Mirror.CallersConnection(connection, queueIn.get(primary)),
                    permit);
        }

        @Override
        public void commitFailed(Side primary, List<WrittenKey> keys, WritePermit permit) {
            // The connection whose commit failed may be broken: the queue's own connections take these.
            mirror.enqueue(mirrorKeys(keys), primary, null, CopyBudget.start(copyBudget), permit);
        }

        private static List<Mirror.Key> mirrorKeys(List<WrittenKey> keys) {
            return keys.stream().map(key -> new Mirror.Key(key.entity(), key.key())).toList();
        }

        @Override
        public boolean outbox(Side primary) {
            return outboxStore != null && primary == Side.SOURCE;
        }

        @Override
        public void writeOutbox(Connection connection, Side primary, List<WrittenKey> keys) throws SQLException {
            Instant due = Instant.now().plus(outboxDelay);
            for (WrittenKey key : keys) {
                try {
                    outboxStore.enqueue(connection, CopyReplayHandler.intent(mirror.migration(), key.entity(), key.key(),
                            primary), due);
                } catch (SQLException | RuntimeException e) {
                    mirror.stats().enqueued(primary.other(), false);
                    throw e;
                }
                mirror.stats().enqueued(primary.other(), true);
            }
        }
    }
}
