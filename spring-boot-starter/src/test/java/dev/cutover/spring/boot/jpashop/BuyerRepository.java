package dev.cutover.spring.boot.jpashop;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Buyers, with a JPQL bulk update on a versioned entity and native writes. */
public interface BuyerRepository extends JpaRepository<Buyer, Long> {
    @Modifying
    @Query("update versioned Buyer b set b.tier = :to where b.location.city = :city and b.tier = :from")
    int retier(@Param("city") String city, @Param("from") Tier from, @Param("to") Tier to);

    @Modifying
    @Query(value = "update buyers set credit = credit + :delta, version = version + 1 where city = :city", nativeQuery = true)
    int creditCity(@Param("city") String city, @Param("delta") java.math.BigDecimal delta);

    /** A JPQL bulk delete of an entity that owns an element collection. */
    @Modifying
    @Query("delete from Buyer b where b.location.city = :city and b.tier = :tier")
    int purgeTier(@Param("city") String city, @Param("tier") Tier tier);

    @org.springframework.data.jpa.repository.Lock(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE)
    @Query("select b from Buyer b where b.id = :id")
    java.util.Optional<Buyer> lockById(@Param("id") long id);

    @Modifying
    @Query(value = "delete from buyer_tags where buyer_id = :id and tag = :tag", nativeQuery = true)
    int untag(@Param("id") long id, @Param("tag") String tag);
}
