package dev.cutover.verifier;

import java.util.List;

/**
 * The tables cannot be verified as mapped: a table or a mapped column is missing, a table has no
 * primary key or one other than the mapping's key, or a source column's type cannot hold the
 * same values as its target column's. Raised before any row is read; the message lists every problem.
 */
public final class VerificationSetupException extends VerifierException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /**
     * Creates the exception.
     *
     * @param problems one sentence per problem, naming the table, the column and the fix
     */
    public VerificationSetupException(List<String> problems) {
        super("Cannot verify: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /** @return one sentence per problem found */
    public List<String> problems() {
        return problems;
    }
}
