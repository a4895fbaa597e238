package dev.cutover.examples.heterogeneous;

import org.jdbi.v3.core.Jdbi;

/** The legacy store's DAO over {@code customer(id INT, name, status CHAR(1), email)}, unchanged by the migration. */
final class LegacyCustomers implements Customers {
    private final Jdbi jdbi;

    LegacyCustomers(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    @Override
    public void register(String id, String name, String status, String email) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO customer (id, name, status, email) VALUES (?, ?, ?, ?)")
                .bind(0, Integer.parseInt(id)).bind(1, name).bind(2, status).bind(3, email).execute());
    }

    @Override
    public void rename(String id, String name) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE customer SET name = ? WHERE id = ?")
                .bind(0, name).bind(1, Integer.parseInt(id)).execute());
    }

    @Override
    public void changeStatus(String id, String status) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE customer SET status = ? WHERE id = ?")
                .bind(0, status).bind(1, Integer.parseInt(id)).execute());
    }

    @Override
    public void remove(String id) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM customer WHERE id = ?").bind(0, Integer.parseInt(id)).execute());
    }

    @Override
    public Customer find(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, name, status, email FROM customer WHERE id = ?")
                .bind(0, Integer.parseInt(id))
                .map((rs, ctx) -> new Customer(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                .findOne().orElse(null));
    }
}
