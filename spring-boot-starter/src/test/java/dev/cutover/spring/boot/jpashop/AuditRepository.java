package dev.cutover.spring.boot.jpashop;

import org.springframework.data.jpa.repository.JpaRepository;

/** Audit entries. */
public interface AuditRepository extends JpaRepository<AuditEvent, Long> {
}
