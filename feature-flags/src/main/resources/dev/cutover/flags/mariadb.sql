-- Cutover migration flags (MariaDB 10.6+ and MySQL 8+). One row per migration; operators may edit it
-- by hand: every instance picks the change up within its refresh interval and rejects illegal values.
-- stage: SOURCE_ONLY, DUAL_WRITE, SHIFT_READS, TARGET_PRIMARY or TARGET_ONLY.
-- *_read_percent: 0 to 100. *_keys: canary routing keys, one per line.
CREATE TABLE IF NOT EXISTS ${prefix}flag_state (
    migration           VARCHAR(64)   NOT NULL PRIMARY KEY,
    stage               VARCHAR(32)   NOT NULL,
    target_read_percent DECIMAL(5, 2) NOT NULL,
    shadow_read_percent DECIMAL(5, 2) NOT NULL,
    target_keys         TEXT          NOT NULL,
    source_keys         TEXT          NOT NULL,
    version             BIGINT        NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- One row per flip made through Cutover, written in the same transaction as the state; changed_at is UTC.
-- The index is declared inline because MySQL has no CREATE INDEX IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS ${prefix}flag_audit (
    id                         BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    migration                  VARCHAR(64)   NOT NULL,
    changed_at                 DATETIME(3)   NOT NULL,
    actor                      VARCHAR(200)  NOT NULL,
    reason                     VARCHAR(1000) NOT NULL,
    before_version             BIGINT        NOT NULL,
    before_stage               VARCHAR(32)   NOT NULL,
    before_target_read_percent DECIMAL(5, 2) NOT NULL,
    before_shadow_read_percent DECIMAL(5, 2) NOT NULL,
    before_target_keys         TEXT          NOT NULL,
    before_source_keys         TEXT          NOT NULL,
    after_version              BIGINT        NOT NULL,
    after_stage                VARCHAR(32)   NOT NULL,
    after_target_read_percent  DECIMAL(5, 2) NOT NULL,
    after_shadow_read_percent  DECIMAL(5, 2) NOT NULL,
    after_target_keys          TEXT          NOT NULL,
    after_source_keys          TEXT          NOT NULL,
    INDEX ${prefix}flag_audit_by_migration (migration, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
