-- Retry queue entries. Times are epoch milliseconds (UTC); the id is also the per-key sequence.
-- Indexes are declared inline because MySQL 8 has no CREATE INDEX IF NOT EXISTS.
-- routing_key holds the application's exact key: 'abc', 'ABC' and 'abc ' are three keys on a
-- PostgreSQL side. utf8mb4_bin still ignores trailing spaces (PAD SPACE); MariaDB's NO PAD binary
-- collation (10.2.2 on, in the MariaDB-only comment) does not, and MySQL 8 ignores that comment.
CREATE TABLE IF NOT EXISTS ${prefix}retry_entry (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    migration       VARCHAR(64)   NOT NULL,
    entity          VARCHAR(128)  NOT NULL,
    routing_key     VARCHAR(255)  /*M!100202 COLLATE utf8mb4_nopad_bin */ NOT NULL,
    replay_mode     VARCHAR(8)    NOT NULL,
    operation       VARCHAR(64)   NOT NULL,
    payload         LONGTEXT      NOT NULL,
    status          VARCHAR(8)    NOT NULL,
    attempts        INT           NOT NULL,
    next_attempt_at BIGINT        NOT NULL,
    last_error      VARCHAR(2000),
    created_at      BIGINT        NOT NULL,
    lease_owner     VARCHAR(128),
    lease_until     BIGINT,
    KEY ${prefix}retry_entry_key (migration, entity, routing_key, id),
    KEY ${prefix}retry_entry_lease (migration, entity, routing_key, lease_until),
    KEY ${prefix}retry_entry_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
