package dev.cutover.spring.boot.sdjdbc;

import static dev.cutover.spring.boot.UserTestSupport.refusalMessage;
import static dev.cutover.spring.boot.UserTestSupport.root;
import static dev.cutover.spring.boot.UserTestSupport.row;
import static dev.cutover.spring.boot.UserTestSupport.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.UserTestSupport;
import dev.cutover.spring.boot.sdjdbc.Member.Address;
import dev.cutover.spring.boot.sdjdbc.Member.Card;
import dev.cutover.spring.boot.sdjdbc.Member.Loan;
import dev.cutover.spring.boot.sdjdbc.Member.Pref;
import dev.cutover.spring.boot.sdjdbc.Shelf.Book;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Write;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerificationReport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.dao.OptimisticLockingFailureException;

/**
 * A Spring Data JDBC application (no JPA) adopting the starter with only Cutover's two URLs: aggregates
 * whose child rows Spring Data JDBC deletes by the parent's id and re-inserts in batches on every save
 * (a one-to-one, a list with an index column, a map with a key column, a set), {@code @Version},
 * database-generated and callback-assigned ids, {@code @Embedded}, {@code @Modifying @Query} updates and
 * deletes, {@code @Lock}, {@code saveAll}, {@code deleteAll}, {@code JdbcAggregateTemplate.insert/update},
 * {@code @Transactional} services that roll back, and derived queries while reads shift.
 *
 * <p>Four writers share three members and two shelves and each owns a few members of its own city. At
 * each stage's checkpoint the writers pause and the queue drains; every side being written must then hold
 * exactly the fold of the acknowledged calls (the acknowledged-write oracle, aggregate roots and children
 * alike), and while both sides are written the verifier must be clean. Rolled-back calls are not recorded,
 * so anything they left behind shows as a row the oracle cannot explain.
 */
class SpringDataJdbcUserTest {
    private static final Logger LOG = LoggerFactory.getLogger(SpringDataJdbcUserTest.class);
    private static final Map<String, String> ABSENT = Map.of();
    private static final boolean SOAK = Boolean.getBoolean("cutover.soak");
    private static final int WRITERS = 4;
    private static final Duration HOLD = SOAK ? Duration.ofSeconds(4) : Duration.ofMillis(1000);
    private static final int MAX_LOANS = 4;
    private static final List<String> PREF_KEYS = List.of("lang", "mail", "sms");
    private static final List<String> ISBNS = List.of("isbn-1", "isbn-2", "isbn-3");
    private static final String SHARED_CITY = "north";

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#walkSourceEngines")
    void libraryWalk(Engine sourceEngine) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "sdjdbcsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "sdjdbctgt")) {
            source.execute(UserTestSupport.split(schema(source.engine())));
            target.execute(UserTestSupport.split(schema(target.engine())));
            UserTestSupport.createCutoverTables(source);
            try (ConfigurableApplicationContext context = new SpringApplicationBuilder(LibraryApp.class)
                    .web(WebApplicationType.NONE)
                    .properties("cutover.source.url=" + source.jdbcUrl(), "cutover.target.url=" + target.jdbcUrl())
                    .run()) {
                new Walk(context, source, target).run();
            }
        }
    }

    /**
     * The schema as the team writes it, one script per engine; MariaDB's text keys compare exactly
     * (a binary NO PAD collation), as Cutover's set-up check asks when the target is PostgreSQL.
     */
    static String schema(Engine engine) {
        String id = engine == Engine.MARIADB ? "BIGINT AUTO_INCREMENT PRIMARY KEY"
                : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
        String exact = engine == Engine.MARIADB ? " COLLATE utf8mb4_nopad_bin" : "";
        return """
                CREATE TABLE members (id %1$s, version BIGINT NOT NULL, name VARCHAR(100) NOT NULL,
                    points INT NOT NULL, home_street VARCHAR(100), home_city VARCHAR(50));
                CREATE TABLE member_cards (member_id BIGINT PRIMARY KEY, card_no VARCHAR(40) NOT NULL,
                    tier VARCHAR(20) NOT NULL);
                CREATE TABLE loans (member_id BIGINT NOT NULL, pos INT NOT NULL, title VARCHAR(100) NOT NULL,
                    due DATE NOT NULL, PRIMARY KEY (member_id, pos));
                CREATE TABLE member_prefs (member_id BIGINT NOT NULL, pref_key VARCHAR(20)%2$s NOT NULL,
                    pref_value VARCHAR(100), PRIMARY KEY (member_id, pref_key));
                CREATE TABLE shelves (id VARCHAR(60)%2$s PRIMARY KEY, version INT NOT NULL, label VARCHAR(100) NOT NULL);
                CREATE TABLE shelf_books (shelf_id VARCHAR(60)%2$s NOT NULL, isbn VARCHAR(20)%2$s NOT NULL,
                    copies INT NOT NULL, PRIMARY KEY (shelf_id, isbn));
                """.formatted(id, exact);
    }

    /** Every row of the library, keyed m:id, c:member, l:member:pos, p:member:key, s:id, b:shelf:isbn. */
    static Map<String, Map<String, String>> dump(TestDatabase db) throws SQLException {
        Map<String, Map<String, String>> rows = new TreeMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id, version, name, points, home_street, home_city FROM members")) {
                while (rs.next()) {
                    rows.put("m:" + rs.getLong(1), row("version", String.valueOf(rs.getLong(2)), "name",
                            rs.getString(3), "points", String.valueOf(rs.getInt(4)), "home_street",
                            String.valueOf(rs.getString(5)), "home_city", String.valueOf(rs.getString(6))));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT member_id, card_no, tier FROM member_cards")) {
                while (rs.next()) {
                    rows.put("c:" + rs.getLong(1), row("card_no", rs.getString(2), "tier", rs.getString(3)));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT member_id, pos, title, due FROM loans")) {
                while (rs.next()) {
                    rows.put("l:" + rs.getLong(1) + ":" + rs.getInt(2), row("title", rs.getString(3), "due",
                            String.valueOf(rs.getObject(4, LocalDate.class))));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT member_id, pref_key, pref_value FROM member_prefs")) {
                while (rs.next()) {
                    rows.put("p:" + rs.getLong(1) + ":" + rs.getString(2),
                            row("pref_value", String.valueOf(rs.getString(3))));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT id, version, label FROM shelves")) {
                while (rs.next()) {
                    rows.put("s:" + rs.getString(1), row("version", String.valueOf(rs.getInt(2)), "label",
                            rs.getString(3)));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT shelf_id, isbn, copies FROM shelf_books")) {
                while (rs.next()) {
                    rows.put("b:" + rs.getString(1) + ":" + rs.getString(2),
                            row("copies", String.valueOf(rs.getInt(3))));
                }
            }
        }
        return rows;
    }

    /** A member's rows as the dump reads them, every child key of the fixed universe included (absent or not). */
    static Map<String, Map<String, String>> rowsOf(Member m, long version) {
        Map<String, Map<String, String>> rows = new LinkedHashMap<>();
        rows.put("m:" + m.id, row("version", String.valueOf(version), "name", m.name, "points",
                String.valueOf(m.points), "home_street", m.home == null ? "null" : String.valueOf(m.home.street()),
                "home_city", m.home == null ? "null" : String.valueOf(m.home.city())));
        rows.put("c:" + m.id, m.card == null ? ABSENT : row("card_no", m.card.cardNo(), "tier", m.card.tier()));
        for (int pos = 0; pos < MAX_LOANS; pos++) {
            rows.put("l:" + m.id + ":" + pos, pos < m.loans.size()
                    ? row("title", m.loans.get(pos).title(), "due", m.loans.get(pos).due().toString()) : ABSENT);
        }
        for (String key : PREF_KEYS) {
            Pref pref = m.prefs.get(key);
            rows.put("p:" + m.id + ":" + key, pref == null ? ABSENT : row("pref_value", pref.prefValue()));
        }
        return rows;
    }

    /** A shelf's rows, every book of the fixed universe included. */
    static Map<String, Map<String, String>> rowsOf(Shelf shelf, int version) {
        Map<String, Map<String, String>> rows = new LinkedHashMap<>();
        rows.put("s:" + shelf.id, row("version", String.valueOf(version), "label", shelf.label));
        Map<String, Book> byIsbn = new HashMap<>();
        shelf.books.forEach(b -> byIsbn.put(b.isbn(), b));
        for (String isbn : ISBNS) {
            Book book = byIsbn.get(isbn);
            rows.put("b:" + shelf.id + ":" + isbn, book == null ? ABSENT : row("copies", String.valueOf(book.copies())));
        }
        return rows;
    }

    /** A whole-aggregate save: the root must exist (an update); every child row becomes what the aggregate says. */
    static Map<String, Effect<Map<String, String>>> saveEffects(Map<String, Map<String, String>> rows, String root) {
        Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
        rows.forEach((key, state) -> effects.put(key, key.equals(root)
                ? Effect.requiring(s -> !s.isEmpty(), s -> state) : Effect.requiring(s -> true, s -> state)));
        return effects;
    }

    /** A new aggregate's insert: no row before, the rows after. */
    static Map<String, Effect<Map<String, String>>> insertEffects(Map<String, Map<String, String>> rows) {
        Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
        rows.forEach((key, state) -> effects.put(key, Effect.requiring(Map::isEmpty, s -> state)));
        return effects;
    }

    /** An aggregate deleted: every row of it gone. */
    static Map<String, Effect<Map<String, String>>> deleteEffects(Set<String> keys) {
        Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
        keys.forEach(key -> effects.put(key, Effect.requiring(s -> true, s -> ABSENT)));
        return effects;
    }

    static Effect<Map<String, String>> addPoints(int delta, boolean bumpVersion) {
        return Effect.requiring(s -> true, s -> s.isEmpty() ? s : bumpVersion
                ? with(s, "points", String.valueOf(Integer.parseInt(s.get("points")) + delta), "version",
                        String.valueOf(Long.parseLong(s.get("version")) + 1))
                : with(s, "points", String.valueOf(Integer.parseInt(s.get("points")) + delta)));
    }

    private static final class Walk {
        private final LibraryService library;
        private final MemberRepository members;
        private final ShelfRepository shelves;
        private final Migration migration;
        private final TestDatabase source;
        private final TestDatabase target;
        private final boolean crossEngine;
        private final AcknowledgedWriteOracle<String, Map<String, String>> oracle =
                new AcknowledgedWriteOracle<>(ABSENT);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicBoolean paused = new AtomicBoolean();
        private final AtomicInteger parked = new AtomicInteger();
        private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        private final AtomicLong failedInserts = new AtomicLong();
        private final List<Long> sharedMembers = new ArrayList<>();
        private volatile List<String> sharedShelves = List.of();
        private volatile String stage = "SOURCE_ONLY";

        Walk(ConfigurableApplicationContext context, TestDatabase source, TestDatabase target) {
            this.library = context.getBean(LibraryService.class);
            this.members = context.getBean(MemberRepository.class);
            this.shelves = context.getBean(ShelfRepository.class);
            this.migration = context.getBean(Cutover.class).migration(LibraryApp.MIGRATION);
            this.source = source;
            this.target = target;
            this.crossEngine = source.engine() != target.engine();
        }

        void run() throws Exception {
            seedMembers();
            seedShelves();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                Thread thread = new Thread(new Writer(i), "sdjdbc-writer-" + i);
                threads.add(thread);
                thread.start();
            }
            hold();
            checkpoint(true, false);
            flip(Stage.DUAL_WRITE, null);
            step("backfill", () -> LOG.info("backfill: {}", migration.backfill().build().run()));
            hold();
            checkpoint(true, true);
            paused(() -> {
                refusedUpsertWritesNothing();
                clearShelves();
            });
            flip(Stage.SHIFT_READS, 50.0);
            hold();
            checkpoint(true, true);
            flip(Stage.SHIFT_READS, 100.0);
            hold();
            checkpoint(true, true);
            if (!crossEngine) {
                flip(Stage.TARGET_PRIMARY, null);
                hold();
                checkpoint(true, true);
                paused(this::clearShelves);
                flip(Stage.TARGET_ONLY, null);
                hold();
                checkpoint(false, true);
                // Back from TARGET_ONLY: the source lacks what was written meanwhile. README: flip back
                // first, then let the verifier copy the differing keys from the primary (the target).
                paused(() -> {
                    flip(Stage.TARGET_PRIMARY, null);
                    step("resync the source", () -> LOG.info("resync: {}", migration.verify().toJson()));
                });
                checkpoint(true, true);
                hold();
                checkpoint(true, true);
                flip(Stage.SHIFT_READS, null);
                hold();
                checkpoint(true, true);
            }
            flip(Stage.DUAL_WRITE, null);
            hold();
            checkpoint(true, true);
            flip(Stage.SOURCE_ONLY, null);
            hold();
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(60).toMillis());
                if (thread.isAlive()) {
                    problems.add("HANG: " + thread.getName() + Arrays.toString(thread.getStackTrace()));
                }
            }
            checkpoint(true, false);
            LOG.info("calls {}", new TreeMap<>(calls));
            LOG.info("failures {}", new TreeMap<>(failures));
            LOG.info("{} acknowledged, {} failed or refused", oracle.acknowledged(), oracle.maybe());
            assertThat(problems).as("problems").isEmpty();
            assertThat(oracle.acknowledged()).isGreaterThan(100);
        }

        private void hold() throws InterruptedException {
            Thread.sleep(HOLD.toMillis());
        }

        private void seedMembers() {
            List<Member> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batch.add(new Member("shared-" + i, 100, new Address("street " + i, SHARED_CITY),
                        new Card("card-" + i, "SILVER"), List.of(new Loan("book " + i, LocalDate.of(2026, 1, 1 + i))),
                        Map.of("lang", new Pref("en"))));
            }
            for (Member m : library.saveAll(batch)) {
                sharedMembers.add(m.id);
                oracle.begin("seed member " + m.id, insertEffects(rowsOf(m, m.version))).acknowledged();
            }
        }

        private void seedShelves() {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Shelf shelf = library.insert(new Shelf("shelf " + i, Set.of(new Book(ISBNS.get(0), 5),
                        new Book(ISBNS.get(1), 3))));
                ids.add(shelf.id);
                oracle.begin("seed shelf " + shelf.id, insertEffects(rowsOf(shelf, shelf.version))).acknowledged();
            }
            sharedShelves = List.copyOf(ids);
        }

        /** {@code deleteAll()} of the shelf aggregate, then new shelves: with the writers paused. */
        private void clearShelves() {
            Set<String> keys = new HashSet<>();
            for (String key : oracle.keys()) {
                if (key.startsWith("s:") || key.startsWith("b:")) {
                    keys.add(key);
                }
            }
            Write write = oracle.begin("deleteAll shelves in " + stage, deleteEffects(keys));
            try {
                library.deleteAllShelves();
                write.acknowledged();
                count("deleteAll(shelves)");
            } catch (RuntimeException e) {
                write.failed(e);
                failed("deleteAll(shelves)", e);
                return;
            }
            seedShelves();
        }

        /**
         * A PostgreSQL or MariaDB upsert in a {@code @Modifying @Query}: refused while both sides are
         * written, naming the problem and a fix; neither side may have changed.
         */
        private void refusedUpsertWritesNothing() {
            long member = sharedMembers.get(0);
            try {
                Map<String, Map<String, String>> sourceBefore = dump(source);
                Map<String, Map<String, String>> targetBefore = dump(target);
                String refusal = null;
                try {
                    if (source.engine() == Engine.MARIADB) {
                        members.upsertPrefMariaDb(member, "sms", "upserted");
                    } else {
                        members.upsertPrefPostgres(member, "sms", "upserted");
                    }
                    problems.add("an upsert was accepted in " + stage);
                } catch (RuntimeException e) {
                    refusal = refusalMessage(e);
                    if (refusal == null) {
                        problems.add("the upsert failed, but not with Cutover's refusal: " + e);
                    }
                }
                LOG.info("upsert in {}: {}", stage, refusal);
                if (refusal != null && !(refusal.toLowerCase().contains("upsert")
                        || refusal.contains("ON CONFLICT") || refusal.contains("ON DUPLICATE KEY"))) {
                    problems.add("the upsert's refusal does not name the problem: " + refusal);
                }
                if (!dump(source).equals(sourceBefore) || !dump(target).equals(targetBefore)) {
                    problems.add("a refused upsert changed a side");
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        private void flip(Stage to, Double percent) {
            UserTestSupport.step(LOG, problems, "moveTo " + to + (percent == null ? "" : " " + percent + "%"), () -> {
                if (!to.name().equals(stage)) {
                    migration.moveTo(to, "sdjdbc-user", "walk");
                    stage = to.name();
                }
                if (percent != null) {
                    migration.setTargetReadPercent(percent, "sdjdbc-user", "walk");
                }
            });
        }

        private void step(String what, Runnable action) {
            UserTestSupport.step(LOG, problems, what, action);
        }

        /** Runs {@code action} with every writer parked between calls. */
        private void paused(Runnable action) throws InterruptedException {
            paused.set(true);
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (parked.get() < WRITERS && !stop.get() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                if (parked.get() < WRITERS && !stop.get()) {
                    problems.add("writers did not pause in " + stage);
                }
                action.run();
            } finally {
                paused.set(false);
            }
        }

        /**
         * Writers paused, queue drained: the written sides must hold exactly the fold of the acknowledged
         * calls, and while both are written the verifier must be clean.
         */
        private void checkpoint(boolean sourceWritten, boolean targetWritten) throws InterruptedException {
            String where = "checkpoint " + stage;
            paused(() -> {
                try {
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (migration.queueDepth().pending() > 0 && System.nanoTime() < deadline) {
                        Thread.sleep(50);
                    }
                    if (migration.queueDepth().pending() + migration.queueDepth().parked() > 0) {
                        problems.add(where + ": queue not drained: " + migration.queueDepth());
                    }
                    if (sourceWritten && targetWritten) {
                        VerificationReport report = migration.verify();
                        if (!report.isClean()) {
                            problems.add(where + ": verifier not clean: " + report.toJson());
                        }
                    }
                    Map<String, Map<String, String>> sourceRows = dump(source);
                    Map<String, Map<String, String>> targetRows = dump(target);
                    Map<String, Map<String, String>> a = sourceWritten ? sourceRows : targetRows;
                    Map<String, Map<String, String>> b = targetWritten ? targetRows : sourceRows;
                    List<String> violations = oracle.violations(a, b);
                    if (!violations.isEmpty()) {
                        problems.add(where + ": " + violations.size() + " oracle violation(s) (sides checked: "
                                + (sourceWritten ? "source " : "") + (targetWritten ? "target" : "") + "):\n"
                                + String.join("\n", violations));
                    }
                    List<String> unknown = UserTestSupport.unknownRows(oracle.keys(), a, b);
                    if (!unknown.isEmpty() && failedInserts.get() == 0) {
                        problems.add(where + ": rows nobody acknowledged: " + unknown);
                    }
                    LOG.info("{}: {} rows, {} acknowledged calls, {} violations", where, a.size(),
                            oracle.acknowledged(), violations.size());
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        private void count(String what) {
            calls.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
        }

        private void failed(String what, RuntimeException e) {
            Throwable root = root(e);
            String kind = what + " in " + stage + ": " + e.getClass().getSimpleName() + " / "
                    + root.getClass().getSimpleName() + ": "
                    + String.valueOf(root.getMessage()).lines().findFirst().orElse("");
            if (failures.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet() == 1) {
                LOG.warn("first failure of kind {}", kind, e);
                if (!optimistic(e) && !retryable(e)) {
                    problems.add("unexpected failure: " + kind);
                }
            }
        }

        /** A member this writer owns: it alone writes its rows. */
        private static final class Own {
            Member member;

            Own(Member member) {
                this.member = member;
            }
        }

        private final class Writer implements Runnable {
            private final int index;
            private final Random random;
            private final String city;
            private final Map<Long, Own> owned = new LinkedHashMap<>();
            /** Own members whose last call failed: their state is unknown, but they are still in this city. */
            private final Set<Long> lost = new HashSet<>();
            private int counter;

            Writer(int index) {
                this.index = index;
                this.random = new Random(4242L + index);
                this.city = "city-" + index;
            }

            @Override
            public void run() {
                while (!stop.get()) {
                    if (paused.get()) {
                        parked.incrementAndGet();
                        while (paused.get() && !stop.get()) {
                            sleep(2);
                        }
                        parked.decrementAndGet();
                        continue;
                    }
                    try {
                        once();
                    } catch (RuntimeException e) {
                        // counted by the call that threw
                    }
                }
            }

            private void sleep(long ms) {
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stop.set(true);
                }
            }

            private void once() {
                int dice = random.nextInt(100);
                long shared = sharedMembers.get(random.nextInt(sharedMembers.size()));
                if (dice < 18) {
                    reshape(shared, false);
                } else if (dice < 26) {
                    reshape(shared, true);
                } else if (dice < 34) {
                    int delta = 1 + random.nextInt(5);
                    call("addPoints(@Modifying by id)", Map.of("m:" + shared, addPoints(delta, false)),
                            () -> members.addPoints(shared, delta));
                } else if (dice < 38) {
                    creditCity(SHARED_CITY, new HashSet<>(sharedMembers));
                } else if (dice < 46) {
                    long other = sharedMembers.get(random.nextInt(sharedMembers.size()));
                    if (other != shared) {
                        int n = 1 + random.nextInt(3);
                        call("transfer(@Transactional, two @Modifying)", Map.of("m:" + shared, addPoints(-n, false),
                                "m:" + other, addPoints(n, false)), () -> {
                                    library.transfer(shared, other, n);
                                    return null;
                                });
                    }
                } else if (dice < 56) {
                    stock();
                } else if (dice < 64) {
                    lend();
                } else if (dice < 76) {
                    ownMembers();
                } else if (dice < 80) {
                    call("bumpLocked(@Lock, save)", Map.of("m:" + shared, addPoints(1, true)),
                            () -> library.bumpLocked(shared));
                } else if (dice < 85) {
                    rollback(shared);
                } else if (dice < 92) {
                    reads();
                } else {
                    String key = PREF_KEYS.get(random.nextInt(PREF_KEYS.size()));
                    call("dropPref(@Modifying delete of a child row)", Map.of("p:" + shared + ":" + key,
                            Effect.requiring(s -> true, s -> ABSENT)), () -> members.dropPref(shared, key));
                }
            }

            /** Loads a shared member, changes its name, loans, prefs and card, and saves the aggregate. */
            private void reshape(long id, boolean template) {
                Member m = timed("findById", () -> members.findById(id).orElseThrow());
                long version = m.version;
                change(m);
                Map<String, Map<String, String>> rows = rowsOf(m, version + 1);
                String what = template ? "JdbcAggregateTemplate.update(member)" : "save(member)";
                Member saved = call(what, saveEffects(rows, "m:" + id),
                        () -> template ? library.update(m) : library.save(m));
                if (saved != null && saved.version != version + 1) {
                    problems.add(what + " left version " + saved.version + " after " + version);
                }
            }

            private void change(Member m) {
                counter++;
                m.name = "w" + index + "-" + counter;
                if (m.loans.size() < MAX_LOANS && random.nextBoolean()) {
                    m.loans.add(new Loan("title " + index + "-" + counter, LocalDate.of(2026, 2, 1 + random.nextInt(27))));
                } else if (!m.loans.isEmpty()) {
                    m.loans.remove(random.nextInt(m.loans.size()));
                }
                String key = PREF_KEYS.get(random.nextInt(PREF_KEYS.size()));
                if (random.nextInt(3) == 0) {
                    m.prefs.remove(key);
                } else {
                    m.prefs.put(key, new Pref("v" + index + "-" + counter));
                }
                int card = random.nextInt(5);
                if (card == 0) {
                    m.card = null;
                } else if (card == 1 || m.card == null) {
                    m.card = new Card("card-" + index + "-" + counter, random.nextBoolean() ? "GOLD" : "SILVER");
                }
            }

            private void creditCity(String cityName, Set<Long> ids) {
                int delta = 1 + random.nextInt(3);
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                ids.forEach(id -> effects.put("m:" + id, addPoints(delta, true)));
                Integer n = call("creditCity(@Modifying bulk, version bumped)", effects,
                        () -> members.creditCity(cityName, delta));
                if (n != null && n != ids.size()) {
                    problems.add("creditCity(" + cityName + ") changed " + n + " rows, expected " + ids.size());
                }
            }

            /** Loads a shared shelf, changes its set of books and label, and saves it. */
            private void stock() {
                List<String> ids = sharedShelves;
                String id = ids.get(random.nextInt(ids.size()));
                Shelf shelf = timed("shelf findById", () -> shelves.findById(id).orElse(null));
                if (shelf == null) {
                    return;
                }
                int version = shelf.version;
                counter++;
                shelf.label = "shelf w" + index + "-" + counter;
                String isbn = ISBNS.get(random.nextInt(ISBNS.size()));
                Set<Book> books = new HashSet<>();
                shelf.books.stream().filter(b -> !b.isbn().equals(isbn)).forEach(books::add);
                if (random.nextInt(4) != 0) {
                    books.add(new Book(isbn, 1 + random.nextInt(6)));
                }
                shelf.books = books;
                Shelf saved = call("save(shelf, set)", saveEffects(rowsOf(shelf, version + 1), "s:" + id),
                        () -> library.save(shelf));
                if (saved != null && saved.version != version + 1) {
                    problems.add("save(shelf) left version " + saved.version + " after " + version);
                }
            }

            private void lend() {
                List<String> ids = sharedShelves;
                String id = ids.get(random.nextInt(ids.size()));
                String isbn = ISBNS.get(random.nextInt(ISBNS.size()));
                call("lend(@Modifying by two-column key)", Map.of("b:" + id + ":" + isbn, Effect.requiring(s -> true,
                        s -> !s.isEmpty() && Integer.parseInt(s.get("copies")) > 0
                                ? with(s, "copies", String.valueOf(Integer.parseInt(s.get("copies")) - 1)) : s)),
                        () -> shelves.lend(id, isbn));
            }

            /**
             * The writer's own members: created two at a time with saveAll (ids generated by the database),
             * changed and read back, credited city-wide, deleted with deleteAll(iterable).
             */
            private void ownMembers() {
                int dice = random.nextInt(10);
                if (owned.size() < 2 || (dice == 0 && owned.size() < 5)) {
                    create();
                } else if (dice < 5) {
                    Own own = owned.values().stream().skip(random.nextInt(owned.size())).findFirst().orElseThrow();
                    Member m = copy(own.member);
                    long version = m.version;
                    change(m);
                    m.points += 7;
                    Member saved = call("save(own member)", saveEffects(rowsOf(m, version + 1), "m:" + m.id),
                            () -> library.save(m), own);
                    if (saved != null) {
                        own.member = saved;
                        readBack(saved);
                    }
                } else if (dice < 7) {
                    int delta = 2;
                    Set<Long> ids = new HashSet<>(owned.keySet());
                    Set<Long> credited = new HashSet<>(ids);
                    credited.addAll(lost);
                    Integer n = call("creditCity(own)", effectsFor(credited, delta), () -> members.creditCity(city, delta));
                    if (n != null) {
                        if (n < ids.size() || n > credited.size()) {
                            problems.add("creditCity(" + city + ") changed " + n + ", expected " + ids.size());
                        }
                        for (Own own : owned.values()) {
                            own.member.points += delta;
                            own.member.version++;
                        }
                    }
                    List<Member> found = timed("findByHomeCity(derived, embedded)", () -> members.findByHomeCity(city));
                    Set<Long> foundIds = new HashSet<>();
                    found.forEach(f -> foundIds.add(f.id));
                    foundIds.removeAll(lost);
                    if (!foundIds.equals(owned.keySet())) {
                        problems.add("findByHomeCity(" + city + ") in " + stage + " found " + foundIds + ", owned "
                                + owned.keySet());
                    }
                } else {
                    List<Own> gone = new ArrayList<>(owned.values()).subList(0, Math.min(2, owned.size() - 1));
                    Set<String> keys = new HashSet<>();
                    List<Member> entities = new ArrayList<>();
                    for (Own own : gone) {
                        keys.addAll(rowsOf(own.member, own.member.version).keySet());
                        entities.add(own.member);
                    }
                    call("deleteAll(own members, versioned)", deleteEffects(keys), () -> {
                        library.deleteAll(entities);
                        return null;
                    });
                    gone.forEach(own -> owned.remove(own.member.id));
                }
            }

            private Map<String, Effect<Map<String, String>>> effectsFor(Set<Long> ids, int delta) {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                ids.forEach(id -> effects.put("m:" + id, addPoints(delta, true)));
                return effects;
            }

            private void create() {
                List<Member> batch = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    counter++;
                    Map<String, Pref> prefs = new LinkedHashMap<>();
                    prefs.put("mail", new Pref("m" + counter));
                    List<Loan> loans = new ArrayList<>();
                    for (int l = 0; l <= random.nextInt(3); l++) {
                        loans.add(new Loan("own " + counter + "/" + l, LocalDate.of(2026, 3, 1 + l)));
                    }
                    batch.add(new Member("own-" + index + "-" + counter, 10, new Address("lane " + counter, city),
                            random.nextBoolean() ? new Card("oc-" + index + "-" + counter, "BRONZE") : null, loans, prefs));
                }
                count("saveAll(new members, generated ids)");
                List<Member> saved;
                try {
                    saved = library.saveAll(batch);
                } catch (RuntimeException e) {
                    failedInserts.incrementAndGet();
                    failed("saveAll(new members, generated ids)", e);
                    return;
                }
                // Nobody else knows the new ids: recording right after the return is exact.
                for (Member m : saved) {
                    oracle.begin("saveAll new member " + m.id, insertEffects(rowsOf(m, m.version))).acknowledged();
                    owned.put(m.id, new Own(m));
                    readBack(m);
                }
            }

            /** The owned member read back through a read-only transaction must be what was last written. */
            private void readBack(Member written) {
                Member read = timed("load(readOnly findById)", () -> library.load(written.id));
                Map<String, Map<String, String>> expected = rowsOf(written, written.version);
                Map<String, Map<String, String>> seen = read == null ? Map.of() : rowsOf(read, read.version);
                if (!expected.equals(seen)) {
                    problems.add("read-your-write of member " + written.id + " in " + stage + ": wrote " + expected
                            + ", read " + seen);
                }
            }

            private Member copy(Member m) {
                Member c = new Member(m.name, m.points, m.home, m.card, m.loans, m.prefs);
                c.id = m.id;
                c.version = m.version;
                return c;
            }

            /** A service that writes a member and a shelf, then throws: it is not recorded, it must leave nothing. */
            private void rollback(long id) {
                Member m = timed("findById", () -> members.findById(id).orElseThrow());
                change(m);
                m.points += 1000;
                Shelf shelf = new Shelf("never", Set.of(new Book(ISBNS.get(2), 99)));
                count("failAfterWrites(rolled back)");
                try {
                    library.failAfterWrites(m, id, shelf);
                    problems.add("failAfterWrites returned");
                } catch (LibraryService.Declined expected) {
                    // rolled back
                } catch (RuntimeException e) {
                    failed("failAfterWrites(rolled back)", e);
                }
            }

            private void reads() {
                List<Member> north = timed("findByHomeCity(shared)", () -> members.findByHomeCity(SHARED_CITY));
                if (north.size() != sharedMembers.size()) {
                    problems.add("findByHomeCity(" + SHARED_CITY + ") in " + stage + " found " + north.size());
                }
                timed("countByPointsGreaterThan", () -> members.countByPointsGreaterThan(50));
                if (!owned.isEmpty()) {
                    Member own = owned.values().iterator().next().member;
                    Member byName = timed("findByName(derived)", () -> members.findByName(own.name).orElse(null));
                    if (byName == null || !byName.id.equals(own.id)) {
                        problems.add("findByName(" + own.name + ") in " + stage + " found "
                                + (byName == null ? "nothing" : byName.id));
                    }
                }
                for (String id : sharedShelves) {
                    timed("shelves findById", () -> shelves.findById(id));
                }
                timed("shelves findByLabel", () -> shelves.findByLabel("shelf 0"));
            }

            private <T> T call(String what, Map<String, Effect<Map<String, String>>> effects, Action<T> action) {
                return call(what, effects, action, null);
            }

            /** Records the call in the oracle around it; a failure of an owned member's call loses track of it. */
            private <T> T call(String what, Map<String, Effect<Map<String, String>>> effects, Action<T> action,
                    Own own) {
                Write write = oracle.begin(what, effects);
                count(what);
                try {
                    T result = action.run();
                    write.acknowledged();
                    return result;
                } catch (RuntimeException e) {
                    write.failed(e);
                    failed(what, e);
                    if (own != null && !optimistic(e)) {
                        owned.remove(own.member.id);
                        lost.add(own.member.id);
                        failedInserts.incrementAndGet();
                    } else if (own != null) {
                        Member reread = members.findById(own.member.id).orElse(null);
                        if (reread != null) {
                            own.member = reread;
                        }
                    }
                    return null;
                }
            }

            private <T> T timed(String what, Action<T> action) {
                count(what);
                try {
                    return action.run();
                } catch (RuntimeException e) {
                    failed(what, e);
                    throw e;
                }
            }
        }
    }

    @FunctionalInterface
    private interface Action<T> {
        T run();
    }


    private static boolean optimistic(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof OptimisticLockingFailureException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A transaction in flight across a move of the primary (SQLState 40001), which README says to retry;
     * or a deadlock between the application's own transactions (40P01 on PostgreSQL, 40001 on MariaDB:
     * two transfers in opposite directions), which the database reports with or without Cutover.
     */
    private static boolean retryable(Throwable e) {
        return UserTestSupport.hasSqlState(e, "40001", "40P01");
    }
}
