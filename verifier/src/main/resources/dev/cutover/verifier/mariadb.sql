-- Verifier checkpoints: one row per run and table, replaced after every finished chunk.
CREATE TABLE IF NOT EXISTS ${prefix}verifier_checkpoint (
    run_id                VARCHAR(64)  NOT NULL,
    entity                VARCHAR(64)  NOT NULL,
    target_walk           BOOLEAN      NOT NULL,
    last_key              VARCHAR(4000),
    finished              BOOLEAN      NOT NULL,
    rows_compared         BIGINT       NOT NULL,
    chunks                BIGINT       NOT NULL,
    chunks_by_row         BIGINT       NOT NULL,
    transient_differences BIGINT       NOT NULL,
    repairs_queued        BIGINT       NOT NULL,
    differences           LONGTEXT     NOT NULL,
    unlisted_differences  BIGINT       NOT NULL,
    updated_at            BIGINT       NOT NULL,
    PRIMARY KEY (run_id, entity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
