package dev.cutover.dualwrite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/** A hand-written JDBC ledger over a table whose names are given, so source and target schemas may differ. */
final class JdbcLedger implements Ledger {
    private final DataSource dataSource;
    private final String table;
    private final String id;
    private final String owner;
    private final String balance;
    /** Per-account locks every write of the ledger takes around its transaction, or null for none. */
    private final Map<Long, ReentrantLock> accountLocks;

    JdbcLedger(DataSource dataSource, String table, String id, String owner, String balance) {
        this(dataSource, table, id, owner, balance, null);
    }

    private JdbcLedger(DataSource dataSource, String table, String id, String owner, String balance,
            Map<Long, ReentrantLock> accountLocks) {
        this.dataSource = dataSource;
        this.table = table;
        this.id = id;
        this.owner = owner;
        this.balance = balance;
        this.accountLocks = accountLocks;
    }

    /**
     * This ledger with its writes of one account serialized (across every ledger built with the same
     * locks). For H2 only: H2 (2.3.232 to 2.5.252) loses a committed row when a transaction whose
     * UPDATE or DELETE met that row deleted by a concurrent transaction rolls back after it was
     * re-inserted (see README, "The H2 bug"). The fault injection rolls the application's own
     * transactions back, so concurrent writes of one account would show H2's loss, not Cutover's;
     * copies and replays still race these writes.
     *
     * @param locks the locks shared by every instance of the application
     * @return the serialized ledger
     */
    JdbcLedger serializedPerAccount(Map<Long, ReentrantLock> locks) {
        return new JdbcLedger(dataSource, table, id, owner, balance, locks);
    }

    static JdbcLedger source(DataSource dataSource) {
        return new JdbcLedger(dataSource, "account", "id", "owner", "balance");
    }

    static JdbcLedger target(DataSource dataSource) {
        return new JdbcLedger(dataSource, "accounts", "account_id", "owner_name", "balance_cents");
    }

    static void createTables(dev.cutover.testsupport.TestDatabase source, dev.cutover.testsupport.TestDatabase target) {
        source.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL,"
                + " version BIGINT NOT NULL, note VARCHAR(40))");
        target.execute("CREATE TABLE accounts (account_id BIGINT PRIMARY KEY, owner_name VARCHAR(40) NOT NULL,"
                + " balance_cents BIGINT NOT NULL, version BIGINT NOT NULL, note VARCHAR(40))");
    }

    /** The data source style's schema: the application's SQL runs on either side, so both have the source's table. */
    static void createSameTables(dev.cutover.testsupport.TestDatabase source, dev.cutover.testsupport.TestDatabase target) {
        for (dev.cutover.testsupport.TestDatabase db : List.of(source, target)) {
            db.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL,"
                    + " version BIGINT NOT NULL, note VARCHAR(40))");
        }
    }

    static TableMapping sameSchemaMapping() {
        return TableMapping.builder("accounts").sourceTable("account")
                .key("id", Long.class)
                .column("owner")
                .column("balance")
                .column("version")
                .column("note")
                .build();
    }

    static TableMapping mapping() {
        return TableMapping.builder("accounts").sourceTable("account").targetTable("accounts")
                .key("id", "account_id", Long.class)
                .column("owner", "owner_name")
                .column("balance", "balance_cents")
                .column("version")
                .column("note")
                .build();
    }

    @Override
    public void open(long account, String name) throws SQLException {
        update(account, "INSERT INTO " + table + " (" + id + ", " + owner + ", " + balance + ", version) VALUES (?, ?, 0, 0)",
                account, name);
    }

    @Override
    public void deposit(long account, long amount) throws SQLException {
        update(account, "UPDATE " + table + " SET " + balance + " = " + balance + " + ?, version = version + 1 WHERE " + id
                + " = ?", amount, account);
    }

    @Override
    public void rename(long account, String name) throws SQLException {
        update(account, "UPDATE " + table + " SET " + owner + " = ?, version = version + 1 WHERE " + id + " = ?", name,
                account);
    }

    @Override
    public void close(long account) throws SQLException {
        update(account, "DELETE FROM " + table + " WHERE " + id + " = ?", account);
    }

    @Override
    public void transfer(long from, long to, long amount) throws SQLException {
        String sql = "UPDATE " + table + " SET " + balance + " = " + balance + " + ?, version = version + 1 WHERE " + id + " = ?";
        try (Locked locked = lock(Math.min(from, to), Math.max(from, to)); Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                // Lower id first, so that opposite transfers cannot deadlock.
                long first = Math.min(from, to);
                long second = Math.max(from, to);
                execute(c, sql, first == from ? -amount : amount, first);
                execute(c, sql, second == from ? -amount : amount, second);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    @Override
    public Long balance(long account) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT " + balance + " FROM " + table + " WHERE " + id + " = ?")) {
            s.setLong(1, account);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /** Holds the locks of some accounts, in the order given (ascending, so that two writers cannot deadlock). */
    private final class Locked implements AutoCloseable {
        private final List<ReentrantLock> held;

        Locked(long... accounts) {
            held = accountLocks == null ? List.of()
                    : java.util.Arrays.stream(accounts).distinct()
                            .mapToObj(a -> accountLocks.computeIfAbsent(a, k -> new ReentrantLock())).toList();
            held.forEach(ReentrantLock::lock);
        }

        @Override
        public void close() {
            held.forEach(ReentrantLock::unlock);
        }
    }

    private Locked lock(long... accounts) {
        return new Locked(accounts);
    }

    private void update(long account, String sql, Object... args) throws SQLException {
        try (Locked locked = lock(account); Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                execute(c, sql, args);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static void execute(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            // Well above the fixture's copies' longest hold of a row lock (2 s statement timeout + 1 s):
            // during a stall a writer can wait behind several copies of its row, one per writer or
            // replay ahead of it, until the mirror breaker opens. As RowCopier asks of applications,
            // a stalled target then delays these writes and never fails them.
            s.setQueryTimeout(30);
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            s.executeUpdate();
        }
    }
}
