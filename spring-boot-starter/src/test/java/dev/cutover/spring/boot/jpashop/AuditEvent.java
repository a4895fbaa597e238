package dev.cutover.spring.boot.jpashop;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.time.LocalDateTime;

/** An audit entry, written in a transaction of its own. */
@Entity
@Table(name = "audit_events")
public class AuditEvent {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "audit_events_seq")
    @SequenceGenerator(name = "audit_events_seq", sequenceName = "audit_events_seq")
    private Long id;
    private Long buyerId;
    private String action;
    private LocalDateTime at;

    protected AuditEvent() {
    }

    AuditEvent(Long buyerId, String action, LocalDateTime at) {
        this.buyerId = buyerId;
        this.action = action;
        this.at = at;
    }

    Long id() {
        return id;
    }
}
