package dev.cutover.examples.shop;

import dev.cutover.dualwrite.RoutingKey;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** Stock levels per product. */
public interface StockDao {
    @SqlQuery("SELECT quantity FROM stock WHERE sku = :sku")
    int quantity(@RoutingKey @Bind("sku") String sku);

    @SqlUpdate("INSERT INTO stock (sku, quantity) VALUES (:sku, :quantity)")
    void insert(@RoutingKey @Bind("sku") String sku, @Bind("quantity") int quantity);

    /** Takes items out of stock if there are enough; returns 1 if it did, 0 if not. */
    @SqlUpdate("UPDATE stock SET quantity = quantity - :n WHERE sku = :sku AND quantity >= :n")
    int take(@RoutingKey @Bind("sku") String sku, @Bind("n") int n);

    @SqlUpdate("UPDATE stock SET quantity = quantity + :n WHERE sku = :sku")
    int restock(@RoutingKey @Bind("sku") String sku, @Bind("n") int n);
}
