package dev.cutover.benchmarks;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * The benchmarks' table {@code item} (text, decimal, timestamp, nullable text, boolean) in a source
 * database and a PostgreSQL target, each with a pool of 4 connections. Closing it drops both databases.
 *
 * @param sourceDb the source database
 * @param targetDb the target database
 * @param sourcePool a pool on the source
 * @param targetPool a pool on the target
 */
record ItemTables(TestDatabase sourceDb, TestDatabase targetDb, DataSource sourcePool, DataSource targetPool)
        implements AutoCloseable {
    /** The table's columns, key first. */
    static final String COLUMNS = "id, name, amount, created, note, active";
    private static final String POSTGRESQL_TABLE = "CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL,"
            + " amount NUMERIC(12,2) NOT NULL, created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)";

    /**
     * @param sourceEngine the source's engine
     * @param name the databases' name, before {@code src} and {@code tgt}
     * @param rows the rows of the source table, and of the target's
     * @return the tables, holding the same rows
     */
    static ItemTables equal(Engine sourceEngine, String name, int rows) {
        return create(sourceEngine, name, rows, target -> load(target, rows));
    }

    /**
     * @param sourceEngine the source's engine
     * @param name the databases' name, before {@code src} and {@code tgt}
     * @param rows the rows of the source table
     * @return the tables, the target's empty
     */
    static ItemTables emptyTarget(Engine sourceEngine, String name, int rows) {
        return create(sourceEngine, name, rows, target -> target.execute(POSTGRESQL_TABLE));
    }

    private static ItemTables create(Engine sourceEngine, String name, int rows, Consumer<TestDatabase> prepareTarget) {
        TestDatabase sourceDb = TestDatabases.create(sourceEngine, name + "src");
        TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, name + "tgt");
        load(sourceDb, rows);
        prepareTarget.accept(targetDb);
        return new ItemTables(sourceDb, targetDb, sourceDb.dataSource(4), targetDb.dataSource(4));
    }

    /** @return the mapping of {@code item}, as the entity {@code items} */
    static TableMapping mapping() {
        return TableMapping.builder("items").sourceTable("item").key("id", Long.class)
                .column("name").column("amount").column("created").column("note").column("active").build();
    }

    /** Creates and fills the benchmark table {@code item} with {@code rows} rows. */
    static void load(TestDatabase db, int rows) {
        if (db.engine() == Engine.MARIADB) {
            db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount DECIMAL(12,2) NOT NULL,"
                    + " created DATETIME(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL) DEFAULT CHARSET=utf8mb4",
                    "INSERT INTO item SELECT seq, CONCAT('näme-', seq), (seq % 10000) / 100, TIMESTAMP '2024-01-01 00:00:00'"
                            + " + INTERVAL seq SECOND + INTERVAL (seq % 997) MICROSECOND,"
                            + " IF(seq % 7 = 0, NULL, CONCAT('n', seq % 13)), seq % 2 = 0 FROM seq_1_to_" + rows);
        } else {
            db.execute(POSTGRESQL_TABLE,
                    "INSERT INTO item SELECT g, 'näme-' || g, (g % 10000) / 100.0, TIMESTAMP '2024-01-01 00:00:00'"
                            + " + g * INTERVAL '1 second' + (g % 997) * INTERVAL '1 microsecond',"
                            + " CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || (g % 13) END, g % 2 = 0"
                            + " FROM generate_series(1, " + rows + ") g",
                    "VACUUM ANALYZE item");
        }
    }

    @Override
    public void close() {
        sourceDb.close();
        targetDb.close();
    }
}
