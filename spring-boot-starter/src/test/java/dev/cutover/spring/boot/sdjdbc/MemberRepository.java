package dev.cutover.spring.boot.sdjdbc;

import java.util.List;
import java.util.Optional;
import org.springframework.data.jdbc.repository.query.Modifying;
import org.springframework.data.jdbc.repository.query.Query;
import org.springframework.data.relational.core.sql.LockMode;
import org.springframework.data.relational.repository.Lock;
import org.springframework.data.repository.ListCrudRepository;
import org.springframework.data.repository.query.Param;

public interface MemberRepository extends ListCrudRepository<Member, Long> {
    List<Member> findByHomeCity(String city);

    Optional<Member> findByName(String name);

    long countByPointsGreaterThan(int points);

    @Lock(LockMode.PESSIMISTIC_WRITE)
    Optional<Member> findLockedById(Long id);

    /** A points change that leaves the version alone, as many applications write them. */
    @Modifying
    @Query("UPDATE members SET points = points + :delta WHERE id = :id")
    int addPoints(@Param("id") long id, @Param("delta") int delta);

    /** A bulk credit that bumps the version, so that concurrent saves of the aggregate fail instead of undoing it. */
    @Modifying
    @Query("UPDATE members SET points = points + :delta, version = version + 1 WHERE home_city = :city")
    int creditCity(@Param("city") String city, @Param("delta") int delta);

    @Modifying
    @Query("DELETE FROM member_prefs WHERE member_id = :id AND pref_key = :key")
    int dropPref(@Param("id") long id, @Param("key") String key);

    /** A PostgreSQL upsert as a user writes it: Cutover refuses it while both sides are written. */
    @Modifying
    @Query("INSERT INTO member_prefs (member_id, pref_key, pref_value) VALUES (:id, :key, :value) "
            + "ON CONFLICT (member_id, pref_key) DO UPDATE SET pref_value = EXCLUDED.pref_value")
    int upsertPrefPostgres(@Param("id") long id, @Param("key") String key, @Param("value") String value);

    /** The MariaDB form of the same upsert. */
    @Modifying
    @Query("INSERT INTO member_prefs (member_id, pref_key, pref_value) VALUES (:id, :key, :value) "
            + "ON DUPLICATE KEY UPDATE pref_value = VALUES(pref_value)")
    int upsertPrefMariaDb(@Param("id") long id, @Param("key") String key, @Param("value") String value);
}
