package dev.cutover.common;

/**
 * Cutover was configured or defined in a way it cannot work with: a builder setting out of its
 * range, settings that contradict each other, a table prefix that is not an identifier, a
 * migration name outside the rule, a repository or mapping that cannot be wrapped. Thrown while
 * building, before anything runs, with a message naming the setting, the value refused and what to
 * set instead; a call that names a migration (a write's permit, a queue entry) refuses an illegal
 * name with it too, in the same words.
 *
 * <p>It is the one build-error type of every module: a caller that assembles Cutover from
 * external settings (a properties file, a Spring environment) catches this to report a bad
 * setting, and lets every other failure through. Null arguments still fail with
 * {@link NullPointerException}, as in the JDK.
 */
public class CutoverConfigurationException extends CutoverException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the setting or definition refused, and the fix
     */
    public CutoverConfigurationException(String message) {
        super(message);
    }

    /**
     * Creates the exception caused by another one.
     *
     * @param message the setting or definition refused, and the fix
     * @param cause the underlying failure
     */
    public CutoverConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
