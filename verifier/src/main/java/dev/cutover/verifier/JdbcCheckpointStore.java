package dev.cutover.verifier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cutover.common.CutoverException;
import dev.cutover.common.Dialect;
import dev.cutover.common.internal.Checks;
import dev.cutover.common.internal.Dialects;
import dev.cutover.common.internal.NetworkTimeouts;
import dev.cutover.common.internal.Redaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A {@link CheckpointStore} in the table {@code <tablePrefix>verifier_checkpoint}: one row per run
 * and table, replaced after every chunk in a short transaction of its own. The differences found
 * so far are kept with it as JSON. Thread-safe.
 */
public final class JdbcCheckpointStore implements CheckpointStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final Dialect dialect;
    private final String tablePrefix;
    private final String table;

    JdbcCheckpointStore(DataSource dataSource, String tablePrefix) {
        this.dataSource = Objects.requireNonNull(dataSource, "null dataSource");
        this.tablePrefix = Checks.identifier(tablePrefix, "tablePrefix");
        this.table = tablePrefix + "verifier_checkpoint";
        this.dialect = Dialect.detect(dataSource);
    }

    /**
     * Creates the table if it does not exist yet; nothing else ever creates it.
     *
     * @throws CutoverException if the DDL fails
     */
    public void createTables() {
        try (Connection connection = NetworkTimeouts.connect(dataSource, NetworkTimeouts.DEFAULT_MILLIS)) {
            Dialects.runScript(dialect, connection, JdbcCheckpointStore.class, tablePrefix);
        } catch (SQLException e) {
            throw new CutoverException("Cannot create the verifier checkpoint table " + table + ": " + Redaction.message(e, false), e);
        }
    }

    /** @return {@code <tablePrefix>verifier_checkpoint} */
    public String tableName() {
        return table;
    }

    @Override
    public void save(String runId, Checkpoint checkpoint) {
        Objects.requireNonNull(runId, "null runId");
        Objects.requireNonNull(checkpoint, "null checkpoint");
        try (Connection connection = NetworkTimeouts.connect(dataSource, NetworkTimeouts.DEFAULT_MILLIS)) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE run_id = ? AND entity = ?")) {
                    delete.setString(1, runId);
                    delete.setString(2, checkpoint.entity());
                    delete.executeUpdate();
                }
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table
                        + " (run_id, entity, target_walk, last_key, finished, rows_compared, chunks,"
                        + " chunks_by_row, transient_differences, repairs_queued, differences, unlisted_differences, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    insert.setString(1, runId);
                    insert.setString(2, checkpoint.entity());
                    insert.setBoolean(3, checkpoint.targetWalk());
                    insert.setString(4, checkpoint.lastKey());
                    insert.setBoolean(5, checkpoint.finished());
                    insert.setLong(6, checkpoint.rowsCompared());
                    insert.setLong(7, checkpoint.chunks());
                    insert.setLong(8, checkpoint.chunksComparedByRow());
                    insert.setLong(9, checkpoint.transientDifferences());
                    insert.setLong(10, checkpoint.repairsQueued());
                    insert.setString(11, toJson(checkpoint.differences()));
                    insert.setLong(12, checkpoint.unlistedDifferences());
                    insert.setLong(13, System.currentTimeMillis());
                    insert.executeUpdate();
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new CutoverException("Cannot save the checkpoint of run " + runId + " in " + table + ": " + Redaction.message(e, false), e);
        }
    }

    @Override
    public Map<String, Checkpoint> load(String runId) {
        Objects.requireNonNull(runId, "null runId");
        Map<String, Checkpoint> checkpoints = new LinkedHashMap<>();
        try (Connection connection = NetworkTimeouts.connect(dataSource, NetworkTimeouts.DEFAULT_MILLIS);
                PreparedStatement select = connection.prepareStatement("SELECT entity, target_walk, last_key, finished,"
                        + " rows_compared, chunks, chunks_by_row, transient_differences, repairs_queued, differences,"
                        + " unlisted_differences FROM "
                        + table + " WHERE run_id = ? ORDER BY entity")) {
            select.setString(1, runId);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    checkpoints.put(rs.getString(1), new Checkpoint(rs.getString(1), rs.getBoolean(2), rs.getString(3),
                            rs.getBoolean(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9),
                            fromJson(rs.getString(10)), rs.getLong(11)));
                }
            }
        } catch (SQLException e) {
            throw new CutoverException("Cannot load the checkpoints of run " + runId + " from " + table + ": " + Redaction.message(e, false), e);
        }
        return checkpoints;
    }

    private static String toJson(List<RowDifference> differences) {
        ArrayNode array = JSON.createArrayNode();
        for (RowDifference d : differences) {
            ObjectNode node = array.addObject();
            node.put("key", d.key());
            node.put("kind", d.kind().name());
            ArrayNode columns = node.putArray("columns");
            d.columns().forEach(columns::add);
            if (!d.reason().isEmpty()) {
                node.put("reason", d.reason());
            }
        }
        return array.toString();
    }

    private static List<RowDifference> fromJson(String text) {
        try {
            List<RowDifference> differences = new ArrayList<>();
            for (JsonNode node : JSON.readTree(text)) {
                List<String> columns = new ArrayList<>();
                node.get("columns").forEach(c -> columns.add(c.asText()));
                differences.add(new RowDifference(node.get("key").asText(), RowDifference.Kind.valueOf(node.get("kind").asText()),
                        columns, node.hasNonNull("reason") ? node.get("reason").asText() : ""));
            }
            return differences;
        } catch (JsonProcessingException | RuntimeException e) {
            throw new CutoverException("A stored verifier checkpoint holds malformed differences: " + Redaction.message(e, false), e);
        }
    }
}
