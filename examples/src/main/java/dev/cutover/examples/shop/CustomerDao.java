package dev.cutover.examples.shop;

import dev.cutover.dualwrite.RoutingKey;
import java.math.BigDecimal;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The shop's customer repository, written as for any JDBI application. The only Cutover addition is
 * {@link RoutingKey}, which tells Cutover which row a call touches.
 */
public interface CustomerDao {
    @SqlQuery("SELECT id, name, balance FROM customers WHERE id = :id")
    @RegisterConstructorMapper(Customer.class)
    Optional<Customer> find(@RoutingKey @Bind("id") long id);

    @SqlUpdate("INSERT INTO customers (id, name, balance) VALUES (:id, :name, :balance)")
    void insert(@RoutingKey @Bind("id") long id, @Bind("name") String name, @Bind("balance") BigDecimal balance);

    /** Adds to (or, with a negative amount, takes from) the balance; order matters, so it is the classic dual-write trap. */
    @SqlUpdate("UPDATE customers SET balance = balance + :amount WHERE id = :id")
    int addToBalance(@RoutingKey @Bind("id") long id, @Bind("amount") BigDecimal amount);
}
