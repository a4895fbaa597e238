package dev.cutover.router.internal;

import dev.cutover.router.ReadRouter;
import java.util.Objects;
import java.util.function.Function;

/**
 * Hands a router's per-field mismatch counts to the module's Micrometer binder, which must register a
 * meter for each field as it first appears, without making that watching part of the public API.
 */
public final class RouterInternals {
    private static volatile Function<ReadRouter, MismatchFields> mismatchFields;

    private RouterInternals() {
    }

    /**
     * Called once by {@link ReadRouter}'s class initialiser.
     *
     * @param access reads a router's counts
     */
    public static void install(Function<ReadRouter, MismatchFields> access) {
        if (mismatchFields == null) {
            mismatchFields = Objects.requireNonNull(access, "null access");
        }
    }

    /**
     * @param router a router
     * @return its per-field mismatch counts
     */
    public static MismatchFields mismatchFields(ReadRouter router) {
        return mismatchFields.apply(router);
    }
}
