package dev.cutover.flags.internal;

import dev.cutover.common.internal.Names;
import dev.cutover.flags.ConcurrentFlipException;
import dev.cutover.flags.MigrationState;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Argument checks every {@link dev.cutover.flags.FlagStore} applies alike. */
public final class FlipArguments {
    /** The longest actor a store must keep. */
    public static final int MAX_ACTOR_LENGTH = 200;
    /** The longest reason a store must keep. */
    public static final int MAX_REASON_LENGTH = 1000;

    private FlipArguments() {
    }

    /**
     * Checks the arguments of {@link dev.cutover.flags.FlagStore#save}.
     *
     * @param expected the state the flip is based on
     * @param next the new state
     * @param actor who flips
     * @param reason why
     * @throws NullPointerException if any is null
     * @throws IllegalArgumentException if the migrations differ or actor or reason are out of bounds
     */
    public static void check(MigrationState expected, MigrationState next, String actor, String reason) {
        Objects.requireNonNull(expected, "null expected");
        Objects.requireNonNull(next, "null next");
        checkActorAndReason(actor, reason);
        if (!expected.migration().equals(next.migration())) {
            throw new IllegalArgumentException("expected and next must be states of the same migration, but were '"
                    + expected.migration() + "' and '" + next.migration() + "'");
        }
    }

    /**
     * Checks the arguments of {@link dev.cutover.flags.FlagStore#saveAll}.
     *
     * @param expected the states the flips are based on
     * @param next the new states, in the same order
     * @param actor who flips
     * @param reason why
     * @throws NullPointerException if any is null
     * @throws IllegalArgumentException if the lists are empty or differ in size, a pair names two
     *     migrations, a migration comes twice, or actor or reason are out of bounds
     */
    public static void checkAll(List<MigrationState> expected, List<MigrationState> next, String actor, String reason) {
        Objects.requireNonNull(expected, "null expected");
        Objects.requireNonNull(next, "null next");
        if (expected.isEmpty() || expected.size() != next.size()) {
            throw new IllegalArgumentException("expected and next must hold one state per migration, at least one, but"
                    + " held " + expected.size() + " and " + next.size());
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < expected.size(); i++) {
            check(expected.get(i), next.get(i), actor, reason);
            if (!seen.add(expected.get(i).migration())) {
                throw new IllegalArgumentException("migration '" + expected.get(i).migration() + "' comes twice;"
                        + " name each migration once");
            }
        }
    }

    /**
     * Checks who flips and why.
     *
     * @param actor 1 to {@value #MAX_ACTOR_LENGTH} characters, not blank
     * @param reason 0 to {@value #MAX_REASON_LENGTH} characters
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if either is out of bounds
     */
    public static void checkActorAndReason(String actor, String reason) {
        Objects.requireNonNull(actor, "null actor");
        Objects.requireNonNull(reason, "null reason");
        if (actor.isBlank() || actor.length() > MAX_ACTOR_LENGTH) {
            throw new IllegalArgumentException("actor must be 1 to " + MAX_ACTOR_LENGTH
                    + " characters and not blank, but was '" + actor + "'");
        }
        if (reason.length() > MAX_REASON_LENGTH) {
            throw new IllegalArgumentException("reason must be at most " + MAX_REASON_LENGTH
                    + " characters, but had " + reason.length());
        }
    }

    /**
     * Checks the arguments of {@link dev.cutover.flags.FlagStore#audit}.
     *
     * @param migration the migration name
     * @param limit at least 1
     * @throws IllegalArgumentException if limit is below 1
     * @throws dev.cutover.common.CutoverConfigurationException if the name is illegal
     */
    public static void checkAuditQuery(String migration, int limit) {
        Names.checkMigrationName(migration);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
        }
    }

    /**
     * The exception for a lost compare-and-set.
     *
     * @param expected the state the flip was based on
     * @param storedVersion the version found in the store
     * @return the exception to throw
     */
    public static ConcurrentFlipException conflict(MigrationState expected, long storedVersion) {
        return new ConcurrentFlipException("Migration '" + expected.migration() + "' was flipped concurrently: expected"
                + " version " + expected.version() + " but the store holds version " + storedVersion);
    }
}
