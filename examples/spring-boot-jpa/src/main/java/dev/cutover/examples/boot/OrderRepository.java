package dev.cutover.examples.boot;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Orders: derived queries, and a JPQL bulk update that closes a customer's open orders. */
public interface OrderRepository extends JpaRepository<ShopOrder, Long> {
    List<ShopOrder> findByCustomerIdAndStatusOrderByIdAsc(Long customerId, String status);

    long countByStatus(String status);

    /**
     * Closes every open order of a customer in one statement; a bulk update bypasses the entities,
     * so it bumps the version itself.
     */
    @Modifying
    @Query("update ShopOrder o set o.status = :status, o.version = o.version + 1"
            + " where o.customer.id = :customerId and o.status = 'OPEN'")
    int closeOpenOrders(@Param("customerId") Long customerId, @Param("status") String status);
}
