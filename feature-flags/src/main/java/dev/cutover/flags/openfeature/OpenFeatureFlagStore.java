package dev.cutover.flags.openfeature;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.flags.FlagChange;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.FlagStoreException;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Percentages;
import dev.cutover.flags.internal.StoredStates;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.FlagEvaluationDetails;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * A read-only {@link FlagStore} that takes the flags of migrations from an OpenFeature
 * {@link Client}, so that a team can flip them in the flag system it already runs (LaunchDarkly,
 * Unleash, flagd, ...). Use it like any store: {@code MigrationFlags.builder(store).build()}.
 *
 * <p>Flag keys per migration {@code <m>}, with the default prefix {@value #DEFAULT_KEY_PREFIX}:
 * <table>
 *   <caption>OpenFeature flags read per migration</caption>
 *   <tr><th>key</th><th>type</th><th>value</th><th>when the flag does not exist</th></tr>
 *   <tr><td>{@code cutover.<m>.stage}</td><td>string</td><td>a stage name such as {@code SHIFT_READS}
 *       or {@code shift-reads}</td><td>{@code SOURCE_ONLY}</td></tr>
 *   <tr><td>{@code cutover.<m>.target-read-percent}</td><td>double (or integer)</td><td>0 to 100</td><td>0</td></tr>
 *   <tr><td>{@code cutover.<m>.shadow-read-percent}</td><td>double (or integer)</td><td>0 to 100</td><td>0</td></tr>
 *   <tr><td>{@code cutover.<m>.target-keys}</td><td>string</td><td>comma-separated routing keys read from
 *       the target</td><td>none</td></tr>
 *   <tr><td>{@code cutover.<m>.source-keys}</td><td>string</td><td>comma-separated routing keys read from
 *       the source</td><td>none</td></tr>
 * </table>
 *
 * <p>Flags are evaluated without a per-request context (a migration's stage is the same for every
 * request), so the provider's default or fallthrough variant applies. An illegal value (unknown
 * stage, percentage outside 0 to 100, wrong type) keeps that migration's last good state and is
 * logged once and counted, as with {@link dev.cutover.flags.JdbcFlagStore}. A provider error other
 * than a missing flag (not ready, fatal, general) fails the whole load with a
 * {@link FlagStoreException}, which {@link dev.cutover.flags.MigrationFlags} treats as an outage.
 *
 * <p>Flips happen in the flag provider, which keeps its own audit log: {@link #save} throws and
 * {@link #audit} is empty. Since a provider has no versions, {@link MigrationState#version()} counts
 * the changes this store has seen. Thread-safe.
 */
// OpenFeature is optional (requires static): an application that passes a Client requires it itself.
@SuppressWarnings("exports")
public final class OpenFeatureFlagStore implements FlagStore {
    /** The default first part of every flag key. */
    public static final String DEFAULT_KEY_PREFIX = "cutover";

    private final Client client;
    private final List<String> migrations;
    private final String keyPrefix;
    private final StoredStates storedStates;
    private final Map<String, MigrationState> lastSeen = new ConcurrentHashMap<>();

    private OpenFeatureFlagStore(Builder builder) {
        this.client = builder.client;
        this.migrations = List.copyOf(builder.migrations);
        this.keyPrefix = builder.keyPrefix;
        this.storedStates = new StoredStates("OpenFeature client '" + client.getMetadata().getDomain() + "'");
    }

    /**
     * Starts building a store over an OpenFeature client.
     *
     * @param client the client whose provider holds the flags
     * @return the builder
     */
    public static Builder builder(Client client) {
        return new Builder(client);
    }

    /** @return the migrations this store reads, in the order given */
    public List<String> migrations() {
        return migrations;
    }

    /**
     * The key of one flag of a migration.
     *
     * @param migration the migration name
     * @param flag {@code stage}, {@code target-read-percent}, {@code shadow-read-percent},
     *     {@code target-keys} or {@code source-keys}
     * @return e.g. {@code cutover.orders.stage}
     */
    public String flagKey(String migration, String flag) {
        return keyPrefix + "." + migration + "." + flag;
    }

    /**
     * Evaluates the flags of every configured migration.
     *
     * @return a state per configured migration
     * @throws FlagStoreException if the provider is not ready or fails
     */
    @Override
    public Map<String, MigrationState> loadAll() {
        Map<String, MigrationState> states = new HashMap<>();
        for (String migration : migrations) {
            List<String> problems = new ArrayList<>();
            String stage = evaluate(migration, "stage", "SOURCE_ONLY", client::getStringDetails, problems);
            checkStage(migration, stage, problems);
            double target = percent(migration, "target-read-percent", problems);
            double shadow = percent(migration, "shadow-read-percent", problems);
            String targetKeys = evaluate(migration, "target-keys", "", client::getStringDetails, problems);
            String sourceKeys = evaluate(migration, "source-keys", "", client::getStringDetails, problems);
            MigrationState previous = lastSeen.get(migration);
            long version = previous == null ? 0 : previous.version();
            MigrationState state = storedStates.resolve(migration, version, () -> {
                if (!problems.isEmpty()) {
                    throw new IllegalArgumentException(String.join("; ", problems));
                }
                return StoredStates.decode(migration, stage, target, shadow, splitKeys(targetKeys),
                        splitKeys(sourceKeys), version);
            }, m -> null);
            if (previous != null && !previous.sameFlagsAs(state)) {
                state = state.toBuilder().version(version + 1).build();
            }
            lastSeen.put(migration, state);
            states.put(migration, state);
        }
        return states;
    }

    /**
     * Always refuses: migrations are flipped in the flag provider.
     *
     * @throws UnsupportedOperationException always, naming the flag keys to change instead
     */
    @Override
    public MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
        Objects.requireNonNull(expected, "null expected");
        throw new UnsupportedOperationException("Flags of migration '" + expected.migration() + "' come from OpenFeature"
                + " and are read-only here: flip them in the flag provider (flags " + flagKey(expected.migration(), "stage")
                + ", " + flagKey(expected.migration(), "target-read-percent") + ", ...)");
    }

    /**
     * Returns no entries: flips are made and audited in the flag provider.
     *
     * @return an empty list
     */
    @Override
    public List<FlagChange> audit(String migration, int limit) {
        return List.of();
    }

    @Override
    public long invalidValueCount() {
        return storedStates.invalidValueCount();
    }

    @Override
    public String toString() {
        return "OpenFeatureFlagStore{" + keyPrefix + ".*, migrations=" + migrations + "}";
    }

    private Double percent(String migration, String flag, List<String> problems) {
        String key = flagKey(migration, flag);
        FlagEvaluationDetails<Double> details = client.getDoubleDetails(key, 0.0);
        if (details.getErrorCode() == ErrorCode.TYPE_MISMATCH) {
            // Many providers hand out whole numbers as integers.
            FlagEvaluationDetails<Integer> whole = client.getIntegerDetails(key, 0);
            if (whole.getErrorCode() == null) {
                return whole.getValue().doubleValue();
            }
        }
        double percent = valueOf(key, details, 0.0, "a number from 0 to 100", problems);
        try {
            Percentages.toBasisPoints(key, percent);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        return percent;
    }

    private void checkStage(String migration, String stage, List<String> problems) {
        try {
            Stage.parse(stage);
        } catch (IllegalArgumentException e) {
            problems.add(flagKey(migration, "stage") + ": " + e.getMessage());
        }
    }

    private <T> T evaluate(String migration, String flag, T absent,
                           BiFunction<String, T, FlagEvaluationDetails<T>> evaluation, List<String> problems) {
        String key = flagKey(migration, flag);
        return valueOf(key, evaluation.apply(key, absent), absent, "a string", problems);
    }

    private static <T> T valueOf(String key, FlagEvaluationDetails<T> details, T absent, String expected,
                                 List<String> problems) {
        ErrorCode error = details.getErrorCode();
        if (error == null) {
            return details.getValue() == null ? absent : details.getValue();
        }
        switch (error) {
            case FLAG_NOT_FOUND:
                return absent;
            case TYPE_MISMATCH:
            case PARSE_ERROR:
                problems.add(key + " must be " + expected + ", but the provider said " + error
                        + (details.getErrorMessage() == null ? "" : " (" + details.getErrorMessage() + ")"));
                return absent;
            default:
                throw new FlagStoreException("OpenFeature could not evaluate flag " + key + ": " + error
                        + (details.getErrorMessage() == null ? "" : " (" + details.getErrorMessage() + ")"));
        }
    }

    private static List<String> splitKeys(String text) {
        Set<String> keys = new LinkedHashSet<>();
        for (String key : text.split(",")) {
            if (!key.isBlank()) {
                keys.add(key.strip());
            }
        }
        return List.copyOf(keys);
    }

    /** Builds an {@link OpenFeatureFlagStore}; not thread-safe. */
    public static final class Builder {
        private final Client client;
        private final Set<String> migrations = new LinkedHashSet<>();
        private String keyPrefix = DEFAULT_KEY_PREFIX;

        private Builder(Client client) {
            this.client = Objects.requireNonNull(client, "null client");
        }

        /**
         * Adds migrations to read; OpenFeature cannot list flags, so every migration must be named.
         *
         * @param names migration names
         * @return this builder
         * @throws CutoverConfigurationException if a name is illegal
         */
        public Builder migrations(Collection<String> names) {
            Objects.requireNonNull(names, "null migrations");
            for (String name : names) {
                migrations.add(Names.checkMigrationName(name));
            }
            return this;
        }

        /**
         * Adds migrations to read.
         *
         * @param names migration names
         * @return this builder
         * @see #migrations(Collection)
         */
        public Builder migrations(String... names) {
            return migrations(List.of(names));
        }

        /**
         * Sets the first part of every flag key.
         *
         * @param keyPrefix 1 to 64 letters, digits, {@code _ . -}, not ending in a dot; default
         *     {@value OpenFeatureFlagStore#DEFAULT_KEY_PREFIX}
         * @return this builder
         * @throws CutoverConfigurationException if the prefix is illegal
         */
        public Builder keyPrefix(String keyPrefix) {
            Objects.requireNonNull(keyPrefix, "null keyPrefix");
            if (!keyPrefix.matches("[A-Za-z0-9_.-]{0,63}[A-Za-z0-9_-]")) {
                throw new CutoverConfigurationException("keyPrefix must be 1 to 64 letters, digits, '_', '.' or '-'"
                        + " and not end in '.', but was '" + keyPrefix + "': use the prefix of the flag keys in your"
                        + " OpenFeature provider, such as " + DEFAULT_KEY_PREFIX);
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /**
         * Builds the store.
         *
         * @return the store
         * @throws CutoverConfigurationException if no migration was named
         */
        public OpenFeatureFlagStore build() {
            if (migrations.isEmpty()) {
                throw new CutoverConfigurationException("migrations must name at least one migration: OpenFeature"
                        + " cannot list flags, so the store reads only the migrations it is told; call"
                        + " migrations(...) with every migration's name");
            }
            return new OpenFeatureFlagStore(this);
        }
    }
}
