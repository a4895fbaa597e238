package dev.cutover.examples.shop;

import dev.cutover.dualwrite.RoutingKey;
import java.math.BigDecimal;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Orders placed in the shop. */
public interface OrderDao {
    @SqlUpdate("INSERT INTO orders (id, customer_id, sku, quantity, amount) VALUES (:id, :customerId, :sku, :quantity, :amount)")
    void insert(@RoutingKey @Bind("id") long id, @Bind("customerId") long customerId, @Bind("sku") String sku,
                @Bind("quantity") int quantity, @Bind("amount") BigDecimal amount);

    @SqlQuery("SELECT COUNT(*) FROM orders WHERE customer_id = :customerId")
    int countFor(@Bind("customerId") long customerId);
}
