package dev.cutover.benchmarks;

import dev.cutover.dualwrite.Read;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.Write;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * The table the database benchmarks write and read: {@code account} on a source and a target
 * database with the same columns, preloaded with rows, and a hand-written JDBC DAO over it in which
 * every call is one auto-committed statement, the way the application's own code would write it.
 */
final class Accounts implements AutoCloseable {
    /** Rows present on both sides before the benchmark starts; updates and reads use these ids. */
    static final int PRELOADED = 1024;
    /** Connections per side: enough for the caller, the mirror copy and the shadow reads. */
    static final int POOL_SIZE = 6;

    final TestDatabase source;
    final TestDatabase target;
    final DataSource sourcePool;
    final DataSource targetPool;

    private Accounts(TestDatabase source, TestDatabase target) {
        this.source = source;
        this.target = target;
        this.sourcePool = source.dataSource(POOL_SIZE);
        this.targetPool = target.dataSource(POOL_SIZE);
    }

    /**
     * Creates both databases and the preloaded tables.
     *
     * @param pair {@code postgresql-postgresql} or {@code mariadb-postgresql}: source engine, then target engine
     * @param hint a word for the databases' names
     * @return the fixture; close it to drop both databases
     */
    static Accounts create(String pair, String hint) {
        String[] engines = pair.split("-");
        if (engines.length != 2) {
            throw new IllegalArgumentException("pair must be <source engine>-<target engine>, e.g. mariadb-postgresql, but was "
                    + pair);
        }
        TestDatabase source = TestDatabases.create(engine(engines[0]), hint + "src");
        TestDatabase target = null;
        try {
            target = TestDatabases.create(engine(engines[1]), hint + "tgt");
            Accounts accounts = new Accounts(source, target);
            accounts.createTable(source);
            accounts.createTable(target);
            return accounts;
        } catch (RuntimeException e) {
            source.close();
            if (target != null) {
                target.close();
            }
            throw e;
        }
    }

    private static Engine engine(String name) {
        return Engine.valueOf(name.toUpperCase(Locale.ROOT));
    }

    private void createTable(TestDatabase db) {
        db.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL,"
                + " version BIGINT NOT NULL)");
        StringBuilder insert = new StringBuilder("INSERT INTO account (id, owner, balance, version) VALUES ");
        for (int i = 0; i < PRELOADED; i++) {
            insert.append(i == 0 ? "" : ", ").append("(").append(i).append(", 'owner-").append(i).append("', 100, 0)");
        }
        db.execute(insert.toString());
    }

    /** @return the mapping of {@code account} onto itself, for the key resync */
    static TableMapping mapping() {
        return TableMapping.builder("account").sourceTable("account").targetTable("account")
                .key("id", Long.class)
                .column("owner")
                .column("balance")
                .column("version")
                .build();
    }

    @Override
    public void close() {
        try {
            source.close();
        } finally {
            target.close();
        }
    }

    /** The application's repository: two writes and a read by primary key. */
    public interface AccountDao {
        /**
         * Opens an account.
         *
         * @param id the new account's id
         * @param owner its owner
         * @throws SQLException if the database fails
         */
        @Write
        void open(@RoutingKey long id, String owner) throws SQLException;

        /**
         * Adds to an account's balance.
         *
         * @param id the account
         * @param amount the amount
         * @throws SQLException if the database fails
         */
        @Write
        void deposit(@RoutingKey long id, long amount) throws SQLException;

        /**
         * Reads an account.
         *
         * @param id the account
         * @return the account, null if absent
         * @throws SQLException if the database fails
         */
        @Read
        Account find(@RoutingKey long id) throws SQLException;
    }

    /**
     * One row of {@code account}.
     *
     * @param id the id
     * @param owner the owner
     * @param balance the balance
     * @param version the version
     */
    public record Account(long id, String owner, long balance, long version) {
    }

    /** The hand-written DAO: one auto-committed statement per call. */
    static final class JdbcAccountDao implements AccountDao {
        private final DataSource dataSource;

        JdbcAccountDao(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public void open(long id, String owner) throws SQLException {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s = c.prepareStatement(
                            "INSERT INTO account (id, owner, balance, version) VALUES (?, ?, 0, 0)")) {
                s.setLong(1, id);
                s.setString(2, owner);
                s.executeUpdate();
            }
        }

        @Override
        public void deposit(long id, long amount) throws SQLException {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s = c.prepareStatement(
                            "UPDATE account SET balance = balance + ?, version = version + 1 WHERE id = ?")) {
                s.setLong(1, amount);
                s.setLong(2, id);
                s.executeUpdate();
            }
        }

        @Override
        public Account find(long id) throws SQLException {
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s = c.prepareStatement("SELECT id, owner, balance, version FROM account WHERE id = ?")) {
                s.setLong(1, id);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? new Account(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4)) : null;
                }
            }
        }
    }
}
