package dev.cutover.dualwrite;

import dev.cutover.common.CutoverException;

/**
 * A repository write was called inside a transaction open on the calling thread that Cutover does
 * not know about: no {@link CallerTransactions} was given, or the one given reports none active. The
 * DAO would write in that transaction, but the copy to the other side runs right after the call, on
 * a connection of its own, which cannot see the transaction's uncommitted rows: the write would reach
 * one side only. So the call is refused before the DAO is called; nothing was written. Call the
 * repository outside the transaction, so that each call commits on its own, or give the runtime the
 * application's transactions ({@link RepositoryBuilder#callerTransactions}; for JDBI's,
 * {@link JdbiCallerTransactions}).
 */
public class UnknownTransactionException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /** @param message the call refused, and the fix */
    public UnknownTransactionException(String message) {
        super(message);
    }
}
