package dev.cutover.flags;

import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Dialects;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.flags.internal.FlipArguments;
import dev.cutover.flags.internal.KeyListCodec;
import dev.cutover.flags.internal.StoredStates;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A {@link FlagStore} in two tables of a relational database (PostgreSQL, MariaDB/MySQL or H2), so
 * that every instance of an application shares the same flags.
 *
 * <ul>
 *   <li>{@code <prefix>flag_state}: one row per migration ({@code migration, stage,
 *       target_read_percent, shadow_read_percent, target_keys, source_keys, version}). Canary keys are
 *       stored one per line. Operators may change a row with plain SQL, with or without raising
 *       {@code version}: {@link MigrationFlags} compares the flags themselves and picks the change up.
 *       An illegal value (unknown stage, percentage outside 0 to 100 or not a number, such as the
 *       {@code 'NaN'} PostgreSQL's NUMERIC accepts) affects only its own migration: it keeps its last
 *       good state (from memory, else from its newest audit entry), the problem is logged once naming
 *       the migration, column, allowed values and fix, and counted in {@link #invalidValueCount()};
 *       the load does not fail, so every other migration goes on following flips.
 *   <li>{@code <prefix>flag_audit}: one row per flip with the whole state before and after, actor,
 *       reason and time (UTC), written in the same transaction as the state.
 * </ul>
 *
 * <p>The tables are created only by {@link #createTables()}; the DDL for each database ships in this
 * jar as {@code dev/cutover/flags/<postgresql|mariadb|h2>.sql}. Creating the store does not touch the
 * database, so an application starts even while the database is down.
 *
 * <p>Thread-safe; each call borrows one connection from the data source.
 */
public final class JdbcFlagStore implements FlagStore {
    private static final String STATE_COLUMNS = "stage, target_read_percent, shadow_read_percent, target_keys, source_keys";

    private final DataSource dataSource;
    private final JdbcFlagStoreConfig config;
    private final int networkTimeoutMillis;
    private final String stateTable;
    private final String auditTable;
    private final StoredStates storedStates;

    private JdbcFlagStore(DataSource dataSource, JdbcFlagStoreConfig config) {
        this.dataSource = Objects.requireNonNull(dataSource, "null dataSource");
        this.config = Objects.requireNonNull(config, "null config");
        this.networkTimeoutMillis = (int) config.networkTimeout().toMillis();
        this.stateTable = config.tablePrefix() + "flag_state";
        this.auditTable = config.tablePrefix() + "flag_audit";
        this.storedStates = new StoredStates("table " + stateTable, "UPDATE the column to a legal value, or flip"
                + " the migration through MigrationFlags, which rewrites the whole row");
    }

    /**
     * A store with the default settings ({@link JdbcFlagStoreConfig#ofDefaults()}).
     *
     * @param dataSource the database holding the flag tables, ideally pooled
     * @return the store
     */
    public static JdbcFlagStore create(DataSource dataSource) {
        return new JdbcFlagStore(dataSource, JdbcFlagStoreConfig.ofDefaults());
    }

    /**
     * A store with the given settings.
     *
     * @param dataSource the database holding the flag tables, ideally pooled
     * @param config the settings
     * @return the store
     */
    public static JdbcFlagStore create(DataSource dataSource, JdbcFlagStoreConfig config) {
        return new JdbcFlagStore(dataSource, config);
    }

    /** @return the name of the state table, e.g. {@code cutover_flag_state} */
    public String stateTable() {
        return stateTable;
    }

    /** @return the name of the audit table, e.g. {@code cutover_flag_audit} */
    public String auditTable() {
        return auditTable;
    }

    /**
     * Creates both tables and the audit index if they do not exist yet, with the DDL for the
     * database's dialect. Safe to call again.
     *
     * @throws FlagStoreException if the database is unreachable or refuses the DDL
     * @throws dev.cutover.common.CutoverException if the database is not one Cutover supports
     */
    public void createTables() {
        try (Connection connection = connect()) {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            Dialects.runScript(Dialect.detect(connection), connection, JdbcFlagStore.class, config.tablePrefix());
        } catch (SQLException e) {
            throw new FlagStoreException("Cannot create the flag tables " + stateTable + " and " + auditTable + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, MigrationState> loadAll() {
        String sql = "SELECT migration, version, " + STATE_COLUMNS + " FROM " + stateTable;
        List<StoredRow> rows = new ArrayList<>();
        try (Connection connection = connect();
             PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet result = statement.executeQuery()) {
            while (result.next()) {
                rows.add(new StoredRow(result.getString(1), result.getLong(2), RawState.read(result, 3)));
            }
        } catch (SQLException e) {
            throw unreachable("read the flags from " + stateTable, e);
        }
        // Resolved after the connection is back in the pool: a stand-in may need the audit table.
        Map<String, MigrationState> states = new HashMap<>();
        for (StoredRow row : rows) {
            MigrationState state = storedStates.resolve(row.migration(), row.version(),
                    () -> row.raw().decode(row.migration(), row.version()), this::newestAuditedState);
            if (state != null) {
                states.put(row.migration(), state);
            }
        }
        return states;
    }

    @Override
    public MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
        FlipArguments.check(expected, next, actor, reason);
        MigrationState stored = next.toBuilder().version(expected.version() + 1).build();
        LocalDateTime at = LocalDateTime.ofInstant(config.clock().instant().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
        try (Connection connection = connect()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                if (!compareAndSet(connection, expected, stored)) {
                    throw FlipArguments.conflict(expected, storedVersion(connection, expected.migration()));
                }
                insertAudit(connection, expected, stored, actor, reason, at);
                connection.commit();
                storedStates.stored(stored);
                return stored;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                if (e instanceof SQLException && isConflict((SQLException) e)) {
                    throw new ConcurrentFlipException("Migration '" + expected.migration() + "' was flipped"
                            + " concurrently while saving version " + stored.version() + ": " + e.getMessage(), e);
                }
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw unreachable("save the flags of migration '" + expected.migration() + "' to " + stateTable, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every row is updated (or, at version 0, inserted) and audited on one connection in one
     * transaction; the first lost compare-and-set rolls all of them back.
     */
    @Override
    public List<MigrationState> saveAll(List<MigrationState> expected, List<MigrationState> next, String actor,
            String reason) {
        FlipArguments.checkAll(expected, next, actor, reason);
        List<MigrationState> stored = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            stored.add(next.get(i).toBuilder().version(expected.get(i).version() + 1).build());
        }
        LocalDateTime at = LocalDateTime.ofInstant(config.clock().instant().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
        String migrations = expected.stream().map(MigrationState::migration).toList().toString();
        try (Connection connection = connect()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                for (int i = 0; i < expected.size(); i++) {
                    MigrationState before = expected.get(i);
                    if (!compareAndSet(connection, before, stored.get(i))) {
                        throw FlipArguments.conflict(before, storedVersion(connection, before.migration()));
                    }
                    insertAudit(connection, before, stored.get(i), actor, reason, at);
                }
                connection.commit();
                stored.forEach(storedStates::stored);
                return List.copyOf(stored);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                if (e instanceof SQLException && isConflict((SQLException) e)) {
                    throw new ConcurrentFlipException("Migrations " + migrations + " were flipped concurrently while"
                            + " being saved together: " + e.getMessage(), e);
                }
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw unreachable("save the flags of migrations " + migrations + " together to " + stateTable, e);
        }
    }

    @Override
    public List<FlagChange> audit(String migration, int limit) {
        FlipArguments.checkAuditQuery(migration, limit);
        String sql = "SELECT id, changed_at, actor, reason, before_version, before_stage, before_target_read_percent,"
                + " before_shadow_read_percent, before_target_keys, before_source_keys, after_version, after_stage,"
                + " after_target_read_percent, after_shadow_read_percent, after_target_keys, after_source_keys"
                + " FROM " + auditTable + " WHERE migration = ? ORDER BY id DESC LIMIT ?";
        List<FlagChange> changes = new ArrayList<>();
        try (Connection connection = connect();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, migration);
            statement.setInt(2, limit);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    changes.add(readChange(migration, rows));
                }
            }
        } catch (SQLException e) {
            throw unreachable("read the audit of migration '" + migration + "' from " + auditTable, e);
        }
        return changes;
    }

    @Override
    public long invalidValueCount() {
        return storedStates.invalidValueCount();
    }

    private Connection connect() throws SQLException {
        return NetworkTimeouts.connect(dataSource, networkTimeoutMillis);
    }

    @Override
    public String toString() {
        return "JdbcFlagStore{" + stateTable + ", " + auditTable + "}";
    }

    private boolean compareAndSet(Connection connection, MigrationState expected, MigrationState stored)
            throws SQLException {
        String update = "UPDATE " + stateTable + " SET stage = ?, target_read_percent = ?, shadow_read_percent = ?,"
                + " target_keys = ?, source_keys = ?, version = ? WHERE migration = ? AND version = ?";
        try (PreparedStatement statement = connection.prepareStatement(update)) {
            int at = bindState(statement, 1, stored);
            statement.setLong(at, stored.version());
            statement.setString(at + 1, stored.migration());
            statement.setLong(at + 2, expected.version());
            if (statement.executeUpdate() == 1) {
                return true;
            }
        }
        if (expected.version() != 0) {
            return false;
        }
        // Version 0 means never stored: the row is created, and a concurrent creator loses on the key.
        String insert = "INSERT INTO " + stateTable + " (migration, version, " + STATE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement statement = connection.prepareStatement(insert)) {
            statement.setString(1, stored.migration());
            statement.setLong(2, stored.version());
            bindState(statement, 3, stored);
            statement.executeUpdate();
            return true;
        }
    }

    private void insertAudit(Connection connection, MigrationState before, MigrationState after, String actor,
                             String reason, LocalDateTime at) throws SQLException {
        String sql = "INSERT INTO " + auditTable + " (migration, changed_at, actor, reason, before_version, before_stage,"
                + " before_target_read_percent, before_shadow_read_percent, before_target_keys, before_source_keys,"
                + " after_version, after_stage, after_target_read_percent, after_shadow_read_percent,"
                + " after_target_keys, after_source_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, after.migration());
            statement.setObject(2, at);
            statement.setString(3, actor);
            statement.setString(4, reason);
            statement.setLong(5, before.version());
            int next = bindState(statement, 6, before);
            statement.setLong(next, after.version());
            bindState(statement, next + 1, after);
            statement.executeUpdate();
        }
    }

    /** Binds the five state columns in {@link #STATE_COLUMNS} order; returns the next parameter index. */
    private static int bindState(PreparedStatement statement, int at, MigrationState state) throws SQLException {
        statement.setString(at, state.stage().name());
        statement.setBigDecimal(at + 1, BigDecimal.valueOf(state.targetReadBasisPoints(), 2));
        statement.setBigDecimal(at + 2, BigDecimal.valueOf(state.shadowReadBasisPoints(), 2));
        statement.setString(at + 3, KeyListCodec.encode(state.targetKeys()));
        statement.setString(at + 4, KeyListCodec.encode(state.sourceKeys()));
        return at + 5;
    }

    private long storedVersion(Connection connection, String migration) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT version FROM " + stateTable + " WHERE migration = ?")) {
            statement.setString(1, migration);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        }
    }

    private FlagChange readChange(String migration, ResultSet rows) throws SQLException {
        long id = rows.getLong(1);
        LocalDateTime at = rows.getObject(2, LocalDateTime.class);
        try {
            MigrationState before = RawState.read(rows, 6).decode(migration, rows.getLong(5));
            MigrationState after = RawState.read(rows, 12).decode(migration, rows.getLong(11));
            return new FlagChange(migration, before, after, rows.getString(3), rows.getString(4),
                    at.toInstant(ZoneOffset.UTC));
        } catch (IllegalArgumentException e) {
            throw new FlagStoreException("Audit row " + id + " of migration '" + migration + "' in " + auditTable
                    + " holds an illegal value: " + e.getMessage(), e);
        }
    }

    /** The after-state of the newest audit entry: the last state stored through Cutover. */
    private MigrationState newestAuditedState(String migration) {
        try {
            List<FlagChange> newest = audit(migration, 1);
            return newest.isEmpty() ? null : newest.get(0).after();
        } catch (FlagStoreException e) {
            return null;
        }
    }

    private static boolean isConflict(SQLException e) {
        String state = e.getSQLState();
        // 23xxx: a concurrent creator inserted the row first; 40001/40P01: the database chose this
        // transaction as a deadlock or serialization victim. Both mean another flip won.
        return state != null && (state.startsWith("23") || state.equals("40001") || state.equals("40P01"));
    }

    private static void rollbackQuietly(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private FlagStoreException unreachable(String what, SQLException e) {
        return new FlagStoreException("Cannot " + what + " [SQLState " + e.getSQLState() + "; check that the database is"
                + " reachable and that createTables() was run once]: " + e.getMessage(), e);
    }

    /** One row of the state table, before validation. */
    private record StoredRow(String migration, long version, RawState raw) {
    }

    /**
     * The five state columns of one row, as stored, before validation. Percentages are read as text:
     * PostgreSQL's NUMERIC accepts {@code 'NaN'}, which no {@link BigDecimal} can hold, and a driver
     * error on one row's value must not fail the load of every migration.
     */
    private record RawState(String stage, String targetReadPercent, String shadowReadPercent,
                            String targetKeys, String sourceKeys) {
        static RawState read(ResultSet rows, int at) throws SQLException {
            return new RawState(rows.getString(at), rows.getString(at + 1), rows.getString(at + 2),
                    rows.getString(at + 3), rows.getString(at + 4));
        }

        MigrationState decode(String migration, long version) {
            double target = percent("target_read_percent", targetReadPercent);
            double shadow = percent("shadow_read_percent", shadowReadPercent);
            return StoredStates.decode(migration, stage, target, shadow, keys("target_keys", targetKeys),
                    keys("source_keys", sourceKeys), version);
        }

        private static double percent(String column, String value) {
            BigDecimal number;
            try {
                number = new BigDecimal(Objects.requireNonNull(value, "missing").strip());
            } catch (NumberFormatException | NullPointerException e) {
                throw new IllegalArgumentException("column " + column + " must be a number between 0 and 100, but was "
                        + (value == null ? "missing" : "'" + value + "'"));
            }
            if (number.signum() < 0 || number.compareTo(BigDecimal.valueOf(100)) > 0 || number.stripTrailingZeros().scale() > 2) {
                throw new IllegalArgumentException("column " + column + " must be between 0 and 100 in steps of 0.01,"
                        + " but was " + value);
            }
            return number.doubleValue();
        }

        private static List<String> keys(String column, String value) {
            try {
                return KeyListCodec.decode(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("column " + column + ": " + e.getMessage(), e);
            }
        }
    }
}
