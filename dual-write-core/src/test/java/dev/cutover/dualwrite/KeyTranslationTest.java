package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.CutoverException;
import dev.cutover.flags.Side;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Id-map translations and key resyncs of a heterogeneous mapping on real databases. */
class KeyTranslationTest {

    /** Legacy MariaDB to PostgreSQL when MariaDB is there, PostgreSQL to PostgreSQL, and H2's MySQL mode to H2. */
    static Stream<Arguments> enginePairs() {
        List<Arguments> pairs = new ArrayList<>();
        if (TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB)) {
            pairs.add(Arguments.of(Engine.MARIADB, Engine.POSTGRESQL));
        }
        if (TestDatabases.serverEngines().anyMatch(e -> e == Engine.POSTGRESQL)) {
            pairs.add(Arguments.of(Engine.POSTGRESQL, Engine.POSTGRESQL));
        }
        pairs.add(Arguments.of(Engine.H2_MYSQL, Engine.H2));
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void idMap_insertsOneUuidPerIdAndTranslatesBothWays(Engine engine) throws SQLException {
        try (TestDatabase db = TestDatabases.create(engine, "idmap")) {
            db.execute("CREATE TABLE customer_id_map (legacy_id INT PRIMARY KEY, id UUID NOT NULL UNIQUE)");
            KeyTranslation ids = HeteroCustomers.ids(db.dataSource(2));

            Object uuid = ids.toTarget(42);
            assertInstanceOf(UUID.class, uuid);
            assertEquals(uuid, ids.toTarget(42L), "an Integer and a Long id are the same id");
            assertNotEquals(uuid, ids.toTarget(43));
            assertEquals(42L, RowCopierTest.normalise(ids.toSource(uuid)));
            assertEquals(List.of(List.of(42L, uuid)), RowCopierTest.rows(db,
                    "SELECT legacy_id, id FROM customer_id_map WHERE legacy_id = 42"));

            KeyTranslation fresh = HeteroCustomers.ids(db.dataSource(1));
            assertEquals(uuid, fresh.toTarget(42), "another instance finds the stored UUID");
            assertEquals(42L, RowCopierTest.normalise(fresh.toSource(uuid)));
            assertEquals(null, fresh.toTarget(null));

            UUID unknown = UUID.randomUUID();
            CutoverException missing = assertThrows(CutoverException.class, () -> fresh.toSource(unknown));
            assertEquals("Id map customer_id_map has no source id for " + unknown + ": a row created on the target"
                    + " needs an id-map entry before it can be copied to the source", missing.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void idMap_translatingTheSameIdsConcurrentlyFromManyInstances_agreesOnOneUuidEach(Engine engine) throws Exception {
        try (TestDatabase db = TestDatabases.create(engine, "idrace")) {
            db.execute("CREATE TABLE customer_id_map (legacy_id INT PRIMARY KEY, id UUID NOT NULL UNIQUE)");
            DataSource pool = db.dataSource(8);
            int instances = 6;
            int idCount = 40;
            ExecutorService executor = Executors.newFixedThreadPool(instances);
            try {
                List<Future<List<Object>>> results = new ArrayList<>();
                CountDownLatch start = new CountDownLatch(1);
                for (int i = 0; i < instances; i++) {
                    KeyTranslation own = HeteroCustomers.ids(pool);
                    Callable<List<Object>> translateAll = () -> {
                        List<Object> uuids = new ArrayList<>();
                        start.await();
                        for (int id = 1; id <= idCount; id++) {
                            uuids.add(own.toTarget(id));
                        }
                        return uuids;
                    };
                    results.add(executor.submit(translateAll));
                }
                start.countDown();
                List<Object> first = results.get(0).get();
                for (Future<List<Object>> result : results) {
                    assertEquals(first, result.get());
                }
                Set<Object> distinct = new HashSet<>(first);
                assertEquals(idCount, distinct.size());
                assertEquals(List.of(List.of((long) idCount)), RowCopierTest.rows(db, "SELECT COUNT(*) FROM customer_id_map"));
            } finally {
                executor.shutdownNow();
            }
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("enginePairs")
    void resync_ofAHeterogeneousMapping_splitsTranslatesAndCopiesBack(Engine sourceEngine, Engine targetEngine)
            throws SQLException {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "heterosrc");
                TestDatabase target = TestDatabases.create(targetEngine, "heterotgt")) {
            HeteroCustomers.createTables(source, target);
            KeyTranslation ids = HeteroCustomers.ids(target.dataSource(2));
            TableMapping mapping = HeteroCustomers.mapping(ids);
            RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping).build();
            source.execute("INSERT INTO customer (id, name, status, email) VALUES (1, 'Ada King Lovelace', 'A', 'ada@x'),"
                    + " (2, 'Cher', 'S', NULL)");

            resync.copy("customers", "1");
            resync.copy("customers", "2");
            resync.copy("customers", "3");

            Object ada = ids.toTarget(1);
            Object cher = ids.toTarget(2);
            assertEquals(Set.of(List.of(ada, "Ada King", "Lovelace", "active", "ada@x"),
                    List.of(cher, "Cher", "null", "suspended", "null")),
                    new HashSet<>(RowCopierTest.rows(target, "SELECT " + HeteroCustomers.TARGET_COLUMNS + " FROM customers")));

            target.execute("UPDATE customers SET last_name = 'Byron', status = 'closed' WHERE first_name = 'Ada King'");
            target.execute("DELETE FROM customers WHERE first_name = 'Cher'");
            resync.copy("customers", "1", Side.TARGET);
            resync.copy("customers", "2", Side.TARGET);

            assertEquals(List.of(List.of(1L, "Ada King Byron", "C", "ada@x")), RowCopierTest.rows(source,
                    "SELECT " + HeteroCustomers.SOURCE_COLUMNS + " FROM customer ORDER BY id"));
        }
    }
}
