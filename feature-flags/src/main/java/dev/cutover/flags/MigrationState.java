package dev.cutover.flags;

import dev.cutover.common.internal.Names;
import dev.cutover.flags.internal.Bucketing;
import dev.cutover.flags.internal.Percentages;
import dev.cutover.flags.internal.Routing;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The flags of one migration at one moment: its stage, the share of reads the target serves, the
 * share of reads compared on both sides, and canary keys forced to one side.
 *
 * <p>Immutable and thread-safe; cheap to evaluate on every request. Build one with
 * {@link #builder(String)} or change one with {@link #toBuilder()}; {@link Builder#build()}
 * rejects illegal values with a message naming the field and the allowed values.
 */
public final class MigrationState {
    private static final int MAX_BASIS_POINTS = Bucketing.BUCKETS;

    private final String migration;
    private final Stage stage;
    private final int targetReadBasisPoints;
    private final int shadowReadBasisPoints;
    private final Set<String> targetKeys;
    private final Set<String> sourceKeys;
    private final long version;
    /** {@link Bucketing#prefix} of the migration, so that a routing decision hashes only the key. */
    private final long bucketPrefix;
    private final int bucketPrefixLength;
    /** The side every read goes to whatever its key, or null when the key decides: computed once, not per read. */
    private final Side stageReadSide;
    /** The side a read of a key goes to when no canary pins it, or null when its bucket decides. */
    private final Side unpinnedReadSide;
    /** Canary keys and their side, the source winning for a key in both lists; null when there is none. */
    private final Map<String, Side> pinnedReadSides;

    static {
        // The read router decides each read's side and shadow through Routing; those per-read calls
        // stay off this class's public API.
        Routing.install(new Routing.Access() {
            @Override
            public Side readSide(MigrationState state, String routingKey) {
                return state.readSide(routingKey);
            }

            @Override
            public boolean shadowRead(MigrationState state) {
                return state.shadowRead();
            }
        });
    }

    private MigrationState(Builder b) {
        this.migration = b.migration;
        this.stage = b.stage;
        this.targetReadBasisPoints = b.targetReadBasisPoints;
        this.shadowReadBasisPoints = b.shadowReadBasisPoints;
        this.targetKeys = Set.copyOf(b.targetKeys);
        this.sourceKeys = Set.copyOf(b.sourceKeys);
        this.version = b.version;
        this.bucketPrefix = Bucketing.prefix(migration);
        this.bucketPrefixLength = Bucketing.prefixLength(migration);
        this.stageReadSide = stage == Stage.SOURCE_ONLY ? Side.SOURCE : stage == Stage.TARGET_ONLY ? Side.TARGET : null;
        this.unpinnedReadSide = stage == Stage.SHIFT_READS ? null : stage.primary();
        this.pinnedReadSides = pinnedReadSides(targetKeys, sourceKeys);
    }

    private static Map<String, Side> pinnedReadSides(Set<String> targetKeys, Set<String> sourceKeys) {
        if (targetKeys.isEmpty() && sourceKeys.isEmpty()) {
            return null;
        }
        Map<String, Side> sides = new HashMap<>();
        targetKeys.forEach(key -> sides.put(key, Side.TARGET));
        sourceKeys.forEach(key -> sides.put(key, Side.SOURCE));
        return Map.copyOf(sides);
    }

    /**
     * The state every migration has before anything was stored for it: {@link Stage#SOURCE_ONLY},
     * no target reads, no shadow reads, no canaries, version 0.
     *
     * @param migration the migration name
     * @return the initial state
     */
    public static MigrationState initial(String migration) {
        return builder(migration).build();
    }

    /**
     * A builder that starts from {@link #initial(String)}.
     *
     * @param migration the migration name: 1 to 64 letters, digits, {@code _ . -}
     * @return the builder
     */
    public static Builder builder(String migration) {
        return new Builder(migration);
    }

    /** @return a builder holding this state's values, to derive a changed state */
    public Builder toBuilder() {
        Builder b = new Builder(migration);
        b.stage = stage;
        b.targetReadBasisPoints = targetReadBasisPoints;
        b.shadowReadBasisPoints = shadowReadBasisPoints;
        b.targetKeys.addAll(targetKeys);
        b.sourceKeys.addAll(sourceKeys);
        b.version = version;
        return b;
    }

    /** @return the migration name */
    public String migration() {
        return migration;
    }

    /** @return the stage */
    public Stage stage() {
        return stage;
    }

    /** @return the percentage of keyed reads the target serves in {@link Stage#SHIFT_READS}, 0 to 100 */
    public double targetReadPercent() {
        return targetReadBasisPoints / 100.0;
    }

    /** @return {@link #targetReadPercent()} in hundredths of a percent, 0 to 10,000 */
    public int targetReadBasisPoints() {
        return targetReadBasisPoints;
    }

    /** @return the percentage of reads also run on the other side and compared, 0 to 100 */
    public double shadowReadPercent() {
        return shadowReadBasisPoints / 100.0;
    }

    /** @return {@link #shadowReadPercent()} in hundredths of a percent, 0 to 10,000 */
    public int shadowReadBasisPoints() {
        return shadowReadBasisPoints;
    }

    /** @return routing keys always read from the target while both sides are written */
    public Set<String> targetKeys() {
        return targetKeys;
    }

    /** @return routing keys always read from the source while both sides are written */
    public Set<String> sourceKeys() {
        return sourceKeys;
    }

    /**
     * A number that each stored change increases by one, so that concurrent flips from several
     * instances can be detected. 0 for a state never stored.
     *
     * @return the version
     */
    public long version() {
        return version;
    }

    /** @see Routing#readSide */
    Side readSide(String routingKey) {
        Side side = stageReadSide;
        if (side != null) {
            return side;
        }
        if (routingKey != null && pinnedReadSides != null) {
            side = pinnedReadSides.get(routingKey);
            if (side != null) {
                return side;
            }
        }
        side = unpinnedReadSide;
        if (side != null) {
            return side;
        }
        return Bucketing.within(bucketPrefix, bucketPrefixLength, routingKey, targetReadBasisPoints) ? Side.TARGET : Side.SOURCE;
    }

    /** @see Routing#shadowRead */
    boolean shadowRead() {
        if (!stage.dualWrites() || shadowReadBasisPoints <= 0) {
            return false;
        }
        return shadowReadBasisPoints >= MAX_BASIS_POINTS
                || ThreadLocalRandom.current().nextInt(MAX_BASIS_POINTS) < shadowReadBasisPoints;
    }

    /**
     * Whether this state says the same as another, ignoring {@link #version()}.
     *
     * @param other another state
     * @return true if every flag is equal
     */
    public boolean sameFlagsAs(MigrationState other) {
        return migration.equals(other.migration) && stage == other.stage
                && targetReadBasisPoints == other.targetReadBasisPoints
                && shadowReadBasisPoints == other.shadowReadBasisPoints
                && targetKeys.equals(other.targetKeys) && sourceKeys.equals(other.sourceKeys);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MigrationState && version == ((MigrationState) o).version && sameFlagsAs((MigrationState) o);
    }

    @Override
    public int hashCode() {
        return Objects.hash(migration, stage, targetReadBasisPoints, shadowReadBasisPoints, targetKeys, sourceKeys, version);
    }

    @Override
    public String toString() {
        return "MigrationState{migration=" + migration + ", stage=" + stage + ", targetReadPercent=" + targetReadPercent()
                + ", shadowReadPercent=" + shadowReadPercent() + ", targetKeys=" + targetKeys.size()
                + ", sourceKeys=" + sourceKeys.size() + ", version=" + version + "}";
    }

    /** Builds a {@link MigrationState}; not thread-safe. */
    public static final class Builder {
        private final String migration;
        private Stage stage = Stage.SOURCE_ONLY;
        private int targetReadBasisPoints;
        private int shadowReadBasisPoints;
        private final Set<String> targetKeys = new LinkedHashSet<>();
        private final Set<String> sourceKeys = new LinkedHashSet<>();
        private long version;

        private Builder(String migration) {
            this.migration = Names.checkMigrationName(migration);
        }

        /**
         * Sets the stage.
         *
         * @param stage the stage; default {@link Stage#SOURCE_ONLY}
         * @return this builder
         */
        public Builder stage(Stage stage) {
            this.stage = Objects.requireNonNull(stage, "null stage");
            return this;
        }

        /**
         * Sets the percentage of keyed reads the target serves in {@link Stage#SHIFT_READS}.
         *
         * @param percent 0 to 100 in steps of 0.01; default 0
         * @return this builder
         * @throws IllegalArgumentException if out of range or finer than 0.01
         */
        public Builder targetReadPercent(double percent) {
            this.targetReadBasisPoints = Percentages.toBasisPoints("targetReadPercent", percent);
            return this;
        }

        /**
         * Sets the percentage of reads also run on the other side and compared.
         *
         * @param percent 0 to 100 in steps of 0.01; default 0
         * @return this builder
         * @throws IllegalArgumentException if out of range or finer than 0.01
         */
        public Builder shadowReadPercent(double percent) {
            this.shadowReadBasisPoints = Percentages.toBasisPoints("shadowReadPercent", percent);
            return this;
        }

        /**
         * Replaces the routing keys always read from the target while both sides are written.
         *
         * @param keys the keys
         * @return this builder
         */
        public Builder targetKeys(Collection<String> keys) {
            replace(targetKeys, keys, "targetKeys");
            return this;
        }

        /**
         * Replaces the routing keys always read from the source while both sides are written.
         *
         * @param keys the keys
         * @return this builder
         */
        public Builder sourceKeys(Collection<String> keys) {
            replace(sourceKeys, keys, "sourceKeys");
            return this;
        }

        /**
         * Sets the version; stores set it, applications normally leave it alone.
         *
         * @param version 0 or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder version(long version) {
            if (version < 0) {
                throw new IllegalArgumentException("version must be >= 0, but was " + version);
            }
            this.version = version;
            return this;
        }

        /** @return the immutable state */
        public MigrationState build() {
            return new MigrationState(this);
        }

        private static void replace(Set<String> into, Collection<String> keys, String field) {
            Objects.requireNonNull(keys, () -> "null " + field);
            for (String key : keys) {
                if (key == null || key.isEmpty()) {
                    throw new IllegalArgumentException(field + " must not contain null or empty keys");
                }
            }
            into.clear();
            into.addAll(keys);
        }
    }
}
