-- A script in the shape modules ship: one statement per semicolon-terminated line group.
CREATE TABLE IF NOT EXISTS ${prefix}sample (
    id BIGINT PRIMARY KEY,
    name VARCHAR(40) NOT NULL
);
INSERT INTO ${prefix}sample (id, name) VALUES (1, 'a;b');
