package dev.cutover.verifier;

import dev.cutover.common.internal.TablePrefix;
import dev.cutover.verifier.internal.InMemoryCheckpointStore;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Where a run's {@link Checkpoint}s are kept, so that a stopped or crashed run can be resumed.
 * Implementations are thread-safe.
 */
public interface CheckpointStore {
    /**
     * A store in memory: a run stopped with {@link Verifier#stop()} can be resumed by the same
     * process; a crash loses it. The default.
     *
     * @return a new, empty store
     */
    static CheckpointStore inMemory() {
        return new InMemoryCheckpointStore();
    }

    /**
     * A store in the table {@code cutover_verifier_checkpoint}, next to the runtime's other tables;
     * see {@link #jdbc(DataSource, String)}.
     *
     * @param dataSource the database
     * @return the store
     * @throws dev.cutover.common.CutoverException if the database is unreachable or unsupported
     */
    static JdbcCheckpointStore jdbc(DataSource dataSource) {
        return jdbc(dataSource, TablePrefix.DEFAULT);
    }

    /**
     * A store in the table {@code <tablePrefix>verifier_checkpoint} of a PostgreSQL, MariaDB/MySQL
     * or H2 database (either side of the migration, or another database). The table is not created
     * here; call {@link JdbcCheckpointStore#createTables()} once.
     *
     * @param dataSource the database
     * @param tablePrefix prefix of the table's name, e.g. {@code "cutover_"}; may be empty
     * @return the store
     * @throws dev.cutover.common.CutoverConfigurationException if the prefix is not a plain identifier
     * @throws dev.cutover.common.CutoverException if the database is unreachable or unsupported
     */
    static JdbcCheckpointStore jdbc(DataSource dataSource, String tablePrefix) {
        return new JdbcCheckpointStore(dataSource, tablePrefix);
    }

    /**
     * Records a table's checkpoint, replacing the run's previous one for that table.
     *
     * @param runId the run
     * @param checkpoint where the table stands
     * @throws dev.cutover.common.CutoverException if it cannot be stored
     */
    void save(String runId, Checkpoint checkpoint);

    /**
     * The run's latest checkpoints.
     *
     * @param runId the run
     * @return by entity; empty if the run is unknown
     * @throws dev.cutover.common.CutoverException if they cannot be read
     */
    Map<String, Checkpoint> load(String runId);
}
