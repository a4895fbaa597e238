package dev.cutover.queue.internal;

import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import dev.cutover.queue.ClaimResult;
import dev.cutover.queue.EntryStatus;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.MigrationStats;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
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
 */
public final class JdbiRetryStore implements JdbcRetryStore {
    /** Tries of a self-managed transaction chosen as a deadlock victim. */
    private static final int CONFLICT_ATTEMPTS = 5;
    /** Candidates read per claimed entry: room for losing some to other instances. */
    private static final int CANDIDATES_PER_CLAIM = 4;
    /** Claimable entries, per candidate wanted, that a claim checks one by one before grouping the table. */
    private static final int WINDOW_PER_CANDIDATE = 4;
    private static final int MAX_ERROR = 2000;
    private static final String COLUMNS = "id, migration, entity, routing_key, replay_mode, operation, payload, status,"
            + " attempts, next_attempt_at, last_error, created_at, lease_owner, lease_until";

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final Dialect dialect;
    private final String tablePrefix;
    private final String table;
    private final String candidatesSql;
    private final String windowCandidatesSql;
    private final String lockSql;
    private final String optimisticClaimSql;

    private JdbiRetryStore(DataSource dataSource, Dialect dialect, String tablePrefix) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
        this.dialect = dialect;
        this.tablePrefix = tablePrefix;
        this.table = tablePrefix + "retry_entry";
        String noLaterLiveLease = " NOT EXISTS (SELECT 1 FROM " + table + " o WHERE o.migration = e.migration"
                + " AND o.entity = e.entity AND o.routing_key = e.routing_key AND o.lease_until >= :now"
                + " AND o.id > e.id)";
        String claimable = " e.status = 'PENDING' AND e.next_attempt_at <= :now"
                + " AND (e.lease_owner IS NULL OR e.lease_until < :now)";
        String noEarlierEntry = " NOT EXISTS (SELECT 1 FROM " + table + " p WHERE p.migration = e.migration"
                + " AND p.entity = e.entity AND p.routing_key = e.routing_key AND p.id < e.id)";
        String heads = "SELECT MIN(id) AS id FROM " + table + " GROUP BY migration, entity, routing_key";
        // Materialised first, so that PostgreSQL never re-joins every entry against every head, even
        // on a table without statistics yet; the other engines materialise a grouped derived table anyway.
        String headsFirst = dialect == Dialect.POSTGRESQL
                ? "WITH h AS MATERIALIZED (" + heads + ") SELECT e.id, e.migration FROM h"
                : "SELECT e.id, e.migration FROM (" + heads + ") h";
        this.candidatesSql = headsFirst + " JOIN " + table + " e ON e.id = h.id WHERE" + claimable + " AND"
                + noLaterLiveLease + " ORDER BY e.id LIMIT :limit";
        this.windowCandidatesSql = "SELECT e.id, e.migration FROM (SELECT c.id, c.migration, c.entity, c.routing_key"
                + " FROM " + table + " c WHERE c.status = 'PENDING' AND c.next_attempt_at <= :now"
                + " AND (c.lease_owner IS NULL OR c.lease_until < :now) ORDER BY c.id LIMIT :window) e WHERE"
                + noEarlierEntry + " AND" + noLaterLiveLease + " ORDER BY e.id LIMIT :limit";
        this.lockSql = "SELECT e.id FROM " + table + " e WHERE e.id IN (<ids>) AND" + claimable
                + " ORDER BY e.id LIMIT :limit FOR UPDATE SKIP LOCKED";
        this.optimisticClaimSql = "UPDATE " + table + " e SET lease_owner = :owner, lease_until = :until"
                + " WHERE e.id = :id AND" + claimable + " AND" + noLaterLiveLease + " AND" + noEarlierEntry;
    }

    /**
     * Creates the store; see {@link dev.cutover.queue.RetryStore#jdbc}.
     *
     * @param dataSource the database
     * @param tablePrefix prefix of the table's name
     * @return the store
     */
    public static JdbiRetryStore create(DataSource dataSource, String tablePrefix) {
        Objects.requireNonNull(dataSource, "null dataSource");
        Dialect.requireIdentifier(tablePrefix, "tablePrefix");
        return new JdbiRetryStore(dataSource, Dialect.detect(dataSource), tablePrefix);
    }

    @Override
    public void createTables() {
        jdbi.useHandle(handle -> {
            try {
                dialect.runScript(handle.getConnection(), JdbiRetryStore.class, tablePrefix);
            } catch (SQLException e) {
                throw new CutoverException("Cannot create the retry queue table " + table + ": " + e.getMessage(), e);
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
            return inTransactionRetryingConflicts(handle -> enqueue(handle, entry, now));
        } catch (SQLException | JdbiException e) {
            throw new CutoverException("Cannot enqueue a retry entry into " + table + ": " + e.getMessage(), e);
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
            }
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
            supersedePending(connection, entry);
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
     * Removes the key's pending, unleased entries, which a new RESYNC entry makes unnecessary.
     *
     * <p>The rows are found with a plain read and deleted by primary key: a ranged {@code DELETE} on
     * the key index would take InnoDB gap locks even when nothing matches, and concurrent enqueues of
     * neighbouring keys then deadlock each other.
     */
    private void supersedePending(Connection connection, NewRetryEntry entry) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM " + table
                + " WHERE migration = ? AND entity = ? AND routing_key = ? AND status = 'PENDING'"
                + " AND lease_owner IS NULL")) {
            select.setString(1, entry.migration());
            select.setString(2, entry.entity());
            select.setString(3, entry.key());
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        for (long id : ids) {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table
                    + " WHERE id = ? AND status = 'PENDING' AND lease_owner IS NULL")) {
                delete.setLong(1, id);
                delete.executeUpdate();
            }
        }
    }

    @Override
    public ClaimResult claim(String owner, Instant now, int limit, Duration lease) {
        Objects.requireNonNull(owner, "null owner");
        long nowMillis = now.toEpochMilli();
        long until = now.plus(lease).toEpochMilli();
        int wanted = limit * CANDIDATES_PER_CLAIM;
        List<Candidate> candidates = jdbi.withHandle(handle -> {
            // First the lowest claimable entries, each checked for being its key's head with index
            // probes: cheap whatever the backlog. When that window holds enough heads, they are the
            // first heads of the whole table, because every claimable entry before them is in the
            // window. Otherwise (few keys with many entries each, or a small backlog) group the table.
            List<Candidate> found = candidates(handle.createQuery(windowCandidatesSql)
                    .bind("window", wanted * WINDOW_PER_CANDIDATE), nowMillis, wanted);
            return found.size() == wanted ? found : candidates(handle.createQuery(candidatesSql), nowMillis, wanted);
        });
        if (candidates.isEmpty()) {
            return ClaimResult.EMPTY;
        }
        List<RetryEntry> entries;
        if (dialect == Dialect.POSTGRESQL) {
            entries = leaseReturning(candidates, owner, nowMillis, until, limit);
        } else {
            List<Long> leased = dialect.supportsSkipLocked()
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

    private static List<Candidate> candidates(Query query, long now, int wanted) {
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

    @Override
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

    @Override
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
    public long pendingCount() {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM " + table
                + " WHERE status = 'PENDING'").mapTo(Long.class).one());
    }

    @Override
    public Map<String, MigrationStats> stats() {
        List<StatsRow> rows = jdbi.withHandle(handle -> handle.createQuery("SELECT migration, status, COUNT(*),"
                        + " MIN(created_at) FROM " + table + " GROUP BY migration, status")
                .map((rs, ctx) -> new StatsRow(rs.getString(1), EntryStatus.valueOf(rs.getString(2)), rs.getLong(3),
                        Instant.ofEpochMilli(rs.getLong(4))))
                .list());
        Map<String, MigrationStats> stats = new HashMap<>();
        for (StatsRow row : rows) {
            MigrationStats add = row.status() == EntryStatus.PENDING
                    ? new MigrationStats(row.count(), 0, Optional.of(row.oldest()))
                    : new MigrationStats(0, row.count(), Optional.empty());
            stats.merge(row.migration(), add, JdbiRetryStore::sum);
        }
        return stats;
    }

    private static MigrationStats sum(MigrationStats a, MigrationStats b) {
        return new MigrationStats(a.pending() + b.pending(), a.parked() + b.parked(),
                a.oldestPendingCreatedAt().or(b::oldestPendingCreatedAt));
    }

    @Override
    public List<RetryEntry> parked(int limit) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM " + table
                        + " WHERE status = 'PARKED' ORDER BY id LIMIT :limit")
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
                        + " WHERE id = :id AND status = 'PARKED'")
                .bind("id", id)
                .bind("now", now.toEpochMilli())
                .execute()) == 1;
    }

    @Override
    public boolean discard(long id) {
        return jdbi.withHandle(handle -> handle.createUpdate("DELETE FROM " + table
                        + " WHERE id = :id AND status = 'PARKED'")
                .bind("id", id)
                .execute()) == 1;
    }

    private static RetryEntry read(ResultSet rs) throws SQLException {
        long leaseUntil = rs.getLong("lease_until");
        Instant lease = rs.wasNull() ? null : Instant.ofEpochMilli(leaseUntil);
        return new RetryEntry(
                rs.getLong("id"),
                rs.getString("migration"),
                rs.getString("entity"),
                rs.getString("routing_key"),
                ReplayMode.valueOf(rs.getString("replay_mode")),
                rs.getString("operation"),
                rs.getString("payload"),
                EntryStatus.valueOf(rs.getString("status")),
                rs.getInt("attempts"),
                Instant.ofEpochMilli(rs.getLong("next_attempt_at")),
                rs.getString("last_error"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                rs.getString("lease_owner"),
                lease);
    }

    private static String truncate(String text) {
        String value = text == null ? "(no message)" : text;
        return value.length() <= MAX_ERROR ? value : value.substring(0, MAX_ERROR - 3) + "...";
    }

    private record Candidate(long id, String migration) {
    }

    private record Lease(String owner, long until) {
    }

    private record StatsRow(String migration, EntryStatus status, long count, Instant oldest) {
    }
}
