package dev.cutover.spring.boot;

import dev.cutover.dualwrite.CallerTransactions;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Spring's transactions as the repository style sees them: any transaction manager that runs
 * synchronizations ({@code DataSourceTransactionManager}, {@code JpaTransactionManager},
 * {@code JdbcTransactionManager}...). A listener is bound as a transaction resource under its key, so
 * that the writes of one transaction find it, and is unbound while the transaction is suspended (a
 * {@code REQUIRES_NEW} inside it then gets its own) and once it ends. The starter gives it to the
 * runtime it builds; a runtime the application builds itself takes it with
 * {@code Cutover.builder(source, target).callerTransactions(new SpringCallerTransactions())}.
 */
public final class SpringCallerTransactions implements CallerTransactions {
    /** Creates it; it holds no state of its own. */
    public SpringCallerTransactions() {
    }

    @Override
    public boolean active() {
        // Synchronization without an actual transaction (SUPPORTS) means the DAO commits on its own.
        return TransactionSynchronizationManager.isSynchronizationActive()
                && TransactionSynchronizationManager.isActualTransactionActive();
    }

    @Override
    public Listener find(Object key) {
        return active() && TransactionSynchronizationManager.getResource(key) instanceof Listener listener ? listener
                : null;
    }

    @Override
    public void register(Object key, Listener listener) {
        if (!active()) {
            throw new IllegalStateException("No Spring transaction is open on this thread to register " + key + " in");
        }
        TransactionSynchronizationManager.bindResource(key, listener);
        TransactionSynchronizationManager.registerSynchronization(new Synchronization(key, listener));
    }

    private record Synchronization(Object key, Listener listener) implements TransactionSynchronization {
        @Override
        public void suspend() {
            TransactionSynchronizationManager.unbindResourceIfPossible(key);
        }

        @Override
        public void resume() {
            TransactionSynchronizationManager.bindResource(key, listener);
        }

        @Override
        public void beforeCommit(boolean readOnly) {
            listener.beforeCommit();
        }

        @Override
        public void afterCommit() {
            listener.afterCommit();
        }

        @Override
        public void afterCompletion(int status) {
            TransactionSynchronizationManager.unbindResourceIfPossible(key);
            listener.afterCompletion(switch (status) {
                case STATUS_COMMITTED -> Outcome.COMMITTED;
                case STATUS_ROLLED_BACK -> Outcome.ROLLED_BACK;
                default -> Outcome.UNKNOWN;
            });
        }
    }
}
