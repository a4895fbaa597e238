package dev.cutover.verifier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The result of a verification run: per mapped table, the rows and chunks compared and every key
 * still different after re-checking. Available as this object and as JSON ({@link #toJson()}).
 * Immutable and thread-safe.
 */
public final class VerificationReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String runId;
    private final boolean completed;
    private final Instant startedAt;
    private final Duration duration;
    private final List<TableReport> tables;

    /**
     * Creates a report.
     *
     * @param runId the run's id, to {@link Verifier#resume(String) resume} it
     * @param completed whether every table was finished; false when the run was stopped
     * @param startedAt when this process started or resumed the run
     * @param duration how long this process ran it
     * @param tables one report per mapped table, in mapping order
     */
    public VerificationReport(String runId, boolean completed, Instant startedAt, Duration duration,
            List<TableReport> tables) {
        this.runId = Objects.requireNonNull(runId, "null runId");
        this.completed = completed;
        this.startedAt = Objects.requireNonNull(startedAt, "null startedAt");
        this.duration = Objects.requireNonNull(duration, "null duration");
        this.tables = List.copyOf(tables);
    }

    /** @return the run's id */
    public String runId() {
        return runId;
    }

    /** @return whether every table was verified to its end; false if the run was stopped */
    public boolean completed() {
        return completed;
    }

    /** @return when this process started (or resumed) the run */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return how long this process ran it */
    public Duration duration() {
        return duration;
    }

    /** @return one report per mapped table, in mapping order */
    public List<TableReport> tables() {
        return tables;
    }

    /**
     * The report of one table.
     *
     * @param entity the mapping's entity
     * @return its report
     * @throws IllegalArgumentException if the run has no such table
     */
    public TableReport table(String entity) {
        return tables.stream().filter(t -> t.entity().equals(entity)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("The report has no table '" + entity + "'"));
    }

    /** @return source rows compared in every table */
    public long rowsCompared() {
        return tables.stream().mapToLong(TableReport::rowsCompared).sum();
    }

    /** @return the differing keys of every table */
    public long differenceCount() {
        return tables.stream().mapToLong(TableReport::differenceCount).sum();
    }

    /** @return whether the run completed and found no difference: the sides hold the same rows */
    public boolean isClean() {
        return completed && differenceCount() == 0;
    }

    /**
     * The report as JSON: {@code runId}, {@code completed}, {@code startedAt} (ISO-8601),
     * {@code durationMillis}, {@code rowsCompared}, {@code differences}, and {@code tables}, each
     * with the {@link TableReport} components ({@code durationMillis} for its duration), the
     * counts of listed differences per kind ({@code missingOnTarget}, {@code extraOnTarget},
     * {@code differentValues}, {@code unconvertible}), and the listed differences as
     * {@code {"key", "kind", "columns"}}, with a {@code "reason"} for unconvertible rows (and for
     * differing values with {@link VerifierConfig#revealValues()}).
     *
     * @return indented JSON
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("runId", runId);
        root.put("completed", completed);
        root.put("startedAt", startedAt.toString());
        root.put("durationMillis", duration.toMillis());
        root.put("rowsCompared", rowsCompared());
        root.put("differences", differenceCount());
        ArrayNode tableArray = root.putArray("tables");
        for (TableReport t : tables) {
            ObjectNode table = tableArray.addObject();
            table.put("entity", t.entity());
            table.put("sourceTable", t.sourceTable());
            table.put("targetTable", t.targetTable());
            table.put("method", t.method().name());
            table.put("finished", t.finished());
            table.put("rowsCompared", t.rowsCompared());
            table.put("chunks", t.chunks());
            table.put("chunksComparedByRow", t.chunksComparedByRow());
            table.put("transientDifferences", t.transientDifferences());
            table.put("repairsQueued", t.repairsQueued());
            table.put("durationMillis", t.duration().toMillis());
            table.put("missingOnTarget", t.missingOnTarget().size());
            table.put("extraOnTarget", t.extraOnTarget().size());
            table.put("differentValues", t.differentValues().size());
            table.put("unconvertible", t.unconvertible().size());
            table.put("unlistedDifferences", t.unlistedDifferences());
            ArrayNode differences = table.putArray("differences");
            for (RowDifference d : t.differences()) {
                ObjectNode node = differences.addObject();
                node.put("key", d.key());
                node.put("kind", d.kind().name());
                ArrayNode columns = node.putArray("columns");
                d.columns().forEach(columns::add);
                if (!d.reason().isEmpty()) {
                    node.put("reason", d.reason());
                }
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A JSON tree of strings and numbers failed to serialise", e);
        }
    }

    @Override
    public String toString() {
        return "VerificationReport{" + runId + (completed ? ", completed" : ", stopped") + ", rows " + rowsCompared()
                + ", differences " + differenceCount() + ", " + duration.toMillis() + " ms}";
    }
}
