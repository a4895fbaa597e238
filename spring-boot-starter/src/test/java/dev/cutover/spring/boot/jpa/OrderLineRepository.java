package dev.cutover.spring.boot.jpa;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Spring Data's repository of order lines, with a JPQL bulk delete. */
public interface OrderLineRepository extends JpaRepository<OrderLine, Long> {
    @Modifying
    @Query("delete from OrderLine l where l.order.id = :orderId and l.quantity > :max")
    int deleteLargerThan(@Param("orderId") long orderId, @Param("max") int max);
}
