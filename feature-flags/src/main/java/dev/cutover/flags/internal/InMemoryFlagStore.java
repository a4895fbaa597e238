package dev.cutover.flags.internal;

import dev.cutover.flags.ConcurrentFlipException;
import dev.cutover.flags.FlagChange;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationState;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link FlagStore#inMemory()}: states and audit in this process's memory.
 *
 * <p>Thread-safe: one lock makes each save (state and audit entry together) atomic; flips are rare,
 * so the lock never contends with request traffic, which reads {@code MigrationFlags}'s snapshot.
 */
public final class InMemoryFlagStore implements FlagStore {
    private final Clock clock;
    private final Map<String, MigrationState> states = new HashMap<>();
    private final Map<String, List<FlagChange>> changes = new HashMap<>();

    /**
     * Creates an empty store.
     *
     * @param clock stamps audit entries
     */
    public InMemoryFlagStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "null clock");
    }

    @Override
    public synchronized Map<String, MigrationState> loadAll() {
        return Map.copyOf(states);
    }

    @Override
    public synchronized MigrationState save(MigrationState expected, MigrationState next, String actor, String reason) {
        FlipArguments.check(expected, next, actor, reason);
        String migration = expected.migration();
        MigrationState current = states.get(migration);
        long currentVersion = current == null ? 0 : current.version();
        if (currentVersion != expected.version()) {
            throw FlipArguments.conflict(expected, currentVersion);
        }
        MigrationState stored = next.toBuilder().version(expected.version() + 1).build();
        states.put(migration, stored);
        changes.computeIfAbsent(migration, m -> new ArrayList<>())
                .add(new FlagChange(migration, expected, stored, actor, reason, clock.instant()));
        return stored;
    }

    @Override
    public synchronized List<MigrationState> saveAll(List<MigrationState> expected, List<MigrationState> next,
            String actor, String reason) {
        FlipArguments.checkAll(expected, next, actor, reason);
        for (MigrationState state : expected) {
            MigrationState current = states.get(state.migration());
            long currentVersion = current == null ? 0 : current.version();
            if (currentVersion != state.version()) {
                throw FlipArguments.conflict(state, currentVersion);
            }
        }
        List<MigrationState> stored = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            stored.add(save(expected.get(i), next.get(i), actor, reason));
        }
        return List.copyOf(stored);
    }

    @Override
    public synchronized List<FlagChange> audit(String migration, int limit) {
        FlipArguments.checkAuditQuery(migration, limit);
        List<FlagChange> all = changes.getOrDefault(migration, List.of());
        List<FlagChange> newestFirst = new ArrayList<>(Math.min(limit, all.size()));
        for (int i = all.size() - 1; i >= 0 && newestFirst.size() < limit; i--) {
            newestFirst.add(all.get(i));
        }
        return List.copyOf(newestFirst);
    }
}
