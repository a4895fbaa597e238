package dev.cutover.spring.boot.jpashop;

import java.time.LocalDateTime;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Writes audit entries in their own transactions, whatever the caller's transaction does after. */
@Service
public class Auditor {
    private final AuditRepository audits;

    Auditor(AuditRepository audits) {
        this.audits = audits;
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public long write(long buyerId, String action, LocalDateTime at) {
        return audits.save(new AuditEvent(buyerId, action, at)).id();
    }
}
