package dev.cutover.spring.boot.jdbc;

import static dev.cutover.spring.boot.UserTestSupport.checkOracle;
import static dev.cutover.spring.boot.UserTestSupport.createCutoverTables;
import static dev.cutover.spring.boot.UserTestSupport.drainAndVerify;
import static dev.cutover.spring.boot.UserTestSupport.insert;
import static dev.cutover.spring.boot.UserTestSupport.split;
import static dev.cutover.spring.boot.UserTestSupport.unknownRows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.CutoverBackfills;
import dev.cutover.spring.boot.UserTestSupport;
import dev.cutover.spring.boot.actuate.CutoverEndpoint;
import dev.cutover.spring.boot.jdbc.LedgerService.ChangedMind;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Write;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.BatchPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.namedparam.SqlParameterSource;
import org.springframework.jdbc.core.simple.SimpleJdbcInsert;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A Spring JDBC application (no JPA) adopting the starter with nothing but {@code cutover.source.url}
 * and {@code cutover.target.url} set among Cutover's properties. Four threads write the same four
 * accounts through every JdbcTemplate entry point an application uses (updates, both batch forms,
 * generated keys, upserts, {@code x = x + 1}, SimpleJdbcInsert, {@code @Transactional} methods that
 * roll back, REQUIRES_NEW, read-only transactions, TransactionTemplate) while the migration walks
 * DUAL_WRITE, SHIFT_READS, TARGET_PRIMARY and back to DUAL_WRITE. Every call that returned is in the
 * oracle; a call Cutover refused, and a transaction the application rolled back on purpose, count as
 * writes that changed nothing, so both sides must show that they wrote nothing.
 */
class NewUserJdbcTemplateTest {
    private static final Logger LOG = LoggerFactory.getLogger(NewUserJdbcTemplateTest.class);
    private static final Map<String, String> ABSENT = Map.of();
    private static final int WRITERS = 4;
    private static final long[] HOT = {1, 2, 3, 4};
    private static final String[] OWNERS = {"seed", "w0", "w1", "r0", "r1", "u0", "u1"};
    private static final Duration HOLD = Duration.ofMillis(1500);
    private static final Duration HANDOVER_PAUSE = Duration.ofMillis(1500);

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#walkSourceEngines")
    void toPostgres(Engine sourceEngine) throws Exception {
        run(sourceEngine);
    }

    private void run(Engine sourceEngine) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "jdbcnewsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "jdbcnewtgt")) {
            source.execute(split(schema(sourceEngine)));
            target.execute(split(schema(Engine.POSTGRESQL)));
            createCutoverTables(source);
            try (ConfigurableApplicationContext context = new SpringApplicationBuilder(LedgerApp.class)
                    .web(WebApplicationType.NONE)
                    .properties("cutover.source.url=" + source.jdbcUrl(), "cutover.target.url=" + target.jdbcUrl(),
                            // The operator's endpoint, as README's "Endpoint" exposes it (flips need write access).
                            "management.endpoints.web.exposure.include=cutover",
                            "management.endpoint.cutover.access=unrestricted")
                    .run()) {
                new Scenario(context, source, target).run();
            }
        }
    }

    /** A write whose effect is cancelled once its call is known to have written nothing. */
    private static final class Cancellable implements Effect<Map<String, String>> {
        private final Effect<Map<String, String>> effect;
        private volatile boolean cancelled;

        Cancellable(Effect<Map<String, String>> effect) {
            this.effect = effect;
        }

        @Override
        public Map<String, String> apply(Map<String, String> state) {
            return cancelled ? state : effect.apply(state);
        }

        @Override
        public boolean possibleIn(Map<String, String> state) {
            return cancelled || effect.possibleIn(state);
        }
    }

    /** One run: the writers, the flips and the final checks. */
    private static final class Scenario {
        private final JdbcTemplate jdbc;
        private final NamedParameterJdbcTemplate named;
        private final LedgerService ledger;
        private final TransactionTemplate transactions;
        private final SimpleJdbcInsert eventInsert;
        private final Migration migration;
        private final TestDatabase source;
        private final TestDatabase target;
        private final AcknowledgedWriteOracle<String, Map<String, String>> oracle =
                new AcknowledgedWriteOracle<>(ABSENT);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        private final AtomicLong unknownEvents = new AtomicLong();
        private final AtomicLong refusedUpserts = new AtomicLong();
        private final AtomicLong notes = new AtomicLong();
        private final AtomicLong callsSinceFlip = new AtomicLong();
        private final Set<Long> acknowledgedNotes = ConcurrentHashMap.newKeySet();
        private final AtomicLong refusedNotes = new AtomicLong();
        private final java.util.concurrent.atomic.AtomicReference<String> starterHintMissing =
                new java.util.concurrent.atomic.AtomicReference<>();
        private volatile Stage stage = Stage.SOURCE_ONLY;
        private final CutoverEndpoint endpoint;
        private final CutoverBackfills backfills;

        Scenario(ConfigurableApplicationContext context, TestDatabase source, TestDatabase target) {
            this.jdbc = context.getBean(JdbcTemplate.class);
            this.named = context.getBean(NamedParameterJdbcTemplate.class);
            this.ledger = context.getBean(LedgerService.class);
            this.transactions = context.getBean(TransactionTemplate.class);
            this.eventInsert = new SimpleJdbcInsert(jdbc).withTableName("events").usingGeneratedKeyColumns("id");
            this.migration = context.getBean(Cutover.class).migration(LedgerApp.MIGRATION);
            this.endpoint = context.getBean(CutoverEndpoint.class);
            this.backfills = context.getBean(CutoverBackfills.class);
            this.source = source;
            this.target = target;
        }

        void run() throws Exception {
            for (long id : HOT) {
                oracle.call("a:" + id, "open " + id, insert(account("seed", 100)),
                        () -> jdbc.update("INSERT INTO accounts (id, owner, balance) VALUES (?, ?, ?)", id, "seed", 100));
            }
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                Thread thread = new Thread(new Writer(i), "writer-" + i);
                threads.add(thread);
                thread.start();
            }
            Thread.sleep(HOLD.toMillis());
            // The operator's way (README, "Endpoint"): dual writes on and the history copied in one request.
            step("POST /actuator/cutover/ledger {stage: DUAL_WRITE, backfill: start}", () -> {
                endpoint.update(LedgerApp.MIGRATION, "DUAL_WRITE", null, null, "start", "operator", "start mirroring",
                        SecurityContext.NONE);
                stage = Stage.DUAL_WRITE;
            });
            step("backfill", () -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                CutoverBackfills.Status status = backfills.status(LedgerApp.MIGRATION).orElseThrow();
                while (!status.progress().phase().equals(BackfillProgress.Phase.FINISHED)) {
                    if (status.failure() != null || System.nanoTime() > deadline) {
                        throw new IllegalStateException("backfill did not finish: " + status);
                    }
                    sleep(50);
                    status = backfills.status(LedgerApp.MIGRATION).orElseThrow();
                }
            });
            Thread.sleep(HOLD.toMillis());
            flip(Stage.SHIFT_READS, 50.0);
            Thread.sleep(HOLD.toMillis());
            // Writes pause for the handover (handoverPause, 1.5 s at the defaults) after each move of the primary:
            // hold long enough past it for the writers to write the new primary.
            flip(Stage.TARGET_PRIMARY, 100.0);
            Thread.sleep(HOLD.plus(HANDOVER_PAUSE).toMillis());
            flip(Stage.DUAL_WRITE, null);
            Thread.sleep(HOLD.plus(HANDOVER_PAUSE).toMillis());
            stop.set(true);
            LOG.info("{} calls started in {}", callsSinceFlip.getAndSet(0), stage);
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(30).toMillis());
                if (thread.isAlive()) {
                    problems.add("HANG: " + thread.getName() + ": " + Arrays.toString(thread.getStackTrace()));
                }
            }
            LOG.info("calls {} failures {}", new TreeMap<>(calls), new TreeMap<>(failures));
            drainAndVerify(migration, Duration.ofSeconds(30), problems);
            Map<String, Map<String, String>> sourceRows = rows(source);
            Map<String, Map<String, String>> targetRows = rows(target);
            // Rows no call recorded: events whose insert failed after it may have committed (its key unknown).
            Set<String> known = oracle.keys();
            List<String> unknown = unknownRows(known, sourceRows, targetRows);
            if (!unknown.isEmpty()) {
                LOG.warn("{} rows no acknowledged call wrote ({} event inserts failed): {}", unknown.size(),
                        unknownEvents.get(), unknown);
                if (unknown.stream().anyMatch(k -> !k.contains(" e:")) || unknownEvents.get() == 0) {
                    problems.add("rows nobody acknowledged: " + unknown + " source " + sourceRows + " target "
                            + targetRows);
                }
            }
            Set<Long> noteIds = new java.util.TreeSet<>();
            try (Connection c = source.connect(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT id FROM notes")) {
                while (rs.next()) {
                    noteIds.add(rs.getLong(1));
                }
            }
            if (!noteIds.equals(new java.util.TreeSet<>(acknowledgedNotes))) {
                problems.add("notes on the source " + noteIds + " are not the acknowledged inserts "
                        + new java.util.TreeSet<>(acknowledgedNotes) + " (" + refusedNotes.get() + " refused)");
            }
            if (starterHintMissing.get() != null) {
                problems.add("a starter user is told to call passThrough(...), but has only properties"
                        + " (cutover.data-source.pass-through): " + starterHintMissing.get());
            }
            sourceRows.keySet().retainAll(known);
            targetRows.keySet().retainAll(known);
            checkOracle(oracle, sourceRows, targetRows, problems);
            LOG.info("{} acknowledged, {} failed writes, {} upserts refused; {} rows on the source",
                    oracle.acknowledged(), oracle.maybe(), refusedUpserts.get(), sourceRows.size());
            assertThat(problems).as("problems").isEmpty();
            assertThat(oracle.acknowledged()).isGreaterThan(100);
        }

        private void flip(Stage next, Double targetReadPercent) {
            LOG.info("{} calls started in {}", callsSinceFlip.getAndSet(0), stage);
            step("moveTo " + next, () -> {
                migration.moveTo(next, "new-user", "probe");
                stage = next;
                if (targetReadPercent != null) {
                    migration.setTargetReadPercent(targetReadPercent, "new-user", "probe");
                }
            });
        }

        private void step(String what, Runnable action) {
            UserTestSupport.step(LOG, problems, what, action);
        }

        /** One writer thread; every writer writes the same few accounts. */
        private final class Writer implements Runnable {
            private final Random random;
            private final int number;

            Writer(int number) {
                this.number = number;
                this.random = new Random(number * 7919L + 17);
            }

            @Override
            public void run() {
                while (!stop.get()) {
                    try {
                        once();
                    } catch (RuntimeException e) {
                        // recorded where it was thrown
                    }
                }
            }

            private long hot() {
                return HOT[random.nextInt(HOT.length)];
            }

            private long[] twoHot() {
                long a = hot();
                long b;
                do {
                    b = hot();
                } while (b == a);
                return new long[] {a, b};
            }

            private void once() {
                int op = random.nextInt(140);
                long id = hot();
                long amount = 1 + random.nextInt(9);
                if (op < 12) {
                    oracle.call("a:" + id, "update +" + amount, add(amount), () -> call("update x = x + ?",
                            () -> jdbc.update("UPDATE accounts SET balance = balance + ? WHERE id = ?", amount, id)));
                } else if (op < 20) {
                    oracle.call("a:" + id, "named update +" + amount, add(amount), () -> call("named update",
                            () -> named.update("UPDATE accounts SET balance = balance + :amount WHERE id = :id",
                                    new MapSqlParameterSource("amount", amount).addValue("id", id))));
                } else if (op < 25) {
                    oracle.call("a:" + id, "delete", s -> ABSENT,
                            () -> call("delete", () -> jdbc.update("DELETE FROM accounts WHERE id = ?", id)));
                } else if (op < 35) {
                    String owner = "w" + number;
                    oracle.call("a:" + id, "insert", insert(account(owner, 0)), () -> call("insert",
                            () -> jdbc.update("INSERT INTO accounts (id, owner, balance) VALUES (?, ?, 0)", id, owner)));
                } else if (op < 41) {
                    long[] two = twoHot();
                    oracle.call("batchUpdate(String...)", Map.of("a:" + two[0], add(1), "a:" + two[1], add(2)),
                            () -> call("batchUpdate(String...)", () -> jdbc.batchUpdate(
                                    "UPDATE accounts SET balance = balance + 1 WHERE id = " + two[0],
                                    "UPDATE accounts SET balance = balance + 2 WHERE id = " + two[1])));
                } else if (op < 47) {
                    long[] two = twoHot();
                    oracle.call("batchUpdate(sql, args)", Map.of("a:" + two[0], add(amount), "a:" + two[1], add(-amount)),
                            () -> call("batchUpdate(sql, List<Object[]>)", () -> jdbc.batchUpdate(
                                    "UPDATE accounts SET balance = balance + ? WHERE id = ?",
                                    List.of(new Object[] {amount, two[0]}, new Object[] {-amount, two[1]}))));
                } else if (op < 51) {
                    long[] two = twoHot();
                    SqlParameterSource[] batch = {
                            new MapSqlParameterSource("amount", amount).addValue("id", two[0]),
                            new MapSqlParameterSource("amount", 2 * amount).addValue("id", two[1])};
                    oracle.call("named batchUpdate", Map.of("a:" + two[0], add(amount), "a:" + two[1], add(2 * amount)),
                            () -> call("named batchUpdate", () -> named.batchUpdate(
                                    "UPDATE accounts SET balance = balance + :amount WHERE id = :id", batch)));
                } else if (op < 57) {
                    KeyHolder keys = new GeneratedKeyHolder();
                    long key = eventCall("KeyHolder insert", () -> {
                        jdbc.update(con -> {
                            PreparedStatement ps = con.prepareStatement(
                                    "INSERT INTO events (account_id, amount, kind) VALUES (?, ?, ?)", new String[] {"id"});
                            ps.setLong(1, id);
                            ps.setLong(2, amount);
                            ps.setString(3, "keyholder");
                            return ps;
                        }, keys);
                        return keys.getKey().longValue();
                    });
                    event(key, id, amount, "keyholder");
                } else if (op < 61) {
                    long key = eventCall("SimpleJdbcInsert", () -> eventInsert.executeAndReturnKey(
                            Map.of("account_id", id, "amount", amount, "kind", "simple")).longValue());
                    event(key, id, amount, "simple");
                } else if (op < 66) {
                    upsert(id, amount);
                } else if (op < 75) {
                    long[] two = twoHot();
                    boolean changeMind = random.nextInt(4) == 0;
                    Cancellable from = new Cancellable(add(-amount));
                    Cancellable to = new Cancellable(add(amount));
                    Write write = oracle.begin("transfer " + two[0] + " -> " + two[1] + (changeMind ? " (rolled back)" : ""),
                            Map.of("a:" + two[0], from, "a:" + two[1], to));
                    count("@Transactional transfer");
                    try {
                        ledger.transfer(two[0], two[1], amount, changeMind);
                        write.acknowledged();
                    } catch (ChangedMind e) {
                        from.cancelled = true;
                        to.cancelled = true;
                        write.acknowledged();
                    } catch (RuntimeException e) {
                        write.failed(e);
                        failed("@Transactional transfer", e);
                    }
                } else if (op < 81) {
                    boolean changeMind = random.nextInt(3) == 0;
                    Cancellable deposit = new Cancellable(add(amount));
                    Write write = oracle.begin("a:" + id, "audited deposit" + (changeMind ? " (rolled back)" : ""), deposit);
                    AtomicLong eventId = new AtomicLong(-1);
                    count("@Transactional + REQUIRES_NEW");
                    try {
                        ledger.depositAudited(id, amount, changeMind, eventId);
                        write.acknowledged();
                    } catch (ChangedMind e) {
                        deposit.cancelled = true;
                        write.acknowledged();
                    } catch (RuntimeException e) {
                        write.failed(e);
                        failed("@Transactional + REQUIRES_NEW", e);
                    }
                    if (eventId.get() >= 0) {
                        event(eventId.get(), id, amount, "deposit");
                    } else {
                        unknownEvents.incrementAndGet();
                    }
                } else if (op < 85) {
                    long[] two = twoHot();
                    oracle.call("bumpAll", Map.of("a:" + two[0], add(amount), "a:" + two[1], add(amount)),
                            () -> call("@Transactional batchUpdate", () -> ledger.bumpAll(List.of(two[0], two[1]), amount)));
                } else if (op < 90) {
                    String owner = "r" + number;
                    oracle.call("a:" + id, "reset", s -> account(owner, 0), () -> call("TransactionTemplate reset",
                            () -> transactions.execute(status -> {
                                jdbc.update("DELETE FROM accounts WHERE id = ?", id);
                                return jdbc.update("INSERT INTO accounts (id, owner, balance) VALUES (?, ?, 0)", id, owner);
                            })));
                } else if (op < 100) {
                    call("@Transactional(readOnly) read", () -> ledger.balances(List.of(HOT[0], HOT[1], HOT[2], HOT[3])));
                } else if (op < 104) {
                    long[] two = twoHot();
                    oracle.call("update where id in", Map.of("a:" + two[0], add(amount), "a:" + two[1], add(amount)),
                            () -> call("update WHERE id IN (?, ?)", () -> jdbc.update(
                                    "UPDATE accounts SET balance = balance + ? WHERE id IN (?, ?)", amount, two[0], two[1])));
                } else if (op < 108) {
                    String owner = OWNERS[random.nextInt(OWNERS.length)];
                    Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                    for (long key : HOT) {
                        effects.put("a:" + key, s -> owner.equals(s.get("owner")) ? plus(s, 1) : s);
                    }
                    oracle.call("update where owner = " + owner, effects, () -> call("update WHERE owner = ?",
                            () -> jdbc.update("UPDATE accounts SET balance = balance + 1 WHERE owner = ?", owner)));
                } else if (op < 112) {
                    long key = eventCall("INSERT ... RETURNING (queryForObject)", () -> jdbc.queryForObject(
                            "INSERT INTO events (account_id, amount, kind) VALUES (?, ?, ?) RETURNING id", Long.class,
                            id, amount, "returning"));
                    event(key, id, amount, "returning");
                } else if (op < 116) {
                    long[] two = twoHot();
                    boolean refuse = random.nextBoolean();
                    oracle.call("deposit with " + (refuse ? "refused " : "") + "bonus",
                            Map.of("a:" + two[0], add(amount), "a:" + two[1], refuse ? s -> s : add(1)),
                            () -> call("@Transactional + NESTED", () -> ledger.depositWithBonus(two[0], amount, two[1], refuse)));
                } else if (op < 120) {
                    long floor = 50 + random.nextInt(100);
                    AtomicLong took = new AtomicLong();
                    oracle.call("a:" + id, "withdraw above " + floor,
                            s -> s.isEmpty() || Long.parseLong(s.get("balance")) <= floor ? s : with(s, floor),
                            () -> call("SELECT FOR UPDATE then update", () -> took.set(ledger.withdrawAbove(id, floor))));
                } else if (op < 124 && source.engine() != Engine.MARIADB) {
                    // Not on MariaDB: its driver returns only the first key of a multi-row INSERT, so an application
                    // there cannot use this (Cutover refuses it in dual-write stages, CutoverDataSourceTest).
                    KeyHolder keys = new GeneratedKeyHolder();
                    eventCall("multi-row INSERT with KeyHolder", () -> jdbc.update(con -> {
                        PreparedStatement ps = con.prepareStatement(
                                "INSERT INTO events (account_id, amount, kind) VALUES (?, ?, ?), (?, ?, ?)", new String[] {"id"});
                        ps.setLong(1, id);
                        ps.setLong(2, amount);
                        ps.setString(3, "multi");
                        ps.setLong(4, id);
                        ps.setLong(5, amount + 1);
                        ps.setString(6, "multi");
                        return ps;
                    }, keys));
                    events(keys, id, List.of(amount, amount + 1), "multi");
                } else if (op < 127) {
                    KeyHolder keys = new GeneratedKeyHolder();
                    List<Long> amounts = List.of(amount, amount + 10, amount + 20);
                    eventCall("batchUpdate with KeyHolder", () -> jdbc.batchUpdate(
                            con -> con.prepareStatement("INSERT INTO events (account_id, amount, kind) VALUES (?, ?, ?)",
                                    new String[] {"id"}),
                            new BatchPreparedStatementSetter() {
                                @Override
                                public void setValues(PreparedStatement ps, int i) throws SQLException {
                                    ps.setLong(1, id);
                                    ps.setLong(2, amounts.get(i));
                                    ps.setString(3, "batchkeys");
                                }

                                @Override
                                public int getBatchSize() {
                                    return amounts.size();
                                }
                            }, keys).length);
                    events(keys, id, amounts, "batchkeys");
                } else if (op < 133) {
                    AtomicLong eventId = new AtomicLong(-1);
                    try {
                        call("@Transactional(readOnly) + REQUIRES_NEW write", () -> ledger.lookAudited(id, eventId));
                    } finally {
                        if (eventId.get() >= 0) {
                            event(eventId.get(), id, 0, "looked");
                        } else {
                            unknownEvents.incrementAndGet();
                        }
                    }
                } else if (op < 136) {
                    note();
                } else {
                    long below = 100 + random.nextInt(60);
                    oracle.call("a:" + id, "delete if below " + below,
                            s -> !s.isEmpty() && Long.parseLong(s.get("balance")) < below ? ABSENT : s,
                            () -> call("DELETE WHERE id = ? AND balance < ?",
                                    () -> jdbc.update("DELETE FROM accounts WHERE id = ? AND balance < ?", id, below)));
                }
            }

            /** Records the events a multi-row insert returned the keys of, in the order of its rows. */
            private void events(KeyHolder keys, long account, List<Long> amounts, String kind) {
                List<Map<String, Object>> list = keys.getKeyList();
                if (list.size() != amounts.size()) {
                    problems.add(kind + ": " + amounts.size() + " rows inserted but " + list.size() + " keys returned: " + list);
                    unknownEvents.incrementAndGet();
                    return;
                }
                for (int i = 0; i < list.size(); i++) {
                    Object key = list.get(i).size() == 1 ? list.get(i).values().iterator().next() : list.get(i).get("id");
                    event(((Number) key).longValue(), account, amounts.get(i), kind);
                }
            }

            /**
             * A write of a table the migration does not map (the application has more tables than it migrates):
             * fine while nothing writes both sides, refused from DUAL_WRITE on, before it runs.
             */
            private void note() {
                long id = notes.incrementAndGet();
                Stage before = stage;
                count("unmapped table insert");
                try {
                    jdbc.update("INSERT INTO notes (id, body) VALUES (?, ?)", id, "note " + id);
                    acknowledgedNotes.add(id);
                } catch (RuntimeException e) {
                    String message = messages(e);
                    if (refusedNotes.incrementAndGet() == 1) {
                        LOG.info("unmapped table refused in {}: {}", before, message);
                    }
                    if (!message.contains("passThrough") && !message.contains("pass-through")) {
                        problems.add("unmapped table refusal names no fix: " + message);
                    }
                    if (!message.contains("cutover.data-source.pass-through")) {
                        starterHintMissing.set(message);
                    }
                }
            }

            /** An upsert: SQL Cutover cannot key, so it must be refused in dual-write stages, before it runs. */
            private void upsert(long id, long amount) {
                String sql = source.engine() == Engine.MARIADB
                        ? "INSERT INTO accounts (id, owner, balance) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)"
                        : "INSERT INTO accounts (id, owner, balance) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance";
                Cancellable effect = new Cancellable(s -> s.isEmpty() ? account("u" + number, amount) : plus(s, amount));
                Write write = oracle.begin("a:" + id, "upsert +" + amount, effect);
                Stage before = stage;
                count("upsert");
                try {
                    jdbc.update(sql, id, "u" + number, amount);
                    write.acknowledged();
                } catch (RuntimeException e) {
                    String message = messages(e);
                    if (message.contains("upsert")) {
                        // Refused: it must have written nothing, and say why and what to do instead.
                        effect.cancelled = true;
                        write.acknowledged();
                        if (refusedUpserts.incrementAndGet() == 1) {
                            LOG.info("upsert refused in {}: {}", before, message);
                        }
                        if (message.contains("in stage SOURCE_ONLY")) {
                            problems.add("upsert refused in SOURCE_ONLY: " + message);
                        }
                        if (!message.contains("INSERT it or UPDATE it by key")) {
                            problems.add("upsert refusal names no fix: " + message);
                        }
                    } else {
                        write.failed(e);
                        failed("upsert", e);
                    }
                }
            }

            private long eventCall(String what, java.util.function.LongSupplier action) {
                count(what);
                try {
                    return action.getAsLong();
                } catch (RuntimeException e) {
                    unknownEvents.incrementAndGet();
                    failed(what, e);
                    throw e;
                }
            }

            /** Records an event whose insert returned its key: a new key, so when it was recorded does not matter. */
            private void event(long key, long account, long amount, String kind) {
                oracle.begin("e:" + key, "event " + kind, insert(Map.of("account_id", String.valueOf(account),
                        "amount", String.valueOf(amount), "kind", kind))).acknowledged();
            }

            private void call(String what, Runnable action) {
                count(what);
                try {
                    action.run();
                } catch (RuntimeException e) {
                    failed(what, e);
                    throw e;
                }
            }
        }

        private void count(String what) {
            calls.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
            callsSinceFlip.incrementAndGet();
        }

        private void failed(String what, RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String kind = what + ": " + e.getClass().getSimpleName() + " / " + root.getClass().getSimpleName() + " "
                    + sqlState(e) + ": " + String.valueOf(root.getMessage()).lines().findFirst().orElse("");
            if (failures.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet() == 1) {
                LOG.warn("first failure of kind {}", kind, e);
                if (!expected(e)) {
                    problems.add("unexpected failure in " + stage + ": " + kind);
                }
            }
        }
    }

    /**
     * What an application on Spring JDBC must expect and retry: a duplicate key (the writers insert the
     * same accounts), a deadlock, and a transaction in flight across a move of the primary (40001).
     */
    private static boolean expected(Throwable e) {
        String state = sqlState(e);
        // MariaDB rolls the whole transaction back on a deadlock, savepoints included, so Spring's rollback of a
        // NESTED method to its savepoint then fails with 1305 instead of the deadlock (so without Cutover too).
        boolean lostSavepoint = state.equals("42000") && messages(e).contains("SAVEPOINT")
                && messages(e).contains("does not exist");
        return state.startsWith("23") || state.equals("40001") || state.equals("40P01") || lostSavepoint;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String sqlState(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return "-";
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            all.append(cause.getMessage()).append(" | ");
        }
        return all.toString();
    }

    private static Map<String, String> account(String owner, long balance) {
        return Map.of("owner", owner, "balance", String.valueOf(balance));
    }

    private static Map<String, String> plus(Map<String, String> row, long amount) {
        Map<String, String> changed = new HashMap<>(row);
        changed.put("balance", String.valueOf(Long.parseLong(row.get("balance")) + amount));
        return Map.copyOf(changed);
    }

    private static Map<String, String> with(Map<String, String> row, long balance) {
        return account(row.get("owner"), balance);
    }

    /** {@code balance = balance + amount} by key: no change where the row is missing. */
    private static Effect<Map<String, String>> add(long amount) {
        UnaryOperator<Map<String, String>> op = s -> s.isEmpty() ? s : plus(s, amount);
        return op::apply;
    }

    /** Every row of both tables, keyed as the oracle keys them. */
    private static Map<String, Map<String, String>> rows(TestDatabase db) throws SQLException {
        Map<String, Map<String, String>> rows = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id, owner, balance FROM accounts")) {
                while (rs.next()) {
                    rows.put("a:" + rs.getLong(1), account(rs.getString(2), rs.getLong(3)));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT id, account_id, amount, kind FROM events")) {
                while (rs.next()) {
                    rows.put("e:" + rs.getLong(1), Map.of("account_id", String.valueOf(rs.getLong(2)),
                            "amount", String.valueOf(rs.getLong(3)), "kind", rs.getString(4)));
                }
            }
        }
        return rows;
    }

    /** The application's schema, written by its team; no foreign key between the mapped tables (README). */
    static String schema(Engine engine) {
        if (engine == Engine.MARIADB) {
            return """
                    CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL);
                    CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, account_id BIGINT NOT NULL,
                        amount BIGINT NOT NULL, kind VARCHAR(20) NOT NULL);
                    CREATE TABLE notes (id BIGINT PRIMARY KEY, body VARCHAR(100) NOT NULL);
                    """;
        }
        return """
                CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL);
                CREATE TABLE events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, account_id BIGINT NOT NULL,
                    amount BIGINT NOT NULL, kind VARCHAR(20) NOT NULL);
                CREATE TABLE notes (id BIGINT PRIMARY KEY, body VARCHAR(100) NOT NULL);
                """;
    }
}
