package dev.cutover.dualwrite;

import dev.cutover.common.Dialect;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.HandoverStep;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.internal.QueueAccess;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handover steps both wrapping styles register for their migration (see
 * {@link Handovers#addStep}), run on every instance before it writes a new primary:
 * <ul>
 *   <li><b>queue drained</b>: no entry of the migration still copies from the old primary (pending,
 *       leased, backing off or parked); those not yet due, such as write-ahead intents, are made due
 *       at once. They carry acknowledged writes the new primary does not have yet;
 *   <li><b>copies ended</b> (PostgreSQL): every copy that had begun writing the new primary, from any
 *       instance, has committed or rolled back there, so that none can commit after the new primary's
 *       own writes passed over its uncommitted insert (see {@link RowCopier#awaitCopiesInto});
 *   <li><b>sequences advanced</b>: copies insert explicit ids, so the new primary's sequences and
 *       identity columns never moved; for each mapped key column that has one, it is moved past the
 *       largest id the table holds, never backwards (PostgreSQL serial and identity columns, H2
 *       identity columns; MariaDB and MySQL move {@code AUTO_INCREMENT} past explicit ids by themselves);
 *       and every sequence of the new primary's schema that the old primary's schema has by the same
 *       name is moved up to the old one's value, so that sequences no column owns (Hibernate's
 *       {@code SEQUENCE} ids) and id blocks an application took from the old side (Hibernate's pooled
 *       optimizer hands out the block below the value it fetched) are never handed out again
 *       (PostgreSQL to PostgreSQL and H2 to H2).
 * </ul>
 */
final class HandoverSteps {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverSteps.class);
    private static final int NETWORK_TIMEOUT_MILLIS = 10_000;
    /** How long the sequence step waits for the old primary, which may be the side that is failing. */
    private static final int OLD_PRIMARY_TIMEOUT_MILLIS = 2_000;
    /**
     * How long one attempt of the handover waits for copies still open on the new primary; the
     * handover tries again after it, so writes wait as long as such a copy is open.
     */
    private static final Duration COPIES_WAIT = Duration.ofSeconds(2);

    private HandoverSteps() {
    }

    static void register(MigrationFlags flags, String migration, RetryQueue queue, RowCopier resync) {
        if (queue != null) {
            Handovers.addStep(flags, migration, "queue@" + System.identityHashCode(queue), queueDrained(queue));
        }
        if (resync != null) {
            // One step of each kind per set of tables, however many wrappers (each with its own row
            // copier) share them: every run of a step costs round trips to both sides, up to its
            // timeouts when one of them fails, and the handover needs all of its steps in one attempt.
            // Flags that outlive their wrappers (the property's, across its tries) gained a step per
            // wrapper, until a handover behind a failing target took longer than the writers could wait.
            String tables = receivingTables(resync);
            Handovers.addStep(flags, migration, "copies@" + tables, copiesEnded(resync));
            Handovers.addStep(flags, migration, "sequences@" + tables, sequencesAdvanced(resync));
        }
    }

    static HandoverStep queueDrained(RetryQueue queue) {
        return (migration, oldPrimary, newPrimary) -> {
            String operation = oldPrimary == Side.SOURCE ? CopyReplayHandler.TO_TARGET : CopyReplayHandler.TO_SOURCE;
            QueueAccess.makeDue(queue, migration, operation);
            long owed = QueueAccess.countEntries(queue, migration, operation);
            if (owed > 0) {
                throw new IllegalStateException(owed + " cop" + (owed == 1 ? "y" : "ies") + " from the " + lower(oldPrimary)
                        + " of migration " + migration + " are still queued (pending or parked) and must reach the "
                        + lower(newPrimary) + " first; make the " + lower(newPrimary) + " reachable, keep the queue"
                        + " workers running and requeue parked entries (queue.parked(n), queue.requeue(id))");
            }
        };
    }

    /** @return the tables a row copier writes on either side, sorted: the identity of its steps */
    private static String receivingTables(RowCopier resync) {
        java.util.TreeSet<String> tables = new java.util.TreeSet<>();
        for (String entity : resync.entities()) {
            TableMapping mapping = resync.mapping(entity);
            tables.add("source:" + mapping.sourceTable());
            tables.add("target:" + mapping.targetTable());
        }
        return String.join(",", tables);
    }

    /**
     * Waits until the copies that had begun writing the new primary (copies of the old primary's epoch,
     * from any instance) have ended there: see {@link RowCopier#awaitCopiesInto}. PostgreSQL only.
     */
    static HandoverStep copiesEnded(RowCopier resync) {
        return (migration, oldPrimary, newPrimary) -> {
            if (resync.dialect(newPrimary) != Dialect.POSTGRESQL) {
                return;
            }
            try (Connection connection = NetworkTimeouts.connect(resync.dataSource(newPrimary), NETWORK_TIMEOUT_MILLIS)) {
                resync.awaitCopiesInto(newPrimary, connection, COPIES_WAIT);
            } catch (SQLException e) {
                throw new SQLException("Could not make sure on the " + lower(newPrimary) + " that the copies from the "
                        + lower(oldPrimary) + " of migration " + migration + " that had begun writing it before the move"
                        + " have ended there (a copy whose connection was cut or stalled may still commit when its bytes"
                        + " arrive, and must not commit after the new primary's writes); writes wait until this succeeds."
                        + " Fix: make the " + lower(newPrimary) + " reachable; if it is and this persists, look for"
                        + " sessions idle in transaction there (pg_stat_activity): " + Redaction.describe(e, false), e.getSQLState(), e);
            }
        };
    }

    static HandoverStep sequencesAdvanced(RowCopier resync) {
        // Key columns found without a generator are not looked up again: most keys have none, and the
        // step runs on every instance at every move.
        Set<String> withoutGenerator = ConcurrentHashMap.newKeySet();
        return (migration, oldPrimary, newPrimary) -> {
            for (String entity : resync.entities()) {
                advance(resync, resync.mapping(entity), newPrimary, withoutGenerator);
            }
            syncSequences(resync, oldPrimary, newPrimary);
        };
    }

    /** Moves each sequence of the new primary's schema up to the old primary's sequence of the same name. */
    private static void syncSequences(RowCopier resync, Side oldPrimary, Side newPrimary) throws SQLException {
        Dialect dialect = resync.dialect(newPrimary);
        if (dialect != Dialect.POSTGRESQL && dialect != Dialect.H2) {
            return;
        }
        String list = dialect == Dialect.POSTGRESQL
                ? "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
                : "SELECT SEQUENCE_NAME, BASE_VALUE FROM INFORMATION_SCHEMA.SEQUENCES WHERE SEQUENCE_SCHEMA = SCHEMA()";
        java.util.Map<String, Long> old = new java.util.HashMap<>();
        // The borrow is bounded too: a stalled old primary would hold it for the pool's own connection
        // timeout (HikariCP: 30 s, as long as a write waits for the handover by default).
        try (Connection connection = CopyBudget.borrowWithin("Borrowing a connection of the " + lower(oldPrimary),
                Duration.ofMillis(OLD_PRIMARY_TIMEOUT_MILLIS),
                () -> NetworkTimeouts.connect(resync.dataSource(oldPrimary), OLD_PRIMARY_TIMEOUT_MILLIS));
                Statement statement = connection.createStatement()) {
            if (resync.dialect(oldPrimary) != dialect) {
                return;
            }
            try (ResultSet rs = statement.executeQuery(list)) {
                while (rs.next()) {
                    long value = rs.getLong(2);
                    if (!rs.wasNull()) {
                        old.put(rs.getString(1), value);
                    }
                }
            }
        } catch (SQLException e) {
            // A move away from a failing side (a rollback during a target outage) must not wait for
            // that side: without its values, a sequence may hand out an id again, which fails the
            // insert with a duplicate key, loudly; nothing is lost.
            LOG.warn("Could not read the sequences of the old primary ({}) while moving the primary to the {}: {}."
                    + " Sequences no column owns were not moved up to it; an insert that draws an id the old primary"
                    + " already handed out fails with a duplicate key. Fix: once the {} is reachable, setval each such"
                    + " sequence past the largest id of its table", lower(oldPrimary), lower(newPrimary),
                    Redaction.describe(e, false), lower(oldPrimary));
            return;
        }
        if (old.isEmpty()) {
            return;
        }
        try (Connection connection = NetworkTimeouts.connect(resync.dataSource(newPrimary), NETWORK_TIMEOUT_MILLIS)) {
            java.util.Map<String, Long> behind = new java.util.LinkedHashMap<>();
            try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(list)) {
                while (rs.next()) {
                    Long oldValue = old.get(rs.getString(1));
                    long value = rs.getLong(2);
                    if (oldValue != null && (rs.wasNull() || value < oldValue)) {
                        behind.put(rs.getString(1), oldValue);
                    }
                }
            }
            for (java.util.Map.Entry<String, Long> sequence : behind.entrySet()) {
                if (dialect == Dialect.POSTGRESQL) {
                    // last_value was handed out on the old side: the next value here comes after it.
                    try (PreparedStatement set = connection.prepareStatement(
                            "SELECT setval(format('%I.%I', current_schema(), ?::text), ?)")) {
                        set.setString(1, sequence.getKey());
                        set.setLong(2, sequence.getValue());
                        set.executeQuery().close();
                    }
                } else {
                    // BASE_VALUE is the next value the old side hands out; so it is here, from now on.
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("ALTER SEQUENCE \"" + sequence.getKey().replace("\"", "\"\"")
                                + "\" RESTART WITH " + sequence.getValue());
                    }
                }
                LOG.info("Advanced sequence {} to {} on the new primary, as far as on the old one", sequence.getKey(),
                        sequence.getValue());
            }
        }
    }

    private static void advance(RowCopier resync, TableMapping mapping, Side side, Set<String> withoutGenerator)
            throws SQLException {
        Dialect dialect = resync.dialect(side);
        if (dialect != Dialect.POSTGRESQL && dialect != Dialect.H2) {
            return;
        }
        String table = side == Side.SOURCE ? mapping.sourceTable() : mapping.targetTable();
        List<String> columns = mapping.keyColumnNames(side).stream()
                .filter(column -> !withoutGenerator.contains(side + "\0" + table + "\0" + column)).toList();
        if (columns.isEmpty()) {
            return;
        }
        try (Connection connection = NetworkTimeouts.connect(resync.dataSource(side), NETWORK_TIMEOUT_MILLIS)) {
            for (String column : columns) {
                boolean generated = dialect == Dialect.POSTGRESQL ? advancePostgres(connection, table, column)
                        : advanceH2(connection, table, column);
                if (!generated) {
                    withoutGenerator.add(side + "\0" + table + "\0" + column);
                }
            }
        }
    }

    /** @return whether the column has a sequence */
    private static boolean advancePostgres(Connection connection, String table, String column) throws SQLException {
        String sequence;
        try (PreparedStatement find = connection.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
            find.setString(1, table);
            find.setString(2, column);
            try (ResultSet rs = find.executeQuery()) {
                sequence = rs.next() ? rs.getString(1) : null;
            }
        }
        if (sequence == null) {
            return false;
        }
        // Only forward: setval runs only while the last id handed out is below the table's largest.
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT setval('" + sequence.replace("'", "''") + "', m.mx)"
                        + " FROM (SELECT MAX(" + column + ") AS mx FROM " + table + ") m, " + sequence + " s"
                        + " WHERE m.mx IS NOT NULL AND (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)"
                        + " < m.mx")) {
            if (rs.next()) {
                LOG.info("Advanced sequence {} of {}.{} to {} for the new primary", sequence, table, column, rs.getLong(1));
            }
        }
        return true;
    }

    /** @return whether the column is an identity column */
    private static boolean advanceH2(Connection connection, String table, String column) throws SQLException {
        String bare = table.substring(table.lastIndexOf('.') + 1);
        Long next;
        try (PreparedStatement find = connection.prepareStatement("SELECT IDENTITY_BASE FROM INFORMATION_SCHEMA.COLUMNS"
                + " WHERE UPPER(TABLE_NAME) = UPPER(?) AND UPPER(COLUMN_NAME) = UPPER(?) AND IS_IDENTITY = 'YES'"
                + " AND TABLE_SCHEMA = SCHEMA()")) {
            find.setString(1, bare);
            find.setString(2, column);
            try (ResultSet rs = find.executeQuery()) {
                next = rs.next() ? rs.getLong(1) : null;
            }
        }
        if (next == null) {
            return false;
        }
        long max;
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT MAX(" + column + ") FROM " + table)) {
            rs.next();
            max = rs.getLong(1);
            if (rs.wasNull() || max < next) {
                return true;
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE " + table + " ALTER COLUMN " + column + " RESTART WITH " + (max + 1));
        }
        LOG.info("Advanced the identity of {}.{} to {} for the new primary", table, column, max + 1);
        return true;
    }

    private static String lower(Side side) {
        return side.name().toLowerCase(Locale.ROOT);
    }
}
