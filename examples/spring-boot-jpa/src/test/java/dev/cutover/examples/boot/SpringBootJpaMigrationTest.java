package dev.cutover.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.flags.Stage;
import dev.cutover.router.ReadRouterCounts;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sample started as an application (Tomcat on a random port, Spring Data JPA and Hibernate on
 * the starter's wrapped DataSource) and driven through its HTTP API at every stage: the stages are
 * flipped through {@code /actuator/cutover}, the history is copied and proven with
 * {@code migration.verify()}, and at the end both databases are checked against every acknowledged
 * write. No request may fail and no statement may be refused.
 */
class SpringBootJpaMigrationTest {
    private static final Logger LOG = LoggerFactory.getLogger(SpringBootJpaMigrationTest.class);
    /** Writers per round; the DUAL_WRITE round runs {@link #LOAD_WRITERS} against a pool of {@link #POOL}. */
    private static final int WRITERS = 4;
    private static final int LOAD_WRITERS = 40;
    private static final int POOL = 10;
    /** Operations per writer and stage; the soak profile raises both. */
    private static final int OPERATIONS = Integer.getInteger("cutover.soak.bootOperations", 6);
    private static final int LOAD_OPERATIONS = Integer.getInteger("cutover.soak.bootLoadOperations", 5);

    @Test
    void postgresToPostgres_everyStageThroughHttp_withRollbacks_andFortyWritersOnAPoolOfTen() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "bootjpasrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "bootjpatgt");
                ShopHarness shop = new ShopHarness(source, target, POOL)) {
            shop.traffic(WRITERS, OPERATIONS, 1);                          // SOURCE_ONLY: history to copy

            shop.flip(Stage.DUAL_WRITE, 0, 100);
            shop.settle();                                                 // copy the history, prove it
            shop.traffic(LOAD_WRITERS, LOAD_OPERATIONS, 2);                     // more writers than connections
            shop.settle();
            assertThat(shop.failures()).as("failed requests with %d writers on a pool of %d", LOAD_WRITERS, POOL)
                    .isEmpty();

            shop.flip(Stage.SHIFT_READS, 50, 100);
            shop.traffic(WRITERS, OPERATIONS, 3);
            ReadRouterCounts reads = shop.migration().router().counts();
            assertThat(reads.targetReads()).as("reads served by the target").isPositive();

            shop.flip(Stage.TARGET_PRIMARY, 100, 100);
            shop.traffic(WRITERS, OPERATIONS, 4);
            shop.flip(Stage.SHIFT_READS, 100, 100);                        // rollback: the source is primary again
            shop.traffic(WRITERS, OPERATIONS, 5);
            shop.flip(Stage.TARGET_PRIMARY, 100, 0);
            shop.traffic(WRITERS, OPERATIONS, 6);
            shop.settle();
            shop.checkOracle();

            shop.flip(Stage.TARGET_ONLY, 100, 0);
            shop.traffic(WRITERS, OPERATIONS, 7);
            shop.flip(Stage.TARGET_PRIMARY, 100, 0);                       // rollback: resync the source
            shop.settle();
            shop.traffic(WRITERS, OPERATIONS, 8);
            shop.settle();

            finish(shop);
        }
    }

    /**
     * Across engines the application's SQL is MariaDB's, so the DataSource style goes no further
     * than DUAL_WRITE (README, "Spring Boot and JPA"): writes are mirrored to PostgreSQL by row, a
     * rollback to SOURCE_ONLY and forward again loses nothing once the verifier has run, and
     * SHIFT_READS keeps every read (and shadow read) on MariaDB, since PostgreSQL would be sent SQL
     * written for MariaDB.
     */
    @Test
    void mariadbToPostgres_dualWriteAndBack_readsNeverRoutedAcrossDialects() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.MARIADB, "bootjpasrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "bootjpatgt");
                ShopHarness shop = new ShopHarness(source, target, POOL)) {
            shop.traffic(WRITERS, OPERATIONS, 11);
            shop.flip(Stage.DUAL_WRITE, 0, 0);
            shop.settle();
            shop.traffic(WRITERS, OPERATIONS, 12);
            shop.flip(Stage.SOURCE_ONLY, 0, 0);                            // rollback
            shop.traffic(WRITERS, OPERATIONS, 13);
            shop.flip(Stage.DUAL_WRITE, 0, 100);
            shop.settle();                                                 // what SOURCE_ONLY wrote alone
            shop.traffic(WRITERS, OPERATIONS, 14);
            shop.settle();
            shop.flip(Stage.SHIFT_READS, 100, 100);                        // asks for every read on the target
            shop.traffic(WRITERS, OPERATIONS, 15);
            ReadRouterCounts reads = shop.migration().router().counts();
            assertThat(reads.targetReads() + reads.compared()).as("reads sent to PostgreSQL in MariaDB's SQL: %s", reads)
                    .isZero();
            shop.flip(Stage.DUAL_WRITE, 0, 0);                             // rollback
            shop.settle();

            finish(shop);
        }
    }

    private static void finish(ShopHarness shop) {
        shop.logStatements();
        assertThat(shop.failures()).as("failed requests").isEmpty();
        assertThat(shop.refusals()).as("statements Cutover refused").isEmpty();
        shop.checkOracle();
        assertThat(shop.migration().counters().enqueueFailures()).as("keys neither copied nor queued").isZero();
        ReadRouterCounts reads = shop.migration().router().counts();
        // A keyless aggregate (countByStatus) counts other writers' rows too, and while they write it
        // may differ between two reads made a moment apart on each side, however often it is read
        // again: a race of the read, not a difference of the data (the oracle and the verifier judge
        // that). Every read of a key must agree.
        assertThat(shop.migration().router().recentMismatches()).as("shadow reads of a key that differed: %s", reads)
                .allSatisfy(mismatch -> assertThat(mismatch.routingKey()).as(mismatch.toString()).isNull());
        LOG.info("{} requests, {} acknowledged writes, reads {}", shop.requests(), shop.oracle().acknowledged(), reads);
    }
}
