package dev.cutover.common.internal;

import java.util.Objects;

/**
 * The one check behind every internal accessor ({@code Mappings}, {@code QueueAccess},
 * {@code Routing}, {@code Handovers}): a public type hands its package-private side to an internal
 * class from its static initialiser, so that sibling modules reach it without it being public API.
 * Only a class nested in the owner may install it, and only once, so that no other code can swap in
 * its own.
 */
public final class AccessHooks {
    private AccessHooks() {
    }

    /**
     * @param installed the access installed so far, or null
     * @param candidate the access being installed
     * @param owner the public type whose side it is
     * @param <A> the access type
     * @return the candidate, to install
     * @throws IllegalStateException if an access is installed already or the candidate is not nested in the owner
     */
    public static <A> A checkInstall(A installed, A candidate, Class<?> owner) {
        Objects.requireNonNull(candidate, "null access");
        if (candidate.getClass().getEnclosingClass() != owner || installed != null) {
            throw new IllegalStateException("Only " + owner.getSimpleName() + " installs its access, once");
        }
        return candidate;
    }
}
