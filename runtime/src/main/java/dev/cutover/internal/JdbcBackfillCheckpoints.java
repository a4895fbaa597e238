package dev.cutover.internal;

import dev.cutover.dualwrite.BackfillCheckpoints;
import dev.cutover.verifier.CheckpointStore;
import dev.cutover.verifier.JdbcCheckpointStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The runtime's backfill checkpoints, in the verifier's checkpoint table
 * ({@code <prefix>verifier_checkpoint}) under the run id {@code backfill:<migration>}: one table for
 * both kinds of resumable runs. A backfill checkpoint keeps its counts in the verifier's columns:
 * {@code target_walk} says the target walk has begun, {@code rows_compared} holds the rows copied,
 * {@code chunks} the chunks, {@code repairs_queued} the target rows deleted and
 * {@code transient_differences} the flags' version of the last chunk; the verifier's other columns
 * stay 0 and its differences empty.
 */
public final class JdbcBackfillCheckpoints implements BackfillCheckpoints {
    private static final int MAX_RUN_ID = 64;

    private final JdbcCheckpointStore store;

    /**
     * @param dataSource the runtime's state database
     * @param tablePrefix the runtime's table prefix
     */
    public JdbcBackfillCheckpoints(DataSource dataSource, String tablePrefix) {
        this.store = CheckpointStore.jdbc(dataSource, tablePrefix);
    }

    /** Creates the checkpoint table if it does not exist. */
    public void createTables() {
        store.createTables();
    }

    @Override
    public Map<String, BackfillCheckpoints.Checkpoint> load(String backfill) {
        Map<String, BackfillCheckpoints.Checkpoint> checkpoints = new LinkedHashMap<>();
        store.load(runId(backfill)).forEach((entity, c) -> checkpoints.put(entity, new BackfillCheckpoints.Checkpoint(
                entity, c.targetWalk(), c.lastKey(), c.finished(), c.rowsCompared(), c.chunks(), c.repairsQueued(),
                c.transientDifferences())));
        return checkpoints;
    }

    @Override
    public void save(String backfill, BackfillCheckpoints.Checkpoint checkpoint) {
        store.save(runId(backfill), new dev.cutover.verifier.Checkpoint(checkpoint.entity(), checkpoint.cleaningTarget(), checkpoint.lastKey(),
                checkpoint.finished(), checkpoint.rowsCopied(), checkpoint.chunks(), 0, checkpoint.flagsVersion(),
                checkpoint.rowsDeleted(), List.of(), 0));
    }

    /** {@code backfill:<migration>}, or a digest of the name when that would not fit the 64-character column. */
    static String runId(String migration) {
        String id = "backfill:" + migration;
        if (id.length() <= MAX_RUN_ID) {
            return id;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(migration.getBytes(StandardCharsets.UTF_8));
            return "backfill#" + HexFormat.of().formatHex(digest, 0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "JdbcBackfillCheckpoints{" + store.tableName() + "}";
    }
}
