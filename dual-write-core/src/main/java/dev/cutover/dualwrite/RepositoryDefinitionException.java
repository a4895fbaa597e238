package dev.cutover.dualwrite;

import dev.cutover.common.CutoverConfigurationException;

/**
 * A repository cannot be wrapped as built: a method cannot be classified as a read or a write, a
 * write has no way to find its routing key, or a required part is missing. The message lists every
 * problem found, each naming the method and the fix.
 *
 * <p>A {@link CutoverConfigurationException} like every other build error, so that one catch
 * covers them all; this subtype stays for callers that catch the repository's problems alone.
 */
public class RepositoryDefinitionException extends CutoverConfigurationException {
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
