package dev.cutover.testsupport;

/** A database engine tests run against. */
public enum Engine {
    /** PostgreSQL: the server at {@code CUTOVER_PG_URL}, or an embedded one when none is reachable outside CI. */
    POSTGRESQL,
    /** MariaDB: the server at {@code CUTOVER_MARIADB_URL}. */
    MARIADB,
    /** H2 in memory, for fast tests; never the only proof. */
    H2,
    /** H2 in memory in MySQL compatibility mode, a stand-in "legacy" source for fast tests. */
    H2_MYSQL
}
