package dev.cutover.dualwrite;

/**
 * The transaction a repository's caller may have open on its thread, as the application's
 * transaction manager knows it (Spring's {@code TransactionSynchronizationManager}, for example; the
 * Spring Boot starter supplies that one). Given to {@link RepositoryBuilder#callerTransactions}, it
 * lets the repository style copy the keys written inside the caller's transaction once it commits,
 * instead of waiting, inside the call, on the row locks the caller's own transaction holds.
 *
 * <p>The core modules depend on no transaction manager: this interface is the whole contract.
 * Implementations are thread-safe and answer for the calling thread.
 */
public interface CallerTransactions {
    /**
     * @return whether a transaction that runs callbacks at its end is open on this thread, so that
     *     the DAOs' writes commit with it rather than on their own
     */
    boolean active();

    /**
     * @param key what the listener was registered under
     * @return the listener registered under {@code key} in the transaction open on this thread, or
     *     null if none is (or no transaction is open)
     */
    Listener find(Object key);

    /**
     * Registers a listener of the transaction open on this thread under {@code key}, so that
     * {@link #find} returns it until the transaction ends; the transaction calls it back as it ends.
     *
     * @param key a key, unique to the caller
     * @param listener the listener
     * @throws IllegalStateException if no transaction is {@link #active()}
     */
    void register(Object key, Listener listener);

    /** How a transaction ended. */
    enum Outcome {
        /** It committed. */
        COMMITTED,
        /** It rolled back. */
        ROLLED_BACK,
        /** Its commit or rollback failed in a way that leaves the outcome unknown. */
        UNKNOWN
    }

    /** Hears how one transaction ends; each method is called at most once, on the thread that ends it. */
    interface Listener {
        /**
         * Before the transaction commits; an exception thrown here rolls it back instead, and reaches
         * the code that asked to commit.
         */
        void beforeCommit();

        /**
         * After it committed, before the commit returns to the code that asked for it; an exception
         * thrown here reaches that code, the commit having been made.
         */
        void afterCommit();

        /**
         * After it ended, whatever the outcome (after {@link #afterCommit()} when it committed);
         * exceptions thrown here are only logged by the transaction manager, so implementations do
         * not throw.
         *
         * @param outcome how it ended
         */
        void afterCompletion(Outcome outcome);
    }
}
