package dev.cutover.spring.boot.jpashop;

import java.util.Collection;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Purchase lines. */
public interface PurchaseLineRepository extends JpaRepository<PurchaseLine, Long> {
    @Modifying
    @Query("delete from PurchaseLine l where l.purchase.id in :purchases")
    int deleteOf(@Param("purchases") Collection<Long> purchases);
}
