package dev.cutover.spring.boot.jpashop;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Purchases, with JPQL bulk writes. */
public interface PurchaseRepository extends JpaRepository<Purchase, Long> {
    @Modifying
    @Query("update Purchase p set p.status = :to, p.version = p.version + 1 where p.buyer.id = :buyer and p.total > :min")
    int markBig(@Param("buyer") long buyer, @Param("min") java.math.BigDecimal min, @Param("to") Status to);

    /** A JPQL bulk update whose WHERE follows an association (an implicit join). */
    @Modifying
    @Query("update Purchase p set p.status = :to where p.buyer.location.city = :city and p.status = :from")
    int restatusInCity(@Param("city") String city, @Param("from") Status from, @Param("to") Status to);

    /** The same, written as the refusal of the join form says: one table, rows chosen by a subquery. */
    @Modifying
    @Query("update Purchase p set p.status = :to where p.status = :from and p.buyer.id in"
            + " (select b.id from Buyer b where b.location.city = :city)")
    int restatusInCitySubquery(@Param("city") String city, @Param("from") Status from, @Param("to") Status to);

    List<Purchase> findByBuyerIdAndStatus(long buyerId, Status status);

    @Modifying
    @Query("delete from Purchase p where p.buyer.id = :buyer and p.status = :status")
    int purge(@Param("buyer") long buyer, @Param("status") Status status);

    @Query("select p.id from Purchase p where p.buyer.id = :buyer and p.status = :status")
    List<Long> ids(@Param("buyer") long buyer, @Param("status") Status status);
}
