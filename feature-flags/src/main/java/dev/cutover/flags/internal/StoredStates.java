package dev.cutover.flags.internal;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates flags read from outside Cutover's control (a table anyone can {@code UPDATE}, a flag
 * provider) and stands in the last good state of a migration for an illegal one.
 *
 * <p>Each distinct problem of a migration is logged once at WARN and counted once, however often
 * it is read again; its fix is logged at INFO. Thread-safe.
 */
public final class StoredStates {
    private static final Logger LOG = LoggerFactory.getLogger(StoredStates.class);

    private final String where;
    private final String fix;
    private final Map<String, MigrationState> lastGood = new ConcurrentHashMap<>();
    private final Map<String, String> reportedProblems = new ConcurrentHashMap<>();
    private final AtomicLong invalidValues = new AtomicLong();

    /**
     * Creates a validator.
     *
     * @param where names the place values come from, for logs (e.g. {@code "table cutover_flag_state"})
     */
    public StoredStates(String where) {
        this(where, "fix the stored value, or flip the migration through MigrationFlags, which replaces it");
    }

    /**
     * Creates a validator.
     *
     * @param where names the place values come from, for logs (e.g. {@code "table cutover_flag_state"})
     * @param fix tells an operator how to repair an illegal value, for logs
     */
    public StoredStates(String where, String fix) {
        this.where = Objects.requireNonNull(where, "null where");
        this.fix = Objects.requireNonNull(fix, "null fix");
    }

    /**
     * Builds a state from stored raw values, rejecting illegal ones.
     *
     * @param migration the migration name
     * @param stage the stage name, parsed as {@link Stage#parse(String)}
     * @param targetReadPercent the target read percentage
     * @param shadowReadPercent the shadow read percentage
     * @param targetKeys the target canary keys
     * @param sourceKeys the source canary keys
     * @param version the stored version
     * @return the state
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static MigrationState decode(String migration, String stage, double targetReadPercent,
                                        double shadowReadPercent, Collection<String> targetKeys,
                                        Collection<String> sourceKeys, long version) {
        MigrationState.Builder builder;
        try {
            builder = MigrationState.builder(migration);
        } catch (CutoverConfigurationException e) {
            // A stored name is a value read, not a setting of this process: it is refused like the
            // stored stage and percentages, so the row is skipped and the other migrations load.
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            builder.stage(Stage.parse(Objects.requireNonNull(stage, "stage is missing")));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("stage: " + e.getMessage(), e);
        }
        return builder.targetReadPercent(targetReadPercent).shadowReadPercent(shadowReadPercent)
                .targetKeys(targetKeys).sourceKeys(sourceKeys).version(version).build();
    }

    /**
     * Decodes a migration's stored values, or stands in for them if they are illegal.
     *
     * @param migration the migration name as stored
     * @param storedVersion the stored version, given to a stand-in so that the next flip's
     *     compare-and-set replaces the illegal values
     * @param decoder builds the state, throwing {@link IllegalArgumentException} for illegal values
     * @param fallback the last good state when this process has none yet (e.g. from an audit
     *     trail), or null; called only for illegal values
     * @return the state, the last good one with {@code storedVersion}, or null if the name itself
     *     is illegal
     */
    public MigrationState resolve(String migration, long storedVersion, Supplier<MigrationState> decoder,
                                  Function<String, MigrationState> fallback) {
        try {
            MigrationState state = decoder.get();
            lastGood.put(migration, state);
            if (reportedProblems.remove(migration) != null) {
                LOG.info("Stored flags of migration '{}' in {} are valid again", migration, where);
            }
            return state;
        } catch (IllegalArgumentException e) {
            return standIn(migration, storedVersion, e.getMessage(), fallback);
        }
    }

    /**
     * Records a state this process just stored, so that an illegal hand edit right after it falls
     * back to it rather than to an older load.
     *
     * @param stored the stored state
     */
    public void stored(MigrationState stored) {
        lastGood.put(stored.migration(), stored);
    }

    private MigrationState standIn(String migration, long storedVersion, String problem,
                                   Function<String, MigrationState> fallback) {
        MigrationState good = lastGood.get(migration);
        if (good == null && Names.isLegal(migration)) {
            MigrationState recovered = fallback.apply(migration);
            good = recovered != null ? recovered : MigrationState.initial(migration);
            lastGood.put(migration, good);
        }
        if (!problem.equals(reportedProblems.put(migration, problem))) {
            invalidValues.incrementAndGet();
            // An illegal value is an edit, not an outage: the message names the value and its fix,
            // and every other migration goes on following the store.
            LOG.warn("Illegal stored flags of migration '{}' in {}: {}. {} until the value is fixed; other migrations"
                    + " are not affected. Fix: {} (logged once per problem, counted in cutover.flags.invalid.values)",
                    migration, where, problem, good == null ? "Ignoring the row" : "Keeping its last good state " + good,
                    fix);
        }
        return good == null ? null : good.toBuilder().version(Math.max(0, storedVersion)).build();
    }

    /** @return how many distinct problems were found so far */
    public long invalidValueCount() {
        return invalidValues.get();
    }
}
