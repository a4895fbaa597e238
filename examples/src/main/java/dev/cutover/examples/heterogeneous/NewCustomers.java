package dev.cutover.examples.heterogeneous;

import dev.cutover.dualwrite.KeyTranslation;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The new service's DAO over {@code customers(id UUID, first_name, last_name, status, email)}.
 *
 * <p>Cutover calls its writes only once the new schema is primary, with the legacy model's
 * arguments (routing keys stay legacy ids), so they translate through the same id map as the
 * {@link dev.cutover.dualwrite.TableMapping}. Its read answers in the new model (UUID, status
 * word); Cutover's read transform translates the call and the answer.
 */
final class NewCustomers implements Customers {
    private final Jdbi jdbi;
    private final KeyTranslation ids;

    NewCustomers(Jdbi jdbi, KeyTranslation ids) {
        this.jdbi = jdbi;
        this.ids = ids;
    }

    private UUID uuid(String legacyId) {
        return (UUID) ids.toTarget(Integer.valueOf(legacyId));
    }

    @Override
    public void register(String id, String name, String status, String email) {
        List<Object> names = CustomerMapping.splitName(name);
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO customers (id, first_name, last_name, status, email)"
                        + " VALUES (?, ?, ?, ?, ?)")
                .bind(0, uuid(id)).bind(1, (String) names.get(0)).bind(2, (String) names.get(1))
                .bind(3, CustomerMapping.word(status)).bind(4, email).execute());
    }

    @Override
    public void rename(String id, String name) {
        List<Object> names = CustomerMapping.splitName(name);
        jdbi.useHandle(h -> h.createUpdate("UPDATE customers SET first_name = ?, last_name = ? WHERE id = ?")
                .bind(0, (String) names.get(0)).bind(1, (String) names.get(1)).bind(2, uuid(id)).execute());
    }

    @Override
    public void changeStatus(String id, String status) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE customers SET status = ? WHERE id = ?")
                .bind(0, CustomerMapping.word(status)).bind(1, uuid(id)).execute());
    }

    @Override
    public void remove(String id) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM customers WHERE id = ?").bind(0, uuid(id)).execute());
    }

    /** @param id the customer's UUID, as text */
    @Override
    public Customer find(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, first_name, last_name, status, email FROM customers WHERE id = ?")
                .bind(0, UUID.fromString(id))
                .map((rs, ctx) -> new Customer(rs.getObject(1).toString(),
                        CustomerMapping.joinName(rs.getString(2), rs.getString(3)), rs.getString(4), rs.getString(5)))
                .findOne().orElse(null));
    }
}
