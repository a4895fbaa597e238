package dev.cutover.queue.internal;

import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.Dialects;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import dev.cutover.queue.ClaimResult;
import dev.cutover.queue.EntryStatus;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.QueueDepth;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.ReplayMode;
import dev.cutover.queue.RetryEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.Query;

/**
 * {@link JdbcRetryStore} on JDBI. Claims run in two steps. First a plain read finds the heads of
 * their keys (lowest id per key) that are due and whose key has no other live lease. Then the
 * heads are leased: on PostgreSQL by one {@code UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
 * LOCKED) RETURNING}; on MariaDB/MySQL by a {@code SELECT ... FOR UPDATE SKIP LOCKED} and an
 * {@code UPDATE} in a short transaction (no {@code UPDATE ... RETURNING} there); on H2 by a
 * conditional {@code UPDATE} per candidate that repeats the head check, where a row count of 0
 * means another instance was first. The locking step cannot do the head check itself, because on
 * InnoDB its subquery would skip locked rows too and wrongly see a later entry as the head; a
 * locked head stays visible to the plain read, so the entry behind it is never a candidate.
 *
 * <p>Only rows whose status and replay mode this version reads are claimed; the others still count
 * as their key's head, so they block their own key, until {@link #parkUnreadable} parks them. The
 * store's own connections get a network timeout of {@value NetworkTimeouts#DEFAULT_MILLIS} ms, so that a
 * stalled database fails a claim or a completion instead of holding a worker for many minutes.
 */
public final class RetryEntryTable implements JdbcRetryStore, OwnRetryStore {
    /** The stored values this version reads; anything else is unreadable and gets parked. */
    private static final String KNOWN_MODES = "'REPLAY', 'RESYNC'";
    private static final String KNOWN_STATUSES = "'PENDING', 'PARKED'";
    /** Tries of a self-managed transaction chosen as a deadlock victim. */
    private static final int CONFLICT_ATTEMPTS = 10;
    /** Longest pause between two runs of a deadlock victim: 10 attempts wait at most about 0.3 s in all. */
    private static final long CONFLICT_PAUSE_CAP_MILLIS = 50;
    /** Candidates read per claimed entry: room for losing some to other instances. */
    private static final int CANDIDATES_PER_CLAIM = 4;
    /** Claimable entries, per candidate wanted, that a claim checks one by one before grouping the table. */
    private static final int WINDOW_PER_CANDIDATE = 4;
    private static final int MAX_ERROR = 2000;
    /** Keys one query of {@link #keysWithEntries} asks about: a batch of the asynchronous copier at most. */
    private static final int KEYS_PER_QUERY = 1_000;
    private static final String COLUMNS = "id, migration, entity, routing_key, replay_mode, operation, payload, status,"
            + " attempts, next_attempt_at, last_error, created_at, lease_owner, lease_until";

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final Dialect dialect;
    private final String tablePrefix;
    private final String table;
    private final String candidatesSql;
    private final String windowCandidatesSql;
    private final String filteredCandidatesSql;
    private final String filteredWindowCandidatesSql;
    private final String lockSql;
    private final String optimisticClaimSql;

    private RetryEntryTable(DataSource dataSource, Dialect dialect, String tablePrefix, int networkTimeoutMillis) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(() -> NetworkTimeouts.connect(dataSource, networkTimeoutMillis));
        this.dialect = dialect;
        this.tablePrefix = tablePrefix;
        this.table = tablePrefix + "retry_entry";
        String noLaterLiveLease = " NOT EXISTS (SELECT 1 FROM " + table + " o WHERE o.migration = e.migration"
                + " AND o.entity = e.entity AND o.routing_key = e.routing_key AND o.lease_until >= :now"
                + " AND o.id > e.id)";
        // A lease without an end (a damaged row) counts as ended, so that it cannot hold its key forever.
        String claimable = " e.status = 'PENDING' AND e.replay_mode IN (" + KNOWN_MODES + ") AND e.next_attempt_at <= :now"
                + " AND (e.lease_owner IS NULL OR e.lease_until IS NULL OR e.lease_until < :now)";
        String noEarlierEntry = " NOT EXISTS (SELECT 1 FROM " + table + " p WHERE p.migration = e.migration"
                + " AND p.entity = e.entity AND p.routing_key = e.routing_key AND p.id < e.id)";
        this.candidatesSql = candidatesSql(dialect, "", claimable, noLaterLiveLease);
        this.windowCandidatesSql = windowCandidatesSql("", noEarlierEntry, noLaterLiveLease);
        // The migration filter of a claimer that replays only some migrations (rolling deploys).
        this.filteredCandidatesSql = candidatesSql(dialect, " WHERE migration IN (<migrations>)", claimable,
                noLaterLiveLease);
        this.filteredWindowCandidatesSql = windowCandidatesSql(" AND c.migration IN (<migrations>)", noEarlierEntry,
                noLaterLiveLease);
        this.lockSql = "SELECT e.id FROM " + table + " e WHERE e.id IN (<ids>) AND" + claimable
                + " ORDER BY e.id LIMIT :limit FOR UPDATE SKIP LOCKED";
        this.optimisticClaimSql = "UPDATE " + table + " e SET lease_owner = :owner, lease_until = :until"
                + " WHERE e.id = :id AND" + claimable + " AND" + noLaterLiveLease + " AND" + noEarlierEntry;
    }

    private String candidatesSql(Dialect dialect, String filter, String claimable, String noLaterLiveLease) {
        String heads = "SELECT MIN(id) AS id FROM " + table + filter + " GROUP BY migration, entity, routing_key";
        // Materialised first, so that PostgreSQL never re-joins every entry against every head, even
        // on a table without statistics yet; the other engines materialise a grouped derived table anyway.
        String headsFirst = dialect == Dialect.POSTGRESQL
                ? "WITH h AS MATERIALIZED (" + heads + ") SELECT e.id, e.migration FROM h"
                : "SELECT e.id, e.migration FROM (" + heads + ") h";
        return headsFirst + " JOIN " + table + " e ON e.id = h.id WHERE" + claimable + " AND" + noLaterLiveLease
                + " ORDER BY e.id LIMIT :limit";
    }

    private String windowCandidatesSql(String filter, String noEarlierEntry, String noLaterLiveLease) {
        return "SELECT e.id, e.migration FROM (SELECT c.id, c.migration, c.entity, c.routing_key"
                + " FROM " + table + " c WHERE c.status = 'PENDING' AND c.replay_mode IN (" + KNOWN_MODES + ")"
                + " AND c.next_attempt_at <= :now AND (c.lease_owner IS NULL OR c.lease_until IS NULL"
                + " OR c.lease_until < :now)" + filter + " ORDER BY c.id LIMIT :window) e WHERE"
                + noEarlierEntry + " AND" + noLaterLiveLease + " ORDER BY e.id LIMIT :limit";
    }

    /**
     * Creates the store; see {@link dev.cutover.queue.RetryStore#jdbc}.
     *
     * @param dataSource the database
     * @param tablePrefix prefix of the table's name
     * @return the store
     */
    public static RetryEntryTable create(DataSource dataSource, String tablePrefix) {
        return create(dataSource, tablePrefix, NetworkTimeouts.DEFAULT_MILLIS);
    }

    /**
     * Creates the store with another network timeout on its own connections, for tests that stall
     * the database.
     *
     * @param dataSource the database
     * @param tablePrefix prefix of the table's name
     * @param networkTimeoutMillis the longest wait for one network read, positive
     * @return the store
     */
    public static RetryEntryTable create(DataSource dataSource, String tablePrefix, int networkTimeoutMillis) {
        Objects.requireNonNull(dataSource, "null dataSource");
        Checks.identifier(tablePrefix, "tablePrefix");
        Checks.between("networkTimeoutMillis", networkTimeoutMillis, 1, Integer.MAX_VALUE);
        return new RetryEntryTable(dataSource, Dialect.detect(dataSource), tablePrefix, networkTimeoutMillis);
    }

    @Override
    public void createTables() {
        jdbi.useHandle(handle -> {
            try {
                Dialects.runScript(dialect, handle.getConnection(), RetryEntryTable.class, tablePrefix);
            } catch (SQLException e) {
                throw new CutoverException("Cannot create the retry queue table " + table + ": " + Redaction.message(e, false), e);
            }
        });
    }

    @Override
    public String tableName() {
        return table;
    }

    @Override
    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public long enqueue(NewRetryEntry entry, Instant now) {
        try {
            return inTransactionRetryingConflicts(handle -> enqueue(handle.getConnection(), entry, now));
        } catch (SQLException | JdbiException e) {
            throw new CutoverException("Cannot enqueue a retry entry into " + table + ": " + Redaction.message(e, false), e);
        }
    }

    @Override
    public long enqueueCoalescing(NewRetryEntry entry, Instant due) {
        Objects.requireNonNull(entry, "null entry");
        Objects.requireNonNull(due, "null due");
        try {
            return inTransactionRetryingConflicts(handle -> {
                Long into = coalesce(handle.getConnection(), entry, due);
                return into != null ? into : enqueue(handle.getConnection(), entry, due);
            });
        } catch (SQLException | JdbiException e) {
            throw new CutoverException("Cannot enqueue a retry entry into " + table + ": " + Redaction.message(e, false), e);
        }
    }

    /**
     * Makes the key's newest entry due at {@code due} at the latest, if it is a pending, unleased twin
     * of the new entry. The newest entry is found with a plain read, then changed by primary key under
     * the same conditions, so that an entry leased, parked or removed meanwhile is left alone (and the
     * new entry is added instead); claims re-check the due time when they lock, so an entry made due
     * later is not leased on its old due time. Should the read be stale and the twin no longer be the
     * newest, the result is still safe: the twin keeps its place, ahead of the newer entries, and only
     * copies later than it would have.
     *
     * @return the twin's id, or null if the new entry must be added
     */
    private Long coalesce(Connection connection, NewRetryEntry entry, Instant due) throws SQLException {
        long newest;
        try (PreparedStatement select = connection.prepareStatement("SELECT id, replay_mode, operation, payload,"
                + " status, lease_owner FROM " + table + " WHERE migration = ? AND entity = ? AND routing_key = ?"
                + " ORDER BY id DESC LIMIT 1")) {
            select.setString(1, entry.migration());
            select.setString(2, entry.entity());
            select.setString(3, entry.key());
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next() || !entry.mode().name().equals(rs.getString(2)) || !entry.operation().equals(rs.getString(3))
                        || !entry.payload().toString().equals(rs.getString(4)) || !"PENDING".equals(rs.getString(5))
                        || rs.getString(6) != null) {
                    return null;
                }
                newest = rs.getLong(1);
            }
        }
        try (PreparedStatement update = connection.prepareStatement("UPDATE " + table + " SET next_attempt_at ="
                + " CASE WHEN next_attempt_at < ? THEN ? ELSE next_attempt_at END"
                + " WHERE id = ? AND status = 'PENDING' AND lease_owner IS NULL")) {
            update.setLong(1, due.toEpochMilli());
            update.setLong(2, due.toEpochMilli());
            update.setLong(3, newest);
            return update.executeUpdate() == 1 ? newest : null;
        }
    }

    /**
     * Runs a transaction of this store's own, again when the database picks it as a deadlock victim.
     * A victim's transaction was rolled back whole, so running it again is safe; giving up would
     * lose a mirror write (enqueue) or leave replayed entries to be replayed again after their lease
     * (complete). InnoDB picks such victims among concurrent workers even for statements by key.
     */
    private <R> R inTransactionRetryingConflicts(HandleCallback<R, SQLException> work) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return jdbi.inTransaction(work);
            } catch (SQLException | JdbiException e) {
                if (attempt >= CONFLICT_ATTEMPTS || !isTransientConflict(e)) {
                    throw e;
                }
                pauseAfterConflict(attempt);
            }
        }
    }

    /**
     * Waits a random time, growing with the attempt, before running a deadlock victim again: many
     * writers enqueueing at once (an asynchronous mirror's overflow) deadlock on InnoDB's gap locks
     * again and again when they all retry at once, and a refused enqueue fails its write.
     */
    private static void pauseAfterConflict(int attempt) {
        long bound = Math.min(CONFLICT_PAUSE_CAP_MILLIS, 1L << attempt);
        try {
            Thread.sleep(1 + java.util.concurrent.ThreadLocalRandom.current().nextLong(bound));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean isTransientConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                String state = ((SQLException) t).getSQLState();
                // 40001 serialization failure / MariaDB deadlock, 40P01 PostgreSQL deadlock.
                if ("40001".equals(state) || "40P01".equals(state)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public long enqueue(Connection connection, NewRetryEntry entry, Instant now) throws SQLException {
        Objects.requireNonNull(connection, "null connection");
        Objects.requireNonNull(entry, "null entry");
        Objects.requireNonNull(now, "null now");
        if (entry.mode() == ReplayMode.RESYNC) {
            supersedePending(connection, entry, now);
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table
                + " (migration, entity, routing_key, replay_mode, operation, payload, status, attempts,"
                + " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            insert.setString(1, entry.migration());
            insert.setString(2, entry.entity());
            insert.setString(3, entry.key());
            insert.setString(4, entry.mode().name());
            insert.setString(5, entry.operation());
            insert.setString(6, entry.payload().toString());
            insert.setLong(7, now.toEpochMilli());
            insert.setLong(8, now.toEpochMilli());
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("The driver returned no generated id for the new entry in " + table);
                }
                return keys.getLong(1);
            }
        }
    }

    /**
     * Removes the key's pending, unleased entries, which a new RESYNC entry makes unnecessary, except
     * those not yet due that were never tried: one of them may be a crash-safe write-ahead intent
     * whose write is still running, which the new entry, due earlier, would copy too soon to see.
     *
     * <p>The rows are found with a plain read and deleted by primary key: a ranged {@code DELETE} on
     * the key index would take InnoDB gap locks even when nothing matches, and concurrent enqueues of
     * neighbouring keys then deadlock each other.
     */
    private void supersedePending(Connection connection, NewRetryEntry entry, Instant now) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM " + table
                + " WHERE migration = ? AND entity = ? AND routing_key = ? AND status = 'PENDING'"
                + " AND lease_owner IS NULL AND (attempts > 0 OR next_attempt_at <= ?)")) {
            select.setString(1, entry.migration());
            select.setString(2, entry.entity());
            select.setString(3, entry.key());
            select.setLong(4, now.toEpochMilli());
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        for (long id : ids) {
            // The conditions again: a coalescing enqueue may have made the entry due later meanwhile.
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table
                    + " WHERE id = ? AND status = 'PENDING' AND lease_owner IS NULL"
                    + " AND (attempts > 0 OR next_attempt_at <= ?)")) {
                delete.setLong(1, id);
                delete.setLong(2, now.toEpochMilli());
                delete.executeUpdate();
            }
        }
    }

    @Override
    public ClaimResult claim(String owner, Instant now, int limit, Duration lease,
            Optional<Set<String>> migrations) {
        Objects.requireNonNull(owner, "null owner");
        Objects.requireNonNull(migrations, "null migrations");
        if (migrations.isPresent() && migrations.get().isEmpty()) {
            return ClaimResult.EMPTY;
        }
        long nowMillis = now.toEpochMilli();
        long until = now.plus(lease).toEpochMilli();
        int wanted = limit * CANDIDATES_PER_CLAIM;
        List<Candidate> candidates = jdbi.withHandle(handle -> {
            // First the lowest claimable entries, each checked for being its key's head with index
            // probes: cheap whatever the backlog. When that window holds enough heads, they are the
            // first heads of the whole table, because every claimable entry before them is in the
            // window. Otherwise (few keys with many entries each, or a small backlog) group the table.
            // A migration filter applies to both alike, so the argument holds within the filter.
            Query window = handle.createQuery(migrations.isPresent() ? filteredWindowCandidatesSql : windowCandidatesSql)
                    .bind("window", wanted * WINDOW_PER_CANDIDATE);
            List<Candidate> found = candidates(window, nowMillis, wanted, migrations);
            return found.size() == wanted ? found : candidates(handle.createQuery(migrations.isPresent()
                    ? filteredCandidatesSql : candidatesSql), nowMillis, wanted, migrations);
        });
        if (candidates.isEmpty()) {
            return ClaimResult.EMPTY;
        }
        List<RetryEntry> entries;
        if (dialect == Dialect.POSTGRESQL) {
            entries = leaseReturning(candidates, owner, nowMillis, until, limit);
        } else {
            List<Long> leased = Dialects.supportsSkipLocked(dialect)
                    ? lockAndLease(candidates, owner, nowMillis, until, limit)
                    : leaseOptimistically(candidates, owner, nowMillis, until, limit);
            entries = leased.isEmpty() ? List.of() : jdbi.withHandle(handle -> handle
                    .createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE id IN (<ids>) ORDER BY id")
                    .bindList("ids", leased)
                    .map((rs, ctx) -> read(rs))
                    .list());
        }
        return new ClaimResult(entries, conflicts(candidates, entries.stream().map(RetryEntry::id).toList(), limit));
    }

    private static List<Candidate> candidates(Query query, long now, int wanted, Optional<Set<String>> migrations) {
        migrations.ifPresent(names -> query.bindList("migrations", List.copyOf(names)));
        return query.bind("now", now)
                .bind("limit", wanted)
                .map((rs, ctx) -> new Candidate(rs.getLong(1), rs.getString(2)))
                .list();
    }

    /** PostgreSQL locks, leases and returns the entries in one statement, a single round trip. */
    private List<RetryEntry> leaseReturning(List<Candidate> candidates, String owner, long now, long until, int limit) {
        List<Long> ids = candidates.stream().map(Candidate::id).toList();
        List<RetryEntry> leased = new ArrayList<>(jdbi.withHandle(handle -> handle.createQuery("UPDATE " + table
                        + " SET lease_owner = :owner, lease_until = :until WHERE id IN (" + lockSql + ") RETURNING "
                        + COLUMNS)
                .bindList("ids", ids)
                .bind("now", now)
                .bind("limit", limit)
                .bind("owner", owner)
                .bind("until", until)
                .map((rs, ctx) -> read(rs))
                .list()));
        leased.sort(Comparator.comparingLong(RetryEntry::id));
        return leased;
    }

    /**
     * Locks and leases in one transaction, again when InnoDB picks it as a deadlock victim (claimers
     * locking neighbouring rows of the lease index do deadlock): a victim leased nothing, and giving
     * up would idle the worker for a poll interval while entries are due.
     */
    private List<Long> lockAndLease(List<Candidate> candidates, String owner, long now, long until, int limit) {
        List<Long> ids = candidates.stream().map(Candidate::id).toList();
        return uncheckedRetryingConflicts(handle -> {
            List<Long> locked = handle.createQuery(lockSql)
                    .bindList("ids", ids)
                    .bind("now", now)
                    .bind("limit", limit)
                    .mapTo(Long.class)
                    .list();
            if (!locked.isEmpty()) {
                handle.createUpdate("UPDATE " + table + " SET lease_owner = :owner, lease_until = :until"
                                + " WHERE id IN (<ids>)")
                        .bind("owner", owner)
                        .bind("until", until)
                        .bindList("ids", locked)
                        .execute();
            }
            return locked;
        });
    }

    private List<Long> leaseOptimistically(List<Candidate> candidates, String owner, long now, long until, int limit) {
        return jdbi.withHandle(handle -> {
            List<Long> leased = new ArrayList<>();
            for (Candidate candidate : candidates) {
                if (leased.size() == limit) {
                    break;
                }
                int rows = handle.createUpdate(optimisticClaimSql)
                        .bind("owner", owner)
                        .bind("until", until)
                        .bind("id", candidate.id())
                        .bind("now", now)
                        .execute();
                if (rows == 1) {
                    leased.add(candidate.id());
                }
            }
            return leased;
        });
    }

    /** A candidate counts as a conflict if the claim reached it (it lies before the last entry taken) but lost it. */
    private static Map<String, Integer> conflicts(List<Candidate> candidates, List<Long> claimed, int limit) {
        long reached = claimed.size() < limit ? Long.MAX_VALUE : claimed.get(claimed.size() - 1);
        Set<Long> taken = new HashSet<>(claimed);
        Map<String, Integer> conflicts = new HashMap<>();
        for (Candidate candidate : candidates) {
            if (candidate.id() <= reached && !taken.contains(candidate.id())) {
                conflicts.merge(candidate.migration(), 1, Integer::sum);
            }
        }
        return conflicts;
    }

    @Override
    public int completeAll(List<RetryEntry> claimed) {
        Map<Lease, List<Long>> byLease = new HashMap<>();
        for (RetryEntry entry : claimed) {
            requireClaimed(entry);
            byLease.computeIfAbsent(new Lease(entry.leaseOwner(), entry.leaseUntil().toEpochMilli()),
                    lease -> new ArrayList<>()).add(entry.id());
        }
        return uncheckedRetryingConflicts(handle -> {
            int removed = 0;
            for (Map.Entry<Lease, List<Long>> lease : byLease.entrySet()) {
                removed += handle.createUpdate("DELETE FROM " + table
                                + " WHERE id IN (<ids>) AND lease_owner = :owner AND lease_until = :until")
                        .bindList("ids", lease.getValue())
                        .bind("owner", lease.getKey().owner())
                        .bind("until", lease.getKey().until())
                        .execute();
            }
            return removed;
        });
    }

    @Override
    public boolean fail(RetryEntry claimed, String error, Instant nextAttemptAt) {
        return underLease("UPDATE " + table + " SET attempts = attempts + 1, last_error = :error, next_attempt_at = :next,"
                        + " lease_owner = NULL, lease_until = NULL WHERE", claimed,
                Map.of("error", truncate(error), "next", nextAttemptAt.toEpochMilli()));
    }

    @Override
    public boolean park(RetryEntry claimed, String reason) {
        return underLease("UPDATE " + table + " SET status = 'PARKED', attempts = attempts + 1, last_error = :error,"
                + " lease_owner = NULL, lease_until = NULL WHERE", claimed, Map.of("error", truncate(reason)));
    }

    @Override
    public boolean release(RetryEntry claimed) {
        return underLease("UPDATE " + table + " SET lease_owner = NULL, lease_until = NULL WHERE", claimed, Map.of());
    }

    private <R> R uncheckedRetryingConflicts(HandleCallback<R, SQLException> work) {
        try {
            return inTransactionRetryingConflicts(work);
        } catch (SQLException e) {
            throw new CutoverException("Retry store " + table + " failed: " + e.getMessage(), e);
        }
    }

    /** Runs a statement on the entry only while the claim that returned it still holds it. */
    private boolean underLease(String statement, RetryEntry claimed, Map<String, Object> more) {
        requireClaimed(claimed);
        return uncheckedRetryingConflicts(handle -> handle.createUpdate(statement
                        + " id = :id AND lease_owner = :owner AND lease_until = :until")
                .bind("id", claimed.id())
                .bind("owner", claimed.leaseOwner())
                .bind("until", claimed.leaseUntil().toEpochMilli())
                .bindMap(more)
                .execute()) == 1;
    }

    static void requireClaimed(RetryEntry claimed) {
        Objects.requireNonNull(claimed, "null claimed");
        if (claimed.leaseOwner() == null || claimed.leaseUntil() == null) {
            throw new IllegalArgumentException("entry " + claimed.describe() + " was not claimed: it has no lease");
        }
    }

    @Override
    public boolean hasEntries(String migration, String entity, String key) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT id FROM " + table
                        + " WHERE migration = :migration AND entity = :entity AND routing_key = :key"
                        + " ORDER BY id LIMIT 1")
                .bind("migration", migration)
                .bind("entity", entity)
                .bind("key", key)
                .mapTo(Long.class)
                .findOne()
                .isPresent());
    }

    /** One query per {@value #KEYS_PER_QUERY} keys, over the index on (migration, entity, routing_key, id). */
    @Override
    public Set<String> keysWithEntries(String migration, String entity, Collection<String> keys) {
        Objects.requireNonNull(migration, "null migration");
        Objects.requireNonNull(entity, "null entity");
        List<String> all = List.copyOf(keys);
        Set<String> found = new HashSet<>();
        for (int from = 0; from < all.size(); from += KEYS_PER_QUERY) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + KEYS_PER_QUERY));
            found.addAll(jdbi.withHandle(handle -> handle.createQuery("SELECT DISTINCT routing_key FROM " + table
                            + " WHERE migration = :migration AND entity = :entity AND routing_key IN (<keys>)")
                    .bind("migration", migration)
                    .bind("entity", entity)
                    .bindList("keys", chunk)
                    .mapTo(String.class)
                    .list()));
        }
        return found;
    }

    /**
     * {@link #hasEntries(String, String, String)} on the caller's connection, in whatever
     * transaction it has open.
     *
     * @param connection the caller's connection to the database holding the table
     * @param migration the migration
     * @param entity the entity
     * @param key the routing key
     * @return whether the key has entries
     * @throws SQLException if the query fails
     */
    public boolean hasEntries(Connection connection, String migration, String entity, String key) throws SQLException {
        Objects.requireNonNull(connection, "null connection");
        try (PreparedStatement query = connection.prepareStatement("SELECT id FROM " + table
                + " WHERE migration = ? AND entity = ? AND routing_key = ? ORDER BY id LIMIT 1")) {
            query.setString(1, migration);
            query.setString(2, entity);
            query.setString(3, key);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * {@link #hasEntries(String)} on the caller's connection, in whatever transaction it has open.
     *
     * @param connection the caller's connection to the database holding the table
     * @param migration the migration
     * @return whether the migration has entries
     * @throws SQLException if the query fails
     */
    public boolean hasEntries(Connection connection, String migration) throws SQLException {
        Objects.requireNonNull(connection, "null connection");
        try (PreparedStatement query = connection.prepareStatement("SELECT id FROM " + table
                + " WHERE migration = ? ORDER BY migration, entity, routing_key, id LIMIT 1")) {
            query.setString(1, migration);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public boolean hasEntries(String migration) {
        Objects.requireNonNull(migration, "null migration");
        return jdbi.withHandle(handle -> handle.createQuery("SELECT id FROM " + table
                        + " WHERE migration = :migration ORDER BY migration, entity, routing_key, id LIMIT 1")
                .bind("migration", migration)
                .mapTo(Long.class)
                .findOne()
                .isPresent());
    }

    @Override
    public long countEntries(String migration, String operation) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM " + table
                        + " WHERE migration = :migration AND operation = :operation")
                .bind("migration", migration)
                .bind("operation", operation)
                .mapTo(Long.class).one());
    }

    @Override
    public int makeDue(String migration, String operation, Instant now) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE " + table + " SET next_attempt_at = :now"
                        + " WHERE migration = :migration AND operation = :operation AND status = 'PENDING'"
                        + " AND lease_owner IS NULL AND next_attempt_at > :now")
                .bind("now", now.toEpochMilli())
                .bind("migration", migration)
                .bind("operation", operation)
                .execute());
    }

    @Override
    public List<RetryEntry> parkUnreadable(Instant now) {
        Objects.requireNonNull(now, "null now");
        List<Unreadable> unreadable = jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM " + table
                        + " WHERE status NOT IN (" + KNOWN_STATUSES + ") OR (status = 'PENDING' AND replay_mode NOT IN ("
                        + KNOWN_MODES + ")) ORDER BY id LIMIT 1000")
                .map((rs, ctx) -> new Unreadable(rs.getLong("id"), rs.getString("status"), rs.getString("replay_mode"),
                        this.read(rs)))
                .list());
        List<RetryEntry> parked = new ArrayList<>();
        for (Unreadable row : unreadable) {
            // Only the row as read: one fixed or taken meanwhile is left alone.
            boolean changed = jdbi.withHandle(handle -> handle.createUpdate("UPDATE " + table + " SET status = 'PARKED',"
                            + " last_error = :error, lease_owner = NULL, lease_until = NULL WHERE id = :id"
                            + " AND status = :status AND replay_mode = :mode"
                            + " AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < :now)")
                    .bind("error", truncate(row.entry().lastError()))
                    .bind("id", row.id())
                    .bind("status", row.status())
                    .bind("mode", row.mode())
                    .bind("now", now.toEpochMilli())
                    .execute()) == 1;
            if (changed) {
                find(row.id()).ifPresent(parked::add);
            }
        }
        return parked;
    }

    @Override
    public long blockedCount() {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM " + table + " e WHERE e.status = 'PENDING'"
                        + " AND (e.replay_mode NOT IN (" + KNOWN_MODES + ") OR EXISTS (SELECT 1 FROM " + table + " p"
                        + " WHERE p.migration = e.migration AND p.entity = e.entity AND p.routing_key = e.routing_key"
                        + " AND p.id < e.id AND (p.status <> 'PENDING' OR p.replay_mode NOT IN (" + KNOWN_MODES + "))))")
                .mapTo(Long.class)
                .one());
    }

    @Override
    public long pendingCount() {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM " + table
                + " WHERE status = 'PENDING'").mapTo(Long.class).one());
    }

    @Override
    public Map<String, QueueDepth> stats() {
        List<StatsRow> rows = jdbi.withHandle(handle -> handle.createQuery("SELECT migration, status, COUNT(*),"
                        + " MIN(created_at) FROM " + table + " GROUP BY migration, status")
                .map((rs, ctx) -> new StatsRow(rs.getString(1), statusOf(rs.getString(2)), rs.getLong(3),
                        Instant.ofEpochMilli(rs.getLong(4))))
                .list());
        Map<String, QueueDepth> stats = new HashMap<>();
        for (StatsRow row : rows) {
            QueueDepth add = row.status() == EntryStatus.PENDING
                    ? new QueueDepth(row.count(), 0, Optional.of(row.oldest()))
                    : new QueueDepth(0, row.count(), Optional.empty());
            stats.merge(row.migration(), add, RetryEntryTable::sum);
        }
        return stats;
    }

    private static QueueDepth sum(QueueDepth a, QueueDepth b) {
        return new QueueDepth(a.pending() + b.pending(), a.parked() + b.parked(),
                a.oldestPendingCreatedAt().or(b::oldestPendingCreatedAt));
    }

    @Override
    public List<RetryEntry> parked(int limit) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM " + table
                        + " WHERE status <> 'PENDING' ORDER BY id LIMIT :limit")
                .bind("limit", limit)
                .map((rs, ctx) -> read(rs))
                .list());
    }

    @Override
    public Optional<RetryEntry> find(long id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> read(rs))
                .findOne());
    }

    @Override
    public boolean requeue(long id, Instant now) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE " + table + " SET status = 'PENDING', attempts = 0,"
                        + " next_attempt_at = :now, lease_owner = NULL, lease_until = NULL"
                        + " WHERE id = :id AND status <> 'PENDING'")
                .bind("id", id)
                .bind("now", now.toEpochMilli())
                .execute()) == 1;
    }

    @Override
    public boolean discard(long id) {
        return jdbi.withHandle(handle -> handle.createUpdate("DELETE FROM " + table
                        + " WHERE id = :id AND status <> 'PENDING'")
                .bind("id", id)
                .execute()) == 1;
    }

    /**
     * Reads a row without ever failing on its status or mode: an unknown mode reads as
     * {@link ReplayMode#UNKNOWN} and an unknown status as {@link EntryStatus#PARKED}, which is what it
     * counts as; until such a row is parked, its last error reads as what is wrong with it.
     */
    private RetryEntry read(ResultSet rs) throws SQLException {
        long id = rs.getLong("id");
        String mode = rs.getString("replay_mode");
        String status = rs.getString("status");
        long leaseUntil = rs.getLong("lease_until");
        Instant lease = rs.wasNull() ? null : Instant.ofEpochMilli(leaseUntil);
        EntryStatus readStatus = statusOf(status);
        boolean unreadable = !isKnownStatus(status) || (readStatus == EntryStatus.PENDING && modeOf(mode) == ReplayMode.UNKNOWN);
        return new RetryEntry(
                id,
                rs.getString("migration"),
                rs.getString("entity"),
                rs.getString("routing_key"),
                modeOf(mode),
                rs.getString("operation"),
                rs.getString("payload"),
                readStatus,
                rs.getInt("attempts"),
                Instant.ofEpochMilli(rs.getLong("next_attempt_at")),
                unreadable ? unreadableReason(id, status, mode) : rs.getString("last_error"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                rs.getString("lease_owner"),
                lease);
    }

    private static boolean isKnownStatus(String status) {
        return "PENDING".equals(status) || "PARKED".equals(status);
    }

    private static EntryStatus statusOf(String status) {
        return "PENDING".equals(status) ? EntryStatus.PENDING : EntryStatus.PARKED;
    }

    private static ReplayMode modeOf(String mode) {
        return "REPLAY".equals(mode) ? ReplayMode.REPLAY : "RESYNC".equals(mode) ? ReplayMode.RESYNC : ReplayMode.UNKNOWN;
    }

    /** What is wrong with an unreadable row and how to fix it, as its parked entry's last error. */
    private String unreadableReason(long id, String status, String mode) {
        StringBuilder reason = new StringBuilder("unreadable entry, parked: ");
        if (!isKnownStatus(status)) {
            reason.append("column status is '").append(status).append("', not PENDING or PARKED");
        }
        if (modeOf(mode) == ReplayMode.UNKNOWN) {
            reason.append(isKnownStatus(status) ? "" : "; ").append("column replay_mode is '").append(mode)
                    .append("', not REPLAY or RESYNC");
        }
        reason.append(". Its key's later entries wait behind it; other keys are not affected. Fix: ");
        if (modeOf(mode) == ReplayMode.UNKNOWN) {
            reason.append("set replay_mode to what the entry needs (UPDATE ").append(table)
                    .append(" SET replay_mode = 'RESYNC' WHERE id = ").append(id)
                    .append(" copies the key's current row), then requeue it (RetryQueue.requeue(").append(id)
                    .append(")), or discard it (RetryQueue.discard(").append(id).append(")) if the target is right");
        } else {
            reason.append("requeue it (RetryQueue.requeue(").append(id).append(")) to replay it, or discard it")
                    .append(" (RetryQueue.discard(").append(id).append(")) if the target is right");
        }
        return reason.toString();
    }

    private static String truncate(String text) {
        String value = text == null ? "(no message)" : text;
        return value.length() <= MAX_ERROR ? value : value.substring(0, MAX_ERROR - 3) + "...";
    }

    private record Candidate(long id, String migration) {
    }

    private record Lease(String owner, long until) {
    }

    private record Unreadable(long id, String status, String mode, RetryEntry entry) {
    }

    private record StatsRow(String migration, EntryStatus status, long count, Instant oldest) {
    }
}
