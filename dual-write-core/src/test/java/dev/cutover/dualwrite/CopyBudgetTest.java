package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The copy budget bounds what a copy does inside the caller's call, whatever the pools and the
 * network do, and the default mirror breaker opens within a few failed copies.
 */
class CopyBudgetTest {

    @Test
    void aBorrowWaitingInAnExhaustedDefaultPool_failsTheCopyWithinTheBudget_andTheConnectionGoesBackWhenItArrives()
            throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "budgetsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "budgettgt")) {
            source.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO item VALUES (1, 'a')");
            target.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name VARCHAR(20))");
            // HikariCP's defaults: a borrow from an exhausted pool waits 30 s.
            HikariDataSource targetPool = (HikariDataSource) target.defaultPool(1);
            RowCopier resync = RowCopier.builder(source.dataSource(2), targetPool)
                    .mapping(TableMapping.builder("items").sourceTable("item").key("id", Long.class).column("name").build())
                    .copyBudget(Duration.ofMillis(800))
                    .build();
            resync.copy("items", "1");
            Await.until("the first copy's connection is back", () -> targetPool.getHikariPoolMXBean().getActiveConnections() == 0);

            Connection held = targetPool.getConnection();
            long start = System.nanoTime();
            assertThrows(SQLTimeoutException.class, () -> resync.copy("items", "1"));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waited < 800 + 500, "the copy waited " + waited + " ms, beyond its budget of 800 ms");

            held.close();
            // The borrow the copy gave up on gets the connection now and must hand it straight back.
            Await.until("the late borrow returns its connection",
                    () -> targetPool.getHikariPoolMXBean().getActiveConnections() == 0
                            && targetPool.getHikariPoolMXBean().getIdleConnections() == 1);
            resync.copy("items", "1");
        }
    }

    @Test
    void theDefaultMirrorBreaker_opensAfterThreeFailedCopiesInARow_evenAfterALongRunOfSuccesses() {
        CircuitBreaker breaker = Mirror.defaultBreaker("shop", Duration.ofSeconds(5));
        for (int i = 0; i < 50; i++) {
            breaker.onSuccess(1, TimeUnit.MILLISECONDS);
        }
        breaker.onError(5, TimeUnit.SECONDS, new SQLException("down"));
        breaker.onError(5, TimeUnit.SECONDS, new SQLException("down"));
        assertEquals(CircuitBreaker.State.CLOSED, breaker.getState(), "two failures after many successes");
        breaker.onError(5, TimeUnit.SECONDS, new SQLException("down"));
        assertEquals(CircuitBreaker.State.OPEN, breaker.getState(), "three failures in a row open it");
    }

    @Test
    void theDefaultMirrorBreaker_opensWhenThreeCopiesTookOverHalfTheBudget_thoughTheySucceeded() {
        CircuitBreaker breaker = Mirror.defaultBreaker("shop", Duration.ofSeconds(2));
        for (int i = 0; i < 20; i++) {
            breaker.onSuccess(1, TimeUnit.MILLISECONDS);
        }
        for (int i = 0; i < 3; i++) {
            breaker.onSuccess(1_500, TimeUnit.MILLISECONDS);
        }
        assertEquals(CircuitBreaker.State.OPEN, breaker.getState());
    }

    @Test
    void aCopyBudgetOutOfRange_isRefusedWithTheAllowedRange() {
        RowCopier.Builder builder = RowCopier.builder(new org.h2.jdbcx.JdbcDataSource(), new org.h2.jdbcx.JdbcDataSource());
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> builder.copyBudget(Duration.ofMillis(50)));
        assertEquals("copyBudget must be between 100 ms and 10 min, but was 50 ms: set a value in that range", e.getMessage());
    }
}
