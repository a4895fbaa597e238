package dev.cutover.flags.internal;

import dev.cutover.common.internal.AccessHooks;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.util.Objects;

/**
 * The per-read decisions of a {@link MigrationState} that only the read router makes: which side
 * serves a read and whether it is shadowed. The state hands these over when its class is initialised,
 * so they stay off its public API (applications ask {@code ReadRouter.route(key)}); every method
 * here takes a state, whose class is then initialised already.
 */
public final class Routing {
    private static volatile Access access;

    private Routing() {
    }

    /** The package-private side of {@link MigrationState}, implemented by that class alone. */
    public interface Access {
        /**
         * @param state the state
         * @param routingKey the read's routing key, or null
         * @return the side that serves the read
         */
        Side readSide(MigrationState state, String routingKey);

        /**
         * @param state the state
         * @return true to shadow this read
         */
        boolean shadowRead(MigrationState state);
    }

    /**
     * Called once, by {@link MigrationState}'s static initialiser.
     *
     * @param stateAccess the state's implementation
     * @throws IllegalStateException if called a second time or from elsewhere
     */
    public static void install(Access stateAccess) {
        access = AccessHooks.checkInstall(access, stateAccess, MigrationState.class);
    }

    /**
     * The side that serves a read.
     *
     * <p>{@link Stage#SOURCE_ONLY} reads the source and {@link Stage#TARGET_ONLY} the target. In the
     * stages that write both sides, canary keys go to their forced side (a key in both lists goes to
     * the source, the safe side); otherwise {@link Stage#DUAL_WRITE} reads the source,
     * {@link Stage#TARGET_PRIMARY} the target, and {@link Stage#SHIFT_READS} the target when the key's
     * sticky bucket is within {@link MigrationState#targetReadPercent()} (a keyless read is split at
     * random). The bucket is MurmurHash3 (x86, 32-bit, seed 0) of the UTF-8 bytes of
     * {@code migration + '\0' + key}, taken unsigned modulo 10,000 (see {@link Bucketing}).
     *
     * @param state the migration's state
     * @param routingKey the read's routing key, or {@code null} if it has none
     * @return the side
     */
    public static Side readSide(MigrationState state, String routingKey) {
        return access.readSide(Objects.requireNonNull(state, "null state"), routingKey);
    }

    /**
     * Whether this read should also run on the other side and be compared. Drawn at random per read
     * with probability {@link MigrationState#shadowReadPercent()}; never in the single-side stages.
     *
     * @param state the migration's state
     * @return true to shadow this read
     */
    public static boolean shadowRead(MigrationState state) {
        return access.shadowRead(Objects.requireNonNull(state, "null state"));
    }
}
