package dev.cutover.verifier.internal;

import dev.cutover.verifier.Checkpoint;
import dev.cutover.verifier.CheckpointStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** {@link CheckpointStore#inMemory()}. Thread-safe. */
public final class InMemoryCheckpointStore implements CheckpointStore {
    private final Map<String, Map<String, Checkpoint>> runs = new ConcurrentHashMap<>();

    @Override
    public void save(String runId, Checkpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "null checkpoint");
        runs.computeIfAbsent(Objects.requireNonNull(runId, "null runId"), r -> new ConcurrentHashMap<>())
                .put(checkpoint.entity(), checkpoint);
    }

    @Override
    public Map<String, Checkpoint> load(String runId) {
        return new LinkedHashMap<>(runs.getOrDefault(Objects.requireNonNull(runId, "null runId"), Map.of()));
    }
}
