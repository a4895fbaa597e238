package dev.cutover.spring.boot.jdbc;

import java.sql.PreparedStatement;
import java.util.Objects;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Writes audit events in a transaction of their own, kept whatever the caller's transaction does. */
@Service
public class AuditLog {
    private final JdbcTemplate jdbc;

    AuditLog(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** @return the generated id of the event, committed when this returns */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public long record(long accountId, long amount, String kind) {
        KeyHolder keys = new GeneratedKeyHolder();
        jdbc.update(con -> {
            PreparedStatement ps = con.prepareStatement(
                    "INSERT INTO events (account_id, amount, kind) VALUES (?, ?, ?)", new String[] {"id"});
            ps.setLong(1, accountId);
            ps.setLong(2, amount);
            ps.setString(3, kind);
            return ps;
        }, keys);
        return Objects.requireNonNull(keys.getKey(), "generated id").longValue();
    }
}
