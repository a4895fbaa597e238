package dev.cutover.spring.boot.jpa;

import java.math.BigDecimal;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Spring Data's repository of orders, with a JPQL bulk update and a native one. */
public interface OrderRepository extends JpaRepository<ShopOrder, Long> {
    @Modifying
    @Query("update ShopOrder o set o.status = :to where o.customer.id = :customerId and o.status = :from")
    int changeStatus(@Param("customerId") long customerId, @Param("from") OrderStatus from,
            @Param("to") OrderStatus to);

    @Modifying
    @Query(value = "update orders set total = total + :delta where customer_id = :customerId", nativeQuery = true)
    int addToTotals(@Param("customerId") long customerId, @Param("delta") BigDecimal delta);
}
