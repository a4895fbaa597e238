package dev.cutover.dualwrite;

import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Ledger} that records each write it passes on in an {@link AcknowledgedWriteOracle}, with
 * the effect {@link JdbcLedger}'s SQL has on an account row: the bar of the ledger properties.
 */
final class RecordedLedger implements Ledger {
    /**
     * An account row as the oracle sees it; {@link #ABSENT} is no row.
     *
     * @param exists whether the row exists
     * @param owner its owner
     * @param balance its balance
     * @param version how many updates it took since it was opened
     */
    record Account(boolean exists, String owner, long balance, long version) {
        static final Account ABSENT = new Account(false, null, 0, 0);

        Account plus(long amount, int updates) {
            return exists ? new Account(true, owner, balance + amount, version + updates) : this;
        }

        @Override
        public String toString() {
            return exists ? "{owner " + owner + ", balance " + balance + ", version " + version + "}" : "{no row}";
        }
    }

    private final Ledger ledger;
    private final AcknowledgedWriteOracle<Long, Account> oracle;

    RecordedLedger(Ledger ledger, AcknowledgedWriteOracle<Long, Account> oracle) {
        this.ledger = ledger;
        this.oracle = oracle;
    }

    static AcknowledgedWriteOracle<Long, Account> newOracle() {
        return new AcknowledgedWriteOracle<>(Account.ABSENT);
    }

    /**
     * @param rows rows of {@code id, owner, balance, version, note} ({@link LedgerFixture#SOURCE_COLUMNS})
     * @return the accounts by id
     */
    static Map<Long, Account> accounts(List<List<Object>> rows) {
        Map<Long, Account> accounts = new LinkedHashMap<>();
        for (List<Object> row : rows) {
            if (!"null".equals(row.get(4))) { // RowCopierTest.rows reads NULL as "null"
                throw new AssertionError("the ledger never writes a note, but row " + row + " has one");
            }
            accounts.put(((Number) row.get(0)).longValue(), new Account(true, (String) row.get(1),
                    ((Number) row.get(2)).longValue(), ((Number) row.get(3)).longValue()));
        }
        return accounts;
    }

    /**
     * The effects of one ledger write on the accounts it touches, from its words: {@code open ID OWNER},
     * {@code deposit ID AMOUNT}, {@code rename ID OWNER}, {@code close ID} or {@code transfer FROM TO AMOUNT};
     * the crash tests' writers print these words, so that the parent can record a child's writes.
     *
     * @param words the write's name and arguments
     * @return its effect on each account, as {@link JdbcLedger}'s SQL has it
     */
    static Map<Long, Effect<Account>> effects(String... words) {
        long id = Long.parseLong(words[1]);
        return switch (words[0]) {
            case "open" -> Map.of(id, Effect.requiring(a -> !a.exists(), a -> new Account(true, words[2], 0, 0)));
            case "deposit" -> Map.of(id, a -> a.plus(Long.parseLong(words[2]), 1));
            case "rename" -> Map.of(id, a -> a.exists() ? new Account(true, words[2], a.balance(), a.version() + 1) : a);
            case "close" -> Map.of(id, a -> Account.ABSENT);
            case "transfer" -> {
                // JdbcLedger updates both rows without checking that they exist: a missing row is
                // skipped. A transfer to the same account takes the amount off twice: both of its
                // updates see "from".
                long to = Long.parseLong(words[2]);
                long amount = Long.parseLong(words[3]);
                yield id == to ? Map.of(id, a -> a.plus(-2 * amount, 2))
                        : Map.of(id, a -> a.plus(-amount, 1), to, a -> a.plus(amount, 1));
            }
            default -> throw new IllegalArgumentException("not a ledger write: " + String.join(" ", words));
        };
    }

    private <E extends Exception> void record(AcknowledgedWriteOracle.Call<E> call, Object... words) throws E {
        String[] text = new String[words.length];
        for (int i = 0; i < words.length; i++) {
            text[i] = String.valueOf(words[i]);
        }
        String description = String.join(" ", text);
        StatementTrace.note("begin " + description);
        try {
            oracle.call(description, effects(text), call);
        } catch (Exception | Error e) {
            StatementTrace.note("failed " + description + ": " + e);
            throw e;
        }
        StatementTrace.note("acknowledged " + description);
    }

    @Override
    public void open(long id, String owner) throws SQLException {
        record(() -> ledger.open(id, owner), "open", id, owner);
    }

    @Override
    public void deposit(long id, long amount) throws SQLException {
        record(() -> ledger.deposit(id, amount), "deposit", id, amount);
    }

    @Override
    public void rename(long id, String owner) throws SQLException {
        record(() -> ledger.rename(id, owner), "rename", id, owner);
    }

    @Override
    public void close(long id) throws SQLException {
        record(() -> ledger.close(id), "close", id);
    }

    @Override
    public void transfer(long from, long to, long amount) throws SQLException {
        record(() -> ledger.transfer(from, to, amount), "transfer", from, to, amount);
    }

    @Override
    public Long balance(long id) throws SQLException {
        return ledger.balance(id);
    }
}
