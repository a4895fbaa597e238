package dev.cutover.spring.boot.jdbc;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Pays a bonus inside the caller's transaction, under a savepoint of its own (NESTED). */
@Service
public class Bonuses {
    private final JdbcTemplate jdbc;

    Bonuses(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Rolled back to its savepoint, leaving the caller's writes, when {@code refuse} is set. */
    @Transactional(propagation = Propagation.NESTED)
    public void pay(long account, boolean refuse) {
        jdbc.update("UPDATE accounts SET balance = balance + 1 WHERE id = ?", account);
        if (refuse) {
            throw new LedgerService.ChangedMind("bonus for " + account + " refused");
        }
    }
}
