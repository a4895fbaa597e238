package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionException;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;
import org.jdbi.v3.sqlobject.transaction.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link JdbiCallerTransactions} hears JDBI's transactions end: above all, that an exception of
 * the copies made after the commit reaches the code that committed, whichever way it committed,
 * so that a late write is never acknowledged.
 */
class JdbiCallerTransactionsTest {
    private TestDatabase db;
    private Jdbi jdbi;
    private JdbiCallerTransactions transactions;

    /** Records what it hears; its afterCommit throws {@code failure} if there is one. */
    private static final class Recorder implements CallerTransactions.Listener {
        final List<String> heard = new ArrayList<>();
        final RuntimeException failure;

        Recorder(RuntimeException failure) {
            this.failure = failure;
        }

        @Override
        public void beforeCommit() {
            heard.add("beforeCommit");
        }

        @Override
        public void afterCommit() {
            heard.add("afterCommit");
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void afterCompletion(CallerTransactions.Outcome outcome) {
            heard.add(outcome.name());
        }
    }

    public interface Rows {
        @SqlUpdate("INSERT INTO t (id) VALUES (1)")
        void insert();

        @Transaction
        default void insertIn(CallerTransactions transactions, Recorder recorder) {
            insert();
            transactions.register("key", recorder);
        }
    }

    @BeforeEach
    void setUp() {
        db = TestDatabases.create(Engine.H2, "jdbitx");
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)");
        jdbi = Jdbi.create(db.dataSource(4)).installPlugin(new SqlObjectPlugin());
        transactions = JdbiCallerTransactions.of(jdbi);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private int rows() {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM t").mapTo(Integer.class).one());
    }

    private void insertAndRegister(Handle h, Recorder recorder) {
        h.execute("INSERT INTO t (id) VALUES (1)");
        assertTrue(transactions.active());
        transactions.register("key", recorder);
        assertSame(recorder, transactions.find("key"));
    }

    @Test
    void afterCommitFailure_reachesTheCodeThatCommitted_theCommitHavingBeenMade() {
        List<java.util.function.Consumer<Recorder>> commits = List.of(
                r -> jdbi.useTransaction(h -> insertAndRegister(h, r)),
                r -> jdbi.inTransaction(h -> {
                    insertAndRegister(h, r);
                    return null;
                }),
                r -> jdbi.useHandle(h -> h.useTransaction(inner -> insertAndRegister(inner, r))),
                r -> jdbi.useHandle(h -> {
                    h.begin();
                    insertAndRegister(h, r);
                    h.commit();
                }),
                r -> jdbi.onDemand(Rows.class).insertIn(transactions, r));
        for (java.util.function.Consumer<Recorder> commit : commits) {
            db.execute("DELETE FROM t");
            IllegalStateException late = new IllegalStateException("copy too late");
            Recorder recorder = new Recorder(late);
            assertSame(late, assertThrows(IllegalStateException.class, () -> commit.accept(recorder)));
            assertEquals(1, rows(), "committed");
            assertEquals(List.of("afterCommit", "COMMITTED"), recorder.heard, "JDBI has no hook before the commit");
            assertFalse(transactions.active());
        }
    }

    @Test
    void oneListenerFailing_doesNotKeepTheOthersFromHearingTheCommit() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalStateException second = new IllegalStateException("second");
        Recorder a = new Recorder(first);
        Recorder b = new Recorder(second);
        Recorder c = new Recorder(null);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> jdbi.useTransaction(h -> {
            insertAndRegister(h, a);
            transactions.register("b", b);
            transactions.register("c", c);
        }));
        assertSame(first, thrown);
        assertSame(second, thrown.getSuppressed()[0]);
        for (Recorder r : List.of(a, b, c)) {
            assertEquals(List.of("afterCommit", "COMMITTED"), r.heard);
        }
    }

    @Test
    void rollback_andAHandleClosedInItsTransaction_areHeardAsRolledBack() {
        Recorder thrown = new Recorder(null);
        assertThrows(ArithmeticException.class, () -> jdbi.useTransaction(h -> {
            insertAndRegister(h, thrown);
            throw new ArithmeticException("the caller's own failure");
        }));
        assertEquals(List.of("ROLLED_BACK"), thrown.heard);

        Recorder closed = new Recorder(null);
        assertThrows(TransactionException.class, () -> jdbi.useHandle(h -> {
            h.begin();
            insertAndRegister(h, closed);
        }));
        assertEquals(List.of("ROLLED_BACK"), closed.heard);
        assertEquals(0, rows());
    }

    @Test
    void aHandleWithoutATransaction_orNoHandle_isNotActive_andTheNextTransactionStartsEmpty() {
        assertFalse(transactions.active());
        assertNull(transactions.find("key"));
        jdbi.useHandle(h -> {
            assertFalse(transactions.active());
            assertThrows(IllegalStateException.class, () -> transactions.register("key", new Recorder(null)));
            h.useTransaction(inner -> insertAndRegister(inner, new Recorder(null)));
            h.useTransaction(inner -> {
                assertTrue(transactions.active());
                assertNull(transactions.find("key"), "a listener of the handle's previous transaction");
            });
        });
    }
}
