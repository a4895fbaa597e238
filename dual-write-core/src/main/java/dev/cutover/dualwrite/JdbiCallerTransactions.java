package dev.cutover.dualwrite;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JDBI's transactions as the repository style sees them: the transaction open on the handle that
 * one {@link Jdbi} has on the calling thread ({@code jdbi.useTransaction(...)},
 * {@code jdbi.inTransaction(...)}, a {@code @Transaction} SqlObject method, or {@code handle.begin()}),
 * which that {@code Jdbi}'s on-demand DAOs join. Give it to the runtime with
 * {@code Cutover.builder(source, target).callerTransactions(JdbiCallerTransactions.of(sourceJdbi))},
 * and a wrapped write inside such a transaction is copied after it commits, instead of being refused
 * ({@link UnknownTransactionException}).
 *
 * <p>It hears the end of a transaction through {@link Handle#afterCommit} and
 * {@link Handle#afterRollback}, which {@code Handle.commit()} and {@code Handle.rollback()} run,
 * closing a handle with an open transaction included. JDBI has no hook before the commit, so
 * {@link CallerTransactions.Listener#beforeCommit()} is never called, and what it does is lost: a
 * transaction whose primary's copy window is closing (a handover in progress) is not rolled back
 * instead of committed; it commits, and its commit then fails with a {@link LateWriteException}
 * after the fact, its keys left to the retry-queue (the write may or may not persist). An exception
 * of the copies made after the commit reaches the code that committed, as JDBI throws what its
 * callbacks throw from {@code commit()}; callbacks the application registered on the handle after
 * the transaction's first wrapped write are then skipped by JDBI, and one registered before it that
 * throws keeps JDBI from calling this one. A transaction ended without this being heard (behind
 * JDBI's back, by a commit on the handle's {@code Connection}, or after such a failing callback) has
 * its copies neither made nor queued, and its write permit stays taken, which holds up handovers:
 * end transactions through the handle, and do not throw from JDBI's transaction callbacks.
 *
 * <p>Asking whether a transaction is open looks at the handle the {@code Jdbi} has on the thread
 * and opens none, except inside an on-demand call that has not used its handle yet (a default
 * method of another on-demand DAO of this {@code Jdbi}): JDBI opens that handle when asked for it.
 *
 * <p>The transactions of one {@code Jdbi} only: with the target's DAOs primary
 * ({@code TARGET_PRIMARY}), a transaction of the source's {@code Jdbi} does not hold the target DAOs'
 * writes, which commit on their own and are copied once it ends. Thread-safe.
 */
public final class JdbiCallerTransactions implements CallerTransactions {
    private static final Logger LOG = LoggerFactory.getLogger(JdbiCallerTransactions.class);

    private final Jdbi jdbi;
    /** The listeners of each handle's open transaction; an entry is touched only by its handle's thread. */
    private final Map<Handle, Registrations> open = new ConcurrentHashMap<>();

    private JdbiCallerTransactions(Jdbi jdbi) {
        this.jdbi = Objects.requireNonNull(jdbi, "null jdbi");
    }

    /**
     * @param jdbi the {@code Jdbi} whose transactions the application's DAOs join
     * @return its transactions, as the repositories see them
     */
    public static JdbiCallerTransactions of(Jdbi jdbi) {
        return new JdbiCallerTransactions(jdbi);
    }

    @Override
    public boolean active() {
        return transactionHandle() != null;
    }

    @Override
    public Listener find(Object key) {
        Handle handle = transactionHandle();
        Registrations registrations = handle == null ? null : open.get(handle);
        return registrations == null ? null : registrations.listeners.get(key);
    }

    @Override
    public void register(Object key, Listener listener) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(listener, "null listener");
        Handle handle = transactionHandle();
        if (handle == null) {
            throw new IllegalStateException("No JDBI transaction is open on this thread to register " + key + " in");
        }
        Registrations registrations = open.get(handle);
        if (registrations == null) {
            // One callback per transaction runs every listener, so that one that throws does not
            // keep JDBI from calling the others, whose copies and permits would be left behind.
            Registrations created = new Registrations(handle);
            open.put(handle, created);
            handle.afterCommit(created::committed);
            handle.afterRollback(created::rolledBack);
            registrations = created;
        }
        registrations.listeners.put(key, listener);
    }

    private Handle transactionHandle() {
        return JdbiDaos.transactionHandle(jdbi);
    }

    /** The listeners of one transaction of one handle. */
    private final class Registrations {
        private final Handle handle;
        private final Map<Object, Listener> listeners = new LinkedHashMap<>();

        Registrations(Handle handle) {
            this.handle = handle;
        }

        void committed() {
            open.remove(handle);
            RuntimeException failure = null;
            for (Listener listener : listeners.values()) {
                try {
                    listener.afterCommit();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            completed(Outcome.COMMITTED);
            if (failure != null) {
                throw failure;
            }
        }

        void rolledBack() {
            open.remove(handle);
            completed(Outcome.ROLLED_BACK);
        }

        private void completed(Outcome outcome) {
            for (Listener listener : listeners.values()) {
                try {
                    listener.afterCompletion(outcome);
                } catch (RuntimeException e) {
                    LOG.error("A listener failed after a JDBI transaction ended ({}): {}", outcome, e.toString());
                }
            }
        }
    }
}
