package dev.cutover.dualwrite;

import dev.cutover.common.CutoverException;

/**
 * A repository cannot be wrapped as built: a method cannot be classified as a read or a write, a
 * write has no way to find its routing key, or a required part is missing. The message lists every
 * problem found, each naming the method and the fix.
 */
public class RepositoryDefinitionException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message every problem, one per line
     */
    public RepositoryDefinitionException(String message) {
        super(message);
    }
}
