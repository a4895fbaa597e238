package dev.cutover.spring.boot.jdbc;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The application's transactional service methods, written as a team on Spring JDBC writes them. */
@Service
public class LedgerService {
    private final JdbcTemplate jdbc;
    private final NamedParameterJdbcTemplate named;
    private final AuditLog audit;
    private final Bonuses bonuses;

    LedgerService(JdbcTemplate jdbc, NamedParameterJdbcTemplate named, AuditLog audit, Bonuses bonuses) {
        this.jdbc = jdbc;
        this.named = named;
        this.audit = audit;
        this.bonuses = bonuses;
    }

    /** Thrown by a service method after its writes, to roll them back. */
    public static final class ChangedMind extends RuntimeException {
        ChangedMind(String message) {
            super(message);
        }
    }

    /**
     * Moves money between two accounts (locked in id order) and logs an event; rolled back whole when
     * {@code changeMind} is set.
     *
     * @return the rows each update changed
     */
    @Transactional
    public int[] transfer(long from, long to, long amount, boolean changeMind) {
        int[] changed = new int[2];
        if (from < to) {
            changed[0] = jdbc.update("UPDATE accounts SET balance = balance - ? WHERE id = ?", amount, from);
            changed[1] = named.update("UPDATE accounts SET balance = balance + :amount WHERE id = :id",
                    Map.of("amount", amount, "id", to));
        } else {
            changed[1] = named.update("UPDATE accounts SET balance = balance + :amount WHERE id = :id",
                    Map.of("amount", amount, "id", to));
            changed[0] = jdbc.update("UPDATE accounts SET balance = balance - ? WHERE id = ?", amount, from);
        }
        if (changeMind) {
            throw new ChangedMind("transfer " + from + " -> " + to + " abandoned");
        }
        return changed;
    }

    /**
     * Deposits into an account and records the deposit in the audit log in a transaction of its own
     * (REQUIRES_NEW), which stays committed when this one rolls back.
     *
     * @param eventId receives the audit event's id as soon as its own transaction committed
     */
    @Transactional
    public void depositAudited(long account, long amount, boolean changeMind, AtomicLong eventId) {
        jdbc.update("UPDATE accounts SET balance = balance + ? WHERE id = ?", amount, account);
        eventId.set(audit.record(account, amount, "deposit"));
        if (changeMind) {
            throw new ChangedMind("deposit into " + account + " abandoned after its audit");
        }
    }

    /**
     * Deposits into one account and pays another a bonus under a savepoint; a refused bonus is rolled
     * back to its savepoint and the deposit still commits.
     */
    @Transactional
    public void depositWithBonus(long account, long amount, long bonusAccount, boolean refuseBonus) {
        jdbc.update("UPDATE accounts SET balance = balance + ? WHERE id = ?", amount, account);
        try {
            bonuses.pay(bonusAccount, refuseBonus);
        } catch (ChangedMind e) {
            // the savepoint was rolled back; the deposit stands
        }
    }

    /**
     * Withdraws what the account holds above {@code floor}, read under its row lock, as pessimistic code does.
     *
     * @return the amount withdrawn, 0 if the account is missing or holds no more than the floor
     */
    @Transactional
    public long withdrawAbove(long account, long floor) {
        List<Long> balance = jdbc.queryForList("SELECT balance FROM accounts WHERE id = ? FOR UPDATE", Long.class,
                account);
        if (balance.isEmpty() || balance.get(0) <= floor) {
            return 0;
        }
        long amount = balance.get(0) - floor;
        jdbc.update("UPDATE accounts SET balance = balance - ? WHERE id = ?", amount, account);
        return amount;
    }

    /** Bumps several accounts in one transaction with a parameterized batch. */
    @Transactional
    public int[] bumpAll(List<Long> accounts, long amount) {
        return jdbc.batchUpdate("UPDATE accounts SET balance = balance + ? WHERE id = ?",
                accounts.stream().map(id -> new Object[] {amount, id}).toList());
    }

    /**
     * Reads an account's balance in a read-only transaction and records that it was looked at in the
     * audit log, in a read-write transaction of its own (REQUIRES_NEW), as request-logging code does.
     *
     * @param eventId receives the audit event's id as soon as its own transaction committed
     */
    @Transactional(readOnly = true)
    public Long lookAudited(long account, AtomicLong eventId) {
        List<Long> balance = jdbc.queryForList("SELECT balance FROM accounts WHERE id = ?", Long.class, account);
        eventId.set(audit.record(account, 0, "looked"));
        return balance.isEmpty() ? null : balance.get(0);
    }

    /** Balances of the given accounts, read in a read-only transaction (missing accounts left out). */
    @Transactional(readOnly = true)
    public Map<Long, Long> balances(List<Long> accounts) {
        Map<Long, Long> balances = new java.util.TreeMap<>();
        for (Long id : accounts) {
            jdbc.query("SELECT balance FROM accounts WHERE id = ?", rs -> {
                balances.put(id, rs.getLong(1));
            }, id);
        }
        named.query("SELECT COUNT(*) FROM events WHERE account_id IN (:ids)", Map.of("ids", accounts),
                rs -> { });
        return balances;
    }
}
