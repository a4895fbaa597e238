package dev.cutover.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Write;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AcknowledgedWriteOracleTest {
    /** A row: absent, or present with a balance. */
    record Row(boolean exists, long balance) {
        static final Row ABSENT = new Row(false, 0);

        static Row of(long balance) {
            return new Row(true, balance);
        }
    }

    static Effect<Row> insert() {
        return Effect.requiring(r -> !r.exists(), r -> Row.of(0));
    }

    static Effect<Row> deposit(long amount) {
        return r -> r.exists() ? Row.of(r.balance() + amount) : r;
    }

    static Effect<Row> delete() {
        return r -> Row.ABSENT;
    }

    private final AcknowledgedWriteOracle<Long, Row> oracle = new AcknowledgedWriteOracle<>(Row.ABSENT);

    @Test
    void acknowledgedWrites_foldToTheStateBothSidesHold() {
        oracle.begin(1L, "insert", insert()).acknowledged();
        oracle.begin(1L, "deposit +5", deposit(5)).acknowledged();
        oracle.begin(1L, "deposit -2", deposit(-2)).acknowledged();

        oracle.check(Map.of(1L, Row.of(3)), Map.of(1L, Row.of(3)));
    }

    @Test
    void aWriteLostOnBothSides_failsAlthoughTheSidesAreEqual_namingKeyFoldAndWrites() {
        oracle.begin(1L, "insert", insert()).acknowledged();
        oracle.begin(1L, "deposit +5", deposit(5)).acknowledged();
        oracle.begin(1L, "deposit -506", deposit(-506)).acknowledged();

        AssertionError error = assertThrows(AssertionError.class,
                () -> oracle.check(Map.of(1L, Row.of(5)), Map.of(1L, Row.of(5))));

        String message = error.getMessage();
        assertTrue(message.contains("key 1"), message);
        assertTrue(message.contains("fold to Row[exists=true, balance=-501]"), message);
        assertTrue(message.contains("source Row[exists=true, balance=5]"), message);
        assertTrue(message.contains("deposit -506"), message);
    }

    @Test
    void aRowNoWriteTouched_isReportedAsAViolation_notAnUnsupportedOperation() {
        oracle.begin(1L, "insert", insert()).acknowledged();

        AssertionError error = assertThrows(AssertionError.class,
                () -> oracle.check(Map.of(1L, Row.of(0), 2L, Row.of(9)), Map.of(1L, Row.of(0))));

        assertTrue(error.getMessage().contains("key 2"), error.getMessage());
    }

    @Test
    void sidesThatDiffer_fail_evenWhenEachIsAPossibleOutcome() {
        oracle.begin(1L, "insert", insert()).acknowledged();
        oracle.begin(1L, "deposit +5", deposit(5)).failed(new RuntimeException("commit lost"));

        oracle.check(Map.of(1L, Row.of(5)), Map.of(1L, Row.of(5)));
        oracle.check(Map.of(1L, Row.of(0)), Map.of(1L, Row.of(0)));
        AssertionError error = assertThrows(AssertionError.class,
                () -> oracle.check(Map.of(1L, Row.of(5)), Map.of(1L, Row.of(0))));
        assertTrue(error.getMessage().contains("the sides differ"), error.getMessage());
    }

    @Test
    void aFailedWrite_countsWholeOrNotAtAll() {
        oracle.begin("transfer 1->2 +7", Map.of(1L, deposit(-7), 2L, deposit(7))).failed(new RuntimeException("x"));
        assertThrows(AssertionError.class, () -> oracle.check(Map.of(), Map.of(1L, Row.of(3))));
        oracle.check(Map.of(), Map.of());
    }

    @Test
    void concurrentWrites_mayTakeEffectInAnyOrder_butNotBeforeTheyStartOrAfterTheyReturn() {
        Write insert = oracle.begin(1L, "insert", insert());
        Write delete = oracle.begin(1L, "delete", delete());
        delete.acknowledged();
        insert.acknowledged();
        // Overlapping: either order is possible.
        oracle.check(Map.of(1L, Row.of(0)), Map.of(1L, Row.of(0)));
        oracle.check(Map.of(), Map.of());

        // A deposit that starts after both returned must show.
        oracle.begin(1L, "deposit +4", deposit(4)).acknowledged();
        oracle.check(Map.of(1L, Row.of(4)), Map.of(1L, Row.of(4)));
        oracle.check(Map.of(), Map.of());
        assertThrows(AssertionError.class, () -> oracle.check(Map.of(1L, Row.of(0)), Map.of(1L, Row.of(0))));
    }

    @Test
    void aWriteThatReturned_precedesEveryWriteStartedAfterIt() {
        oracle.begin(1L, "insert", insert()).acknowledged();
        oracle.begin(1L, "delete", delete()).acknowledged();
        oracle.begin(1L, "deposit +4", deposit(4)).acknowledged();
        // Re-ordering the deposit before the delete would need the deposit to run before it started.
        assertThrows(AssertionError.class, () -> oracle.check(Map.of(1L, Row.of(4)), Map.of(1L, Row.of(4))));
        oracle.check(Map.of(), Map.of());
    }

    @Test
    void anAcknowledgedInsert_metNoRow() {
        oracle.begin(1L, "insert", insert()).acknowledged();
        oracle.begin(1L, "deposit +3", deposit(3)).acknowledged();
        oracle.begin(1L, "insert again", insert()).acknowledged();
        // The second insert cannot have succeeded over the existing row: there is no explanation.
        assertThrows(AssertionError.class, () -> oracle.check(Map.of(1L, Row.of(0)), Map.of(1L, Row.of(0))));
        assertThrows(AssertionError.class, () -> oracle.check(Map.of(1L, Row.of(3)), Map.of(1L, Row.of(3))));
    }

    @Test
    void aWriteStillInFlight_atTheCheck_mayLandAnyTime() {
        Write killed = oracle.begin(1L, "deposit +9", deposit(9));
        oracle.begin(1L, "insert", insert()).acknowledged();
        assertEquals(AcknowledgedWriteOracle.Outcome.IN_FLIGHT, killed.outcome());
        oracle.check(Map.of(1L, Row.of(0)), Map.of(1L, Row.of(0)));
        oracle.check(Map.of(1L, Row.of(9)), Map.of(1L, Row.of(9)));
    }

    @Test
    void aFailedWrite_landsWithinItsCall_unlessLateLandingsAreAllowed() throws Exception {
        oracle.begin(1L, "deposit +9", deposit(9)).failed(new RuntimeException("connection reset"));
        oracle.begin(1L, "insert", insert()).acknowledged();
        assertThrows(AssertionError.class, () -> oracle.check(Map.of(1L, Row.of(9)), Map.of(1L, Row.of(9))));
        oracle.failedWritesMayLandWithin(Duration.ofMinutes(1));
        oracle.check(Map.of(1L, Row.of(9)), Map.of(1L, Row.of(9)));

        // But not after the window: an insert 50 ms later cannot be followed by the late deposit.
        AcknowledgedWriteOracle<Long, Row> windowed = new AcknowledgedWriteOracle<Long, Row>(Row.ABSENT)
                .failedWritesMayLandWithin(Duration.ofMillis(10));
        windowed.begin(1L, "deposit +9", deposit(9)).failed(new RuntimeException("connection reset"));
        Thread.sleep(50);
        windowed.begin(1L, "insert", insert()).acknowledged();
        assertThrows(AssertionError.class, () -> windowed.check(Map.of(1L, Row.of(9)), Map.of(1L, Row.of(9))));
        windowed.check(Map.of(1L, Row.of(0)), Map.of(1L, Row.of(0)));
    }

    @Test
    void thousandsOfConcurrentWrites_areRecordedAndCheckedQuickly() throws Exception {
        int threads = 8;
        int keys = 20;
        Map<Long, Row> database = new ConcurrentHashMap<>();
        AtomicLong failures = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random random = new Random(t);
            workers.add(new Thread(() -> {
                for (int i = 0; i < 1_000; i++) {
                    long key = random.nextInt(keys);
                    int op = random.nextInt(10);
                    Effect<Row> effect = op == 0 ? insert() : op == 1 ? delete() : deposit(random.nextInt(100) - 30);
                    boolean fails = random.nextInt(20) == 0;
                    boolean appliedAnyway = fails && random.nextBoolean();
                    Write write = oracle.begin(key, "op" + op, effect);
                    boolean[] possible = new boolean[1];
                    database.compute(key, (k, row) -> {
                        Row before = row == null ? Row.ABSENT : row;
                        possible[0] = effect.possibleIn(before);
                        if (!possible[0] || (fails && !appliedAnyway)) {
                            return row;
                        }
                        Row after = effect.apply(before);
                        return after.exists() ? after : null;
                    });
                    if (fails || !possible[0]) {
                        failures.incrementAndGet();
                        write.failed(new RuntimeException(fails ? "injected" : "duplicate"));
                    } else {
                        write.acknowledged();
                    }
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join();
        }
        assertEquals(8_000, oracle.acknowledged() + oracle.maybe());
        oracle.check(database, Map.copyOf(database));
        Long lostKey = database.keySet().iterator().next();
        Map<Long, Row> lost = new java.util.HashMap<>(database);
        lost.put(lostKey, new Row(true, lost.get(lostKey).balance() + 1_000_003));
        assertThrows(AssertionError.class, () -> oracle.check(lost, lost));
    }

    /**
     * Histories like the ledger workload's under heavy faults: three writers on one row, one of them
     * with long calls (a write paused by a handover, a stalled commit), half of the writes failed.
     * Every such history is explained, and a state it cannot reach is reported as such. To tell that,
     * the search must visit every order; it gave up on such histories (more than 500,000 states)
     * while it tried dropping each failed write at every step.
     */
    @Test
    void historiesWithManyFailedWrites_areDecided() {
        for (long seed = 1; seed <= 20; seed++) {
            AcknowledgedWriteOracle<Long, Row> history = new AcknowledgedWriteOracle<>(Row.ABSENT);
            Random random = new Random(seed);
            Row row = Row.ABSENT;
            int threads = 3;
            int[] left = {40, 40, 40};
            Write[] open = new Write[threads];
            List<Effect<Row>> effects = new ArrayList<>(List.of(deposit(0), deposit(0), deposit(0)));
            boolean[] landed = new boolean[threads];
            boolean[] fails = new boolean[threads];
            while (left[0] + left[1] + left[2] > 0 || open[0] != null || open[1] != null || open[2] != null) {
                int t = random.nextInt(threads);
                if (t == 0 && open[t] != null && random.nextInt(8) != 0) {
                    // The first writer's calls last long.
                    continue;
                }
                if (open[t] == null) {
                    if (left[t] == 0) {
                        continue;
                    }
                    left[t]--;
                    int kind = random.nextInt(10);
                    effects.set(t, kind < 2 ? insert() : kind < 3 ? delete() : deposit(random.nextInt(200) - 50));
                    open[t] = history.begin(1L, "write of thread " + t, effects.get(t));
                    landed[t] = false;
                    fails[t] = random.nextBoolean();
                    if (fails[t] && random.nextBoolean()) {
                        // A failed write that took effect before its call failed (a commit applied, its
                        // acknowledgement lost); the others never take effect.
                        row = effects.get(t).possibleIn(row) ? effects.get(t).apply(row) : row;
                        landed[t] = true;
                    }
                } else if (!landed[t] && random.nextBoolean()) {
                    landed[t] = true;
                    Effect<Row> effect = effects.get(t);
                    if (!fails[t] && effect.possibleIn(row)) {
                        row = effect.apply(row);
                    } else {
                        fails[t] = true;
                    }
                } else if (landed[t]) {
                    if (fails[t]) {
                        open[t].failed(new RuntimeException("injected"));
                    } else {
                        open[t].acknowledged();
                    }
                    open[t] = null;
                }
            }
            assertEquals(List.of(), history.violations(Map.of(1L, row), Map.of(1L, row)), "seed " + seed);
            // A state no order reaches needs the whole search to tell: it must end, not give up.
            Row invented = Row.of(row.balance() + 1_000_000);
            List<String> violations = history.violations(Map.of(1L, invented), Map.of(1L, invented));
            assertEquals(1, violations.size(), "seed " + seed);
            assertTrue(violations.get(0).contains("no order of the acknowledged writes"), "seed " + seed + ": "
                    + violations.get(0).lines().findFirst().orElse(""));
        }
    }

    /** A ledger account, as the ledger workload's oracle sees it. */
    record Account(boolean exists, int owner, long balance, long version) {
        static final Account ABSENT = new Account(false, 0, 0, 0);
    }

    /**
     * Histories like the ledger workload's under target cuts: three writers on one account, four
     * writes in five failed, and a failed write free to land up to a minute after its call, as some
     * do (one in five of them, late). A CI run failed on such a key: 25 writes, 23 of them failed,
     * where one late open explained the state; the search gave up after 2,000,000 states, as it did
     * here on 7 of these 30 histories, because it chose at every step which failed write to drop.
     */
    @Test
    void historiesWithManyLateFailedWrites_areExplained() {
        for (long seed = 1; seed <= 30; seed++) {
            Random random = new Random(seed);
            AcknowledgedWriteOracle<Long, Account> history = new AcknowledgedWriteOracle<Long, Account>(Account.ABSENT)
                    .failedWritesMayLandWithin(Duration.ofMinutes(1));
            Account account = Account.ABSENT;
            int threads = 3;
            int[] left = {8, 8, 8};
            Write[] open = new Write[threads];
            List<Effect<Account>> effects = new ArrayList<>(List.of(a -> a, a -> a, a -> a));
            boolean[] ran = new boolean[threads];
            boolean[] fails = new boolean[threads];
            List<Effect<Account>> late = new ArrayList<>();
            while (left[0] + left[1] + left[2] > 0 || open[0] != null || open[1] != null || open[2] != null) {
                if (!late.isEmpty() && random.nextInt(4) == 0) {
                    Effect<Account> effect = late.remove(random.nextInt(late.size()));
                    account = effect.possibleIn(account) ? effect.apply(account) : account;
                    continue;
                }
                int t = random.nextInt(threads);
                if (open[t] == null) {
                    if (left[t] == 0) {
                        continue;
                    }
                    left[t]--;
                    effects.set(t, accountWrite(random));
                    open[t] = history.begin(1L, "write of thread " + t, effects.get(t));
                    ran[t] = false;
                    fails[t] = random.nextInt(5) != 0;
                } else if (!ran[t] && random.nextBoolean()) {
                    ran[t] = true;
                    Effect<Account> effect = effects.get(t);
                    if (!fails[t] && effect.possibleIn(account)) {
                        account = effect.apply(account);
                    } else if (fails[t] && random.nextInt(5) == 0) {
                        late.add(effect);
                    } else {
                        fails[t] = true;
                    }
                } else if (ran[t]) {
                    if (fails[t]) {
                        open[t].failed(new RuntimeException("injected: connection reset"));
                    } else {
                        open[t].acknowledged();
                    }
                    open[t] = null;
                }
            }
            for (Effect<Account> effect : late) {
                account = effect.possibleIn(account) ? effect.apply(account) : account;
            }
            assertEquals(List.of(), history.violations(Map.of(1L, account), Map.of(1L, account)), "seed " + seed);
        }
    }

    private static Effect<Account> accountWrite(Random random) {
        int kind = random.nextInt(10);
        int owner = random.nextInt(9);
        long amount = random.nextInt(200) - 50;
        if (kind < 2) {
            return Effect.requiring(a -> !a.exists(), a -> new Account(true, owner, 0, 0));
        }
        if (kind < 3) {
            return a -> Account.ABSENT;
        }
        return a -> a.exists() ? new Account(true, a.owner(), a.balance() + amount, a.version() + 1) : a;
    }
}
