package dev.cutover.flags;

/**
 * A write of a dual-write stage was refused, before anything was written, because this instance
 * could not confirm its flags recently enough to prove the primary has not moved (the flag store
 * did not answer within the handover pause). The fix is to make the flag store reachable.
 */
public final class FlagsNotConfirmedException extends HandoverException {
    private static final long serialVersionUID = 1L;

    /** @param message the problem and the fix */
    public FlagsNotConfirmedException(String message) {
        super(message);
    }
}
