CREATE TABLE IF NOT EXISTS customers (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    email VARCHAR(200) NOT NULL UNIQUE,
    version BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    status VARCHAR(20) NOT NULL,
    total DECIMAL(12, 2) NOT NULL,
    version BIGINT NOT NULL,
    INDEX orders_customer (customer_id, status)
);
CREATE SEQUENCE IF NOT EXISTS orders_seq;
CREATE TABLE IF NOT EXISTS order_lines (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL,
    sku VARCHAR(40) NOT NULL,
    quantity INT NOT NULL,
    unit_price DECIMAL(10, 2) NOT NULL,
    INDEX order_lines_order (order_id)
);
CREATE SEQUENCE IF NOT EXISTS order_lines_seq;
