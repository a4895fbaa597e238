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

    private Accounts(TestDatabase source, TestDatabase target, int poolSize) {
        this.source = source;
        this.target = target;
        this.sourcePool = source.dataSource(poolSize);
        this.targetPool = target.dataSource(poolSize);
    }

    /**
     * Creates both databases and the preloaded tables.
     *
     * @param pair {@code postgresql-postgresql} or {@code mariadb-postgresql}: source engine, then target engine
     * @param hint a word for the databases' names
     * @return the fixture; close it to drop both databases
     */
    static Accounts create(String pair, String hint) {
        return create(pair, hint, PRELOADED, POOL_SIZE);
    }

    /**
     * Creates both databases and tables preloaded with {@code rows} rows (ids 0 to rows - 1).
     *
     * @param pair {@code postgresql-postgresql} or {@code mariadb-postgresql}: source engine, then target engine
     * @param hint a word for the databases' names
     * @param rows rows to preload on both sides
     * @param poolSize connections per side
     * @return the fixture; close it to drop both databases
     */
    static Accounts create(String pair, String hint, int rows, int poolSize) {
        String[] engines = pair.split("-");
        if (engines.length != 2) {
            throw new IllegalArgumentException("pair must be <source engine>-<target engine>, e.g. mariadb-postgresql, but was "
                    + pair);
        }
        TestDatabase source = TestDatabases.create(engine(engines[0]), hint + "src");
        TestDatabase target = null;
        try {
            target = TestDatabases.create(engine(engines[1]), hint + "tgt");
            Accounts accounts = new Accounts(source, target, poolSize);
            accounts.createTable(source, rows);
            accounts.createTable(target, rows);
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

    private void createTable(TestDatabase db, int rows) {
        db.execute("CREATE TABLE account (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL,"
                + " version BIGINT NOT NULL)");
        // Statements of at most 1,000 rows, so that 100,000 rows stay under any packet limit.
        for (int from = 0; from < rows; from += 1_000) {
            StringBuilder insert = new StringBuilder("INSERT INTO account (id, owner, balance, version) VALUES ");
            for (int i = from; i < Math.min(rows, from + 1_000); i++) {
                insert.append(i == from ? "" : ", ").append("(").append(i).append(", 'owner-").append(i).append("', 100, 0)");
            }
            db.execute(insert.toString());
        }
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

    /**
     * Compares both tables row by row, every column, after the writers stopped.
     *
     * @return the ids that differ (present on one side only, or with different columns), at most 10
     *     listed, and their count
     * @throws SQLException if a database fails
     */
    Difference compare() throws SQLException {
        String select = "SELECT id, owner, balance, version FROM account ORDER BY id";
        Difference difference = new Difference();
        try (Connection s = source.connect(); Connection t = target.connect();
                PreparedStatement sq = s.prepareStatement(select); PreparedStatement tq = t.prepareStatement(select);
                ResultSet sr = sq.executeQuery(); ResultSet tr = tq.executeQuery()) {
            Account sourceRow = next(sr);
            Account targetRow = next(tr);
            while (sourceRow != null || targetRow != null) {
                long id = Math.min(sourceRow == null ? Long.MAX_VALUE : sourceRow.id(),
                        targetRow == null ? Long.MAX_VALUE : targetRow.id());
                Account onSource = sourceRow != null && sourceRow.id() == id ? sourceRow : null;
                Account onTarget = targetRow != null && targetRow.id() == id ? targetRow : null;
                difference.rows++;
                if (!java.util.Objects.equals(onSource, onTarget) && difference.differing++ < 10) {
                    difference.first.add("source " + onSource + " / target " + onTarget);
                }
                sourceRow = onSource != null ? next(sr) : sourceRow;
                targetRow = onTarget != null ? next(tr) : targetRow;
            }
        }
        return difference;
    }

    private static Account next(ResultSet rs) throws SQLException {
        return rs.next() ? new Account(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4)) : null;
    }

    /** The outcome of {@link #compare()}. */
    static final class Difference {
        long rows;
        long differing;
        final java.util.List<String> first = new java.util.ArrayList<>();

        /** @throws IllegalStateException if any row differs: an acknowledged write is missing on one side */
        void requireNone(String what) {
            if (differing > 0) {
                throw new IllegalStateException(what + ": " + differing + " of " + rows + " rows differ between the"
                        + " sides, first " + first);
            }
        }

        @Override
        public String toString() {
            return rows + " rows compared, " + differing + " differing";
        }
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

    /**
     * One single-row write per call, the same on every DAO it is given: a new account per call
     * ({@code insert}, ids from 1,000,000 on) or a deposit to the preloaded accounts in turn
     * ({@code update}). Not thread-safe: one per benchmark state.
     */
    static final class SingleRowWrites {
        private final boolean insert;
        private long nextNewId = 1_000_000;
        private long nextExisting;

        /** @param write {@code insert} or {@code update} */
        SingleRowWrites(String write) {
            this.insert = "insert".equals(write);
        }

        /** @return the id of the next write */
        long nextId() {
            if (insert) {
                return nextNewId++;
            }
            return nextExisting++ % PRELOADED;
        }

        /**
         * @param dao where to write
         * @param id the id {@link #nextId()} gave
         * @throws SQLException if the write fails
         */
        void writeTo(AccountDao dao, long id) throws SQLException {
            if (insert) {
                dao.open(id, "owner");
            } else {
                dao.deposit(id, 1);
            }
        }
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
