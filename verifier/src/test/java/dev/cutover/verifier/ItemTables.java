package dev.cutover.verifier;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;

/**
 * The {@code item} table of the verifier's tests, created and bulk-loaded in one statement per
 * engine so that a source and a target loaded alike hold the same values: ids 1..n, Unicode names,
 * decimals, timestamps with microseconds, NULLs and booleans. A PostgreSQL target of a MariaDB
 * source ({@link #createCrossTarget}) has other types and a renamed column: more decimal digits,
 * millisecond timestamps (rounded from the source's microseconds) and {@code item_name}.
 */
final class ItemTables {
    static final String ENTITY = "items";

    private ItemTables() {
    }

    /** The mapping of two tables created by {@link #create}. */
    static TableMapping sameMapping() {
        return TableMapping.builder(ENTITY).sourceTable("item").key("id", Long.class)
                .column("name").column("amount").column("created").column("note").column("active").build();
    }

    /** The mapping of a {@link #create} source onto a {@link #createCrossTarget} target. */
    static TableMapping crossMapping() {
        return TableMapping.builder(ENTITY).sourceTable("item").key("id", Long.class)
                .column("name", "item_name").column("amount").column("created").column("note").column("active").build();
    }

    /** Creates {@code item} and fills it with rows 1..rows. */
    static void create(TestDatabase db, int rows) {
        switch (db.engine()) {
            case POSTGRESQL:
                db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount NUMERIC(12,2) NOT NULL,"
                        + " created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)",
                        "INSERT INTO item SELECT g, 'näme-' || g, (g % 10000) / 100.0, TIMESTAMP '2024-01-01 00:00:00'"
                                + " + g * INTERVAL '1 second' + (g % 997) * INTERVAL '1 microsecond',"
                                + " CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || (g % 13) END, g % 2 = 0"
                                + " FROM generate_series(1, " + rows + ") g");
                break;
            case MARIADB:
                db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount DECIMAL(12,2) NOT NULL,"
                        + " created DATETIME(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)"
                        + " DEFAULT CHARSET=utf8mb4",
                        "INSERT INTO item SELECT seq, CONCAT('näme-', seq), (seq % 10000) / 100, TIMESTAMP '2024-01-01 00:00:00'"
                                + " + INTERVAL seq SECOND + INTERVAL (seq % 997) MICROSECOND,"
                                + " IF(seq % 7 = 0, NULL, CONCAT('n', seq % 13)), seq % 2 = 0"
                                + " FROM seq_1_to_" + rows);
                break;
            case H2:
            case H2_MYSQL:
                db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL, amount NUMERIC(12,2) NOT NULL,"
                        + " created TIMESTAMP(6) NOT NULL, note VARCHAR(40), active BOOLEAN NOT NULL)",
                        "INSERT INTO item SELECT X, 'näme-' || X, MOD(X, 10000) / 100.0, TIMESTAMP '2024-01-01 00:00:00'"
                                + " + X * INTERVAL '1' SECOND + MOD(X, 997) * INTERVAL '0.000001' SECOND,"
                                + " CASE WHEN MOD(X, 7) = 0 THEN NULL ELSE 'n' || MOD(X, 13) END, MOD(X, 2) = 0"
                                + " FROM SYSTEM_RANGE(1, " + rows + ")");
                break;
            default:
                throw new IllegalArgumentException("No item table for " + db.engine());
        }
    }

    /** Creates the PostgreSQL target of a MariaDB source, with the same rows 1..rows. */
    static void createCrossTarget(TestDatabase db, int rows) {
        if (db.engine() != Engine.POSTGRESQL) {
            throw new IllegalArgumentException("The cross-engine target is PostgreSQL");
        }
        db.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, item_name VARCHAR(80) NOT NULL, amount NUMERIC(14,4) NOT NULL,"
                + " created TIMESTAMP(3) NOT NULL, note TEXT, active BOOLEAN NOT NULL)",
                "INSERT INTO item SELECT g, 'näme-' || g, (g % 10000) / 100.0, TIMESTAMP '2024-01-01 00:00:00'"
                        + " + g * INTERVAL '1 second' + (g % 997) * INTERVAL '1 microsecond',"
                        + " CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || (g % 13) END, g % 2 = 0"
                        + " FROM generate_series(1, " + rows + ") g");
    }
}
