package dev.cutover.spring.boot.jpashop;

import static dev.cutover.spring.boot.UserTestSupport.becomes;
import static dev.cutover.spring.boot.UserTestSupport.checkOracle;
import static dev.cutover.spring.boot.UserTestSupport.delete;
import static dev.cutover.spring.boot.UserTestSupport.drainAndVerify;
import static dev.cutover.spring.boot.UserTestSupport.insert;
import static dev.cutover.spring.boot.UserTestSupport.num;
import static dev.cutover.spring.boot.UserTestSupport.root;
import static dev.cutover.spring.boot.UserTestSupport.row;
import static dev.cutover.spring.boot.UserTestSupport.unknownRows;
import static dev.cutover.spring.boot.UserTestSupport.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.UserTestSupport;
import dev.cutover.spring.boot.jpashop.JpaShopService.LineSpec;
import dev.cutover.spring.boot.jpashop.JpaShopService.NewBuyer;
import dev.cutover.spring.boot.jpashop.JpaShopService.Placed;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Effect;
import dev.cutover.testsupport.AcknowledgedWriteOracle.Write;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.VerificationReport;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.orm.ObjectOptimisticLockingFailureException;

/**
 * A Spring Data JPA shop adopting the starter with only the two URLs set, its element collection's
 * table mapped with its two-column key: saveAll batches, dirty checking,
 * JPQL bulk updates and deletes, native {@code @Modifying} writes, deleteAll/deleteAllInBatch,
 * REQUIRES_NEW audit entries, rollbacks on unchecked and checked exceptions (and a commit on a checked
 * one, Spring's default), read-only transactions, optimistic-lock conflicts retried by the application.
 * Four threads run the service on shared and owned rows while the migration walks its stages; every
 * acknowledged call goes into the oracle and both databases must hold exactly its fold at the end.
 */
class JpaShopUserTest {
    private static final Logger LOG = LoggerFactory.getLogger(JpaShopUserTest.class);
    private static final Map<String, String> ABSENT = Map.of();
    private static final int WRITERS = 4;
    /** How long the writers run in each stage: longer in the soak. */
    private static final Duration HOLD = Boolean.getBoolean("cutover.soak") ? Duration.ofMillis(2500)
            : Duration.ofMillis(1500);

    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#walkSourceEngines")
    void shopWalk(Engine sourceEngine) throws Exception {
        JpaShopFixture.withShop(sourceEngine, "jpashopsrc", "jpashoptgt",
                (context, source, target) -> new Scenario(context, source, target).run());
    }

    /** An Instant written on the source, read back through a read-only transaction in each stage. */
    @ParameterizedTest(name = "{0} -> POSTGRESQL")
    @MethodSource("dev.cutover.testsupport.TestDatabases#walkSourceEngines")
    void instantReadBack(Engine sourceEngine) throws Exception {
        JpaShopFixture.withShop(sourceEngine, "jpainstsrc", "jpainsttgt", (context, source, target) -> {
            JpaShopService shop = context.getBean(JpaShopService.class);
            Migration migration = context.getBean(Cutover.class).migration(JpaShopApp.MIGRATION);
            long id = buyerSeenAt(shop, SEEN);
            List<String> seenAs = new ArrayList<>();
            seenAs.add("SOURCE_ONLY " + shop.load(id).lastSeen());
            migration.moveTo(Stage.DUAL_WRITE, "t", "t");
            migration.backfill().build().run();
            seenAs.add("DUAL_WRITE " + shop.load(id).lastSeen());
            migration.moveTo(Stage.SHIFT_READS, "t", "t");
            migration.setTargetReadPercent(100, "t", "t");
            seenAs.add("SHIFT_READS " + shop.load(id).lastSeen());
            LOG.info("source {} target {}", JpaShopFixture.dump(source).get("b:" + id),
                    JpaShopFixture.dump(target).get("b:" + id));
            assertThat(seenAs).containsExactly("SOURCE_ONLY " + SEEN, "DUAL_WRITE " + SEEN, "SHIFT_READS " + SEEN);
        });
    }

    /** The last_seen the instant tests write: a sub-second part to the microsecond. */
    private static final Instant SEEN = Instant.parse("2026-03-29T01:30:18.706007Z");

    /** Registers one buyer (city "c") and touches it with last_seen {@code seen}; its id. */
    private static long buyerSeenAt(JpaShopService shop, Instant seen) {
        long id = registerOne(shop, "i", "c");
        shop.touch(id, BigDecimal.ONE, seen, LocalDateTime.now().truncatedTo(ChronoUnit.MICROS), new ArrayList<>());
        return id;
    }

    /** Registers one GOLD buyer tagged "x" in {@code city}; its id. */
    private static long registerOne(JpaShopService shop, String name, String city) {
        return shop.registerAll(List.of(new NewBuyer(name, name + "@example.com", "s", city, Tier.GOLD,
                LocalDateTime.now().truncatedTo(ChronoUnit.MICROS), Set.of("x")))).get(0);
    }

    /**
     * Hibernate's SQL for a JPQL bulk update whose WHERE follows an association is a join, which is
     * refused in DUAL_WRITE naming a fix; the fix, written in JPQL as a user does, must be accepted, or
     * the refusal must say what else it needs. Neither refusal may have written anything.
     */
    @org.junit.jupiter.api.Test
    void joinUpdateRefusalNamesAFixThatIsAccepted() throws Exception {
        JpaShopFixture.withShop(Engine.POSTGRESQL, "jpajoinsrc", "jpajointgt", (context, source, target) -> {
            JpaShopService shop = context.getBean(JpaShopService.class);
            Migration migration = context.getBean(Cutover.class).migration(JpaShopApp.MIGRATION);
            long id = registerOne(shop, "j", "jc");
            shop.place(id, List.of(new LineSpec("sku", 1, new BigDecimal("2.50"))), Instant.now());
            migration.moveTo(Stage.DUAL_WRITE, "t", "t");
            migration.backfill().build().run();
            Map<String, Map<String, String>> before = JpaShopFixture.dump(source);
            String joinRefusal = refusalOf(() -> shop.restatusInCity("jc", Status.OPEN, Status.PAID));
            assertThat(joinRefusal).as("the join form is refused").isNotNull();
            String subqueryRefusal = refusalOf(() -> shop.restatusInCitySubquery("jc", Status.OPEN, Status.PAID));
            if (subqueryRefusal != null) {
                assertThat(joinRefusal).as("the join form's refusal, whose fix the subquery form follows, refused as: "
                        + subqueryRefusal).containsIgnoringCase("parameter");
                assertThat(JpaShopFixture.dump(source)).isEqualTo(before);
            }
            assertThat(JpaShopFixture.dump(target)).isEqualTo(JpaShopFixture.dump(source));
        });
    }

    private static String refusalOf(Runnable call) {
        try {
            call.run();
            return null;
        } catch (RuntimeException e) {
            if (isRefusal(e)) {
                return root(e).getMessage();
            }
            throw e;
        }
    }

    /** The same read without Cutover: Spring Boot's own DataSource on the source. */
    @org.junit.jupiter.api.Test
    void instantReadBackWithoutCutover() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "jpainstplain");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "jpainstplaint")) {
            JpaShopFixture.prepare(source, target);
            try (ConfigurableApplicationContext context = JpaShopFixture.start(source, target, "cutover.enabled=false",
                    "spring.datasource.url=" + source.jdbcUrl())) {
                JpaShopService shop = context.getBean(JpaShopService.class);
                long id = buyerSeenAt(shop, SEEN);
                assertThat(shop.load(id).lastSeen()).isEqualTo(SEEN);
            }
        }
    }

    private static final class Scenario {
        private final JpaShopService shop;
        private final Migration migration;
        private final TestDatabase source;
        private final TestDatabase target;
        private final boolean crossEngine;
        private final AcknowledgedWriteOracle<String, Map<String, String>> oracle =
                new AcknowledgedWriteOracle<>(ABSENT);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> slowest = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        private final AtomicLong failedInserts = new AtomicLong();
        private final List<Long> hot = new CopyOnWriteArrayList<>();
        private final Set<Long> audits = ConcurrentHashMap.newKeySet();
        private volatile String stage = "SOURCE_ONLY";

        Scenario(ConfigurableApplicationContext context, TestDatabase source, TestDatabase target) {
            this.shop = context.getBean(JpaShopService.class);
            this.migration = context.getBean(Cutover.class).migration(JpaShopApp.MIGRATION);
            this.source = source;
            this.target = target;
            this.crossEngine = source.engine() != target.engine();
        }

        void run() throws Exception {
            Writer seeder = new Writer(99);
            hot.addAll(seeder.register("hot", 3));
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                Thread thread = new Thread(new Writer(i), "jpashop-writer-" + i);
                threads.add(thread);
                thread.start();
            }
            Thread.sleep(HOLD.toMillis());
            flip(Stage.DUAL_WRITE, null);
            step("backfill", () -> LOG.info("backfill: {}", migration.backfill().build().run()));
            step("verify after backfill", () -> {
                VerificationReport report = migration.verify();
                LOG.info("verify after backfill clean={} {}", report.isClean(), report.toJson());
            });
            Thread.sleep(HOLD.toMillis());
            flip(Stage.SHIFT_READS, 50.0);
            Thread.sleep(HOLD.toMillis());
            flip(Stage.SHIFT_READS, 100.0);
            Thread.sleep(HOLD.toMillis());
            if (!crossEngine) {
                flip(Stage.TARGET_PRIMARY, null);
                Thread.sleep(HOLD.toMillis());
            }
            flip(Stage.DUAL_WRITE, null);
            Thread.sleep(HOLD.toMillis());
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(30).toMillis());
                if (thread.isAlive()) {
                    problems.add("HANG: " + thread.getName() + Arrays.toString(thread.getStackTrace()));
                }
            }
            // deleteAllInBatch(): one DELETE without WHERE, in DUAL_WRITE, with the writers stopped.
            Map<String, Effect<Map<String, String>>> cleared = new HashMap<>();
            audits.forEach(id -> cleared.put("a:" + id, Effect.requiring(s -> true, s -> ABSENT)));
            Write clear = oracle.begin("clearAudit", cleared);
            try {
                shop.clearAudit();
                clear.acknowledged();
            } catch (RuntimeException e) {
                clear.failed(e);
                problems.add("clearAudit (deleteAllInBatch) failed: " + e);
            }
            LOG.info("calls {}", new TreeMap<>(calls));
            LOG.info("failures {}", new TreeMap<>(failures));
            LOG.info("slowest call per operation (ms) {}", new TreeMap<>(slowest));
            drainAndVerify(migration, Duration.ofSeconds(60), problems);
            Map<String, Map<String, String>> sourceAll = JpaShopFixture.dump(source);
            Map<String, Map<String, String>> targetAll = JpaShopFixture.dump(target);
            Map<String, Map<String, String>> sourceRows = sourceAll;
            Map<String, Map<String, String>> targetRows = targetAll;
            checkOracle(oracle, sourceRows, targetRows, problems);
            List<String> unknown = unknownRows(oracle.keys(), sourceRows, targetRows);
            if (!unknown.isEmpty() && failedInserts.get() == 0) {
                problems.add("rows nobody acknowledged: " + unknown);
            }
            LOG.info("{} acknowledged, {} failed; {} rows on the source, {} unknown", oracle.acknowledged(),
                    oracle.maybe(), sourceRows.size(), unknown);
            assertThat(problems).as("problems").isEmpty();
            assertThat(oracle.acknowledged()).isGreaterThan(100);
        }

        private void flip(Stage to, Double percent) {
            step("moveTo " + to + (percent == null ? "" : " " + percent + "%"), () -> {
                if (!to.name().equals(stage)) {
                    migration.moveTo(to, "jpashop-user", "walk");
                    stage = to.name();
                }
                if (percent != null) {
                    migration.setTargetReadPercent(percent, "jpashop-user", "walk");
                }
            });
        }

        private void step(String what, Runnable action) {
            UserTestSupport.step(LOG, problems, what, action);
        }

        /** A buyer a writer owns, with its purchases. */
        private static final class Own {
            final long id;
            Map<String, String> row;
            TreeSet<String> tags;
            final Map<Long, Pur> purchases = new LinkedHashMap<>();

            Own(long id, Map<String, String> row, Set<String> tags) {
                this.id = id;
                this.row = row;
                this.tags = new TreeSet<>(tags);
            }
        }

        private static final class Pur {
            final long id;
            Map<String, String> row;
            final TreeMap<Long, Map<String, String>> lines = new TreeMap<>();

            Pur(long id, Map<String, String> row) {
                this.id = id;
                this.row = row;
            }
        }

        /** Something the call did that the oracle must see. */
        private interface Action<T> {
            T run() throws Exception;
        }

        private final class Writer implements Runnable {
            private final int number;
            private final Random random;
            private final String city;
            private final Map<Long, Own> owned = new LinkedHashMap<>();
            /** Buyers (and their purchases) whose state is unknown after a failed call; still in the city. */
            private final Set<Long> lost = new TreeSet<>();
            private final Set<Long> lostPurchases = new TreeSet<>();
            private int made;

            Writer(int number) {
                this.number = number;
                this.random = new Random(number * 31L + 7);
                this.city = "city-" + number;
            }

            @Override
            public void run() {
                while (!stop.get()) {
                    try {
                        once();
                    } catch (Exception e) {
                        // recorded where it happened
                    }
                }
            }

            private void once() throws Exception {
                if (owned.size() < 3) {
                    owned.putAll(registerOwned(2 + random.nextInt(3)));
                    return;
                }
                List<Own> mine = new ArrayList<>(owned.values());
                Own buyer = mine.get(random.nextInt(mine.size()));
                Pur purchase = buyer.purchases.isEmpty() ? null
                        : new ArrayList<>(buyer.purchases.values()).get(random.nextInt(buyer.purchases.size()));
                int op = random.nextInt(100);
                if (op < 6) {
                    owned.putAll(registerOwned(1 + random.nextInt(3)));
                } else if (op < 20) {
                    touchHot();
                } else if (op < 24) {
                    touchOwn(buyer);
                } else if (op < 36 || purchase == null) {
                    place(buyer);
                } else if (op < 44) {
                    rework(buyer, purchase);
                } else if (op < 48) {
                    markBig(buyer);
                } else if (op < 52) {
                    purge(buyer);
                } else if (op < 55) {
                    dropLines(buyer, purchase, true);
                } else if (op < 58) {
                    dropLines(buyer, purchase, false);
                } else if (op < 60) {
                    dropPurchase(buyer, purchase);
                } else if (op < 64) {
                    retier();
                } else if (op < 68) {
                    creditOwnCity();
                } else if (op < 72) {
                    creditHot();
                } else if (op < 75) {
                    touchThenFail(buyer);
                } else if (op < 78) {
                    declineCommitting(buyer);
                } else if (op < 81) {
                    declineRollingBack(buyer);
                } else if (op < 84) {
                    timed("readOnlyDirty", () -> {
                        shop.readOnlyDirty(buyer.id);
                        return null;
                    });
                } else if (op < 86) {
                    readOnlyNativeWrite();
                } else if (op < 89) {
                    retag(buyer);
                } else if (op < 91 && owned.size() > 3) {
                    dropBuyer(buyer);
                } else if (op < 93) {
                    payAll(buyer);
                } else if (op < 95) {
                    restatusInCity();
                } else if (op < 96 && owned.size() > 4 && lost.isEmpty()) {
                    purgeTier();
                } else if (op < 98) {
                    lockedOrMerged(buyer, random.nextBoolean());
                } else if (op < 99) {
                    untag(buyer);
                } else {
                    long id = random.nextBoolean() ? buyer.id : hot.get(random.nextInt(hot.size()));
                    timed("describe(readOnly)", () -> shop.describe(id));
                }
            }

            List<Long> register(String inCity, int n) {
                return new ArrayList<>(registerIn(inCity, n).keySet());
            }

            private Map<Long, Own> registerOwned(int n) {
                return registerIn(city, n);
            }

            private Map<Long, Own> registerIn(String inCity, int n) {
                List<NewBuyer> specs = new ArrayList<>();
                List<Map<String, String>> rows = new ArrayList<>();
                List<TreeSet<String>> tagSets = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String name = "b" + number + "-" + (made++);
                    Tier tier = Tier.values()[random.nextInt(3)];
                    LocalDateTime joined = LocalDateTime.now().truncatedTo(ChronoUnit.MICROS);
                    specs.add(new NewBuyer(name, name + "@example.com", "street " + name, inCity, tier, joined,
                            Set.of("new", "t" + random.nextInt(5))));
                    tagSets.add(new TreeSet<>(specs.get(specs.size() - 1).tags()));
                    rows.add(row("name", name, "email", name + "@example.com", "street", "street " + name, "city",
                            inCity, "tier", tier.name(), "credit", "0", "joined_at", joined.toString(),
                            "last_seen", "null"));
                }
                long started = System.nanoTime();
                List<Long> ids;
                count("registerAll(saveAll)");
                try {
                    ids = shop.registerAll(specs);
                } catch (RuntimeException e) {
                    failedInserts.incrementAndGet();
                    failed("registerAll(saveAll)", e);
                    throw e;
                } finally {
                    slow("registerAll(saveAll)", started);
                }
                Map<Long, Own> out = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    Map<String, String> row = rows.get(i);
                    // begun after the fact: nobody else knows the fresh id, so the window does not matter
                    oracle.begin("register " + ids.get(i), Map.of("b:" + ids.get(i), insert(row), "t:" + ids.get(i),
                            insert(tagRow(tagSets.get(i))))).acknowledged();
                    out.put(ids.get(i), new Own(ids.get(i), row, tagSets.get(i)));
                }
                return out;
            }

            /** A shared buyer, read-modify-write with optimistic locking, retried on conflicts. */
            private void touchHot() {
                long id = hot.get(random.nextInt(hot.size()));
                BigDecimal delta = new BigDecimal(1 + random.nextInt(9) + ".25");
                for (int attempt = 0; attempt < 6; attempt++) {
                    Instant seen = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    LocalDateTime at = LocalDateTime.now().truncatedTo(ChronoUnit.MICROS);
                    Effect<Map<String, String>> effect = Effect.requiring(s -> !s.isEmpty(), s -> with(s,
                            "credit", add(s.get("credit"), delta), "last_seen", seen.toString()));
                    Write write = oracle.begin("b:" + id, "touch hot " + id + " +" + delta, effect);
                    List<Long> audited = new CopyOnWriteArrayList<>();
                    long started = System.nanoTime();
                    count("touch(hot)");
                    try {
                        shop.touch(id, delta, seen, at, audited);
                        write.acknowledged();
                        return;
                    } catch (RuntimeException e) {
                        write.failed(e);
                        failed("touch(hot)", e);
                        if (!optimistic(e)) {
                            return;
                        }
                        count("touch(hot) retried");
                    } finally {
                        slow("touch(hot)", started);
                        audited(audited, id, "touch", at);
                    }
                }
            }

            private void touchOwn(Own buyer) throws Exception {
                BigDecimal delta = new BigDecimal("0.75");
                Instant seen = Instant.now().truncatedTo(ChronoUnit.MICROS);
                LocalDateTime at = LocalDateTime.now().truncatedTo(ChronoUnit.MICROS);
                Map<String, String> after = with(buyer.row, "credit", add(buyer.row.get("credit"), delta),
                        "last_seen", seen.toString());
                List<Long> audited = new CopyOnWriteArrayList<>();
                try {
                    call("touch(own)", buyer, Map.of("b:" + buyer.id, becomes(after)),
                            () -> shop.touch(buyer.id, delta, seen, at, audited));
                    buyer.row = after;
                } finally {
                    audited(audited, buyer.id, "touch", at);
                }
            }

            private void touchThenFail(Own buyer) {
                LocalDateTime at = LocalDateTime.now().truncatedTo(ChronoUnit.MICROS);
                List<Long> audited = new CopyOnWriteArrayList<>();
                long started = System.nanoTime();
                count("touchThenFail(unchecked rollback)");
                try {
                    shop.touchThenFail(buyer.id, at, audited);
                    problems.add("touchThenFail returned");
                } catch (IllegalStateException expected) {
                    // the credit change rolled back: nothing recorded, so a leak is an oracle violation
                } catch (RuntimeException e) {
                    failed("touchThenFail(unchecked rollback)", e);
                    lose(buyer);
                } finally {
                    slow("touchThenFail(unchecked rollback)", started);
                    audited(audited, buyer.id, "touchThenFail", at);
                }
            }

            private void declineCommitting(Own buyer) {
                BigDecimal delta = new BigDecimal("2.00");
                Map<String, String> after = with(buyer.row, "credit", add(buyer.row.get("credit"), delta));
                Write write = oracle.begin("declineCommitting " + buyer.id, Map.of("b:" + buyer.id, becomes(after)));
                long started = System.nanoTime();
                count("declineCommitting(checked, commits)");
                try {
                    shop.declineCommitting(buyer.id, delta);
                    problems.add("declineCommitting returned");
                } catch (Declined committed) {
                    write.acknowledged();
                    buyer.row = after;
                } catch (RuntimeException e) {
                    write.failed(e);
                    failed("declineCommitting(checked, commits)", e);
                    lose(buyer);
                } finally {
                    slow("declineCommitting(checked, commits)", started);
                }
            }

            private void declineRollingBack(Own buyer) {
                long started = System.nanoTime();
                count("declineRollingBack(checked, rollbackFor)");
                try {
                    shop.declineRollingBack(buyer.id);
                    problems.add("declineRollingBack returned");
                } catch (Declined rolledBack) {
                    // nothing recorded: the change must be on neither side
                } catch (RuntimeException e) {
                    failed("declineRollingBack(checked, rollbackFor)", e);
                    lose(buyer);
                } finally {
                    slow("declineRollingBack(checked, rollbackFor)", started);
                }
            }

            /**
             * What a credit of every buyer in this writer's city does: each owned buyer's row after it into
             * {@code after}, and the effects on those and on the buyers of unknown state into {@code effects}.
             */
            private void creditCity(BigDecimal delta, Map<String, Effect<Map<String, String>>> effects,
                    Map<Own, Map<String, String>> after) {
                for (Own b : owned.values()) {
                    Map<String, String> changed = with(b.row, "credit", add(b.row.get("credit"), delta));
                    after.put(b, changed);
                    effects.put("b:" + b.id, becomes(changed));
                }
                for (Long id : lost) {
                    effects.put("b:" + id, Effect.requiring(x -> true, x -> x.isEmpty() ? x
                            : with(x, "credit", add(x.get("credit"), delta))));
                }
            }

            private void readOnlyNativeWrite() throws Exception {
                BigDecimal delta = new BigDecimal("5000.00");
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Own, Map<String, String>> after = new HashMap<>();
                creditCity(delta, effects, after);
                try {
                    if (cityWide("readOnlyNativeWrite", effects, () -> shop.readOnlyNativeWrite(city),
                            after.size()) >= 0) {
                        after.forEach((b, row) -> b.row = row);
                    }
                } catch (RuntimeException e) {
                    // PostgreSQL refuses it in a read-only transaction: written nowhere, which the oracle checks
                }
            }

            private void place(Own buyer) throws Exception {
                Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
                List<LineSpec> specs = new ArrayList<>();
                BigDecimal total = BigDecimal.ZERO;
                for (int i = random.nextInt(4); i >= 0; i--) {
                    LineSpec spec = new LineSpec("sku-" + random.nextInt(40), 1 + random.nextInt(5),
                            new BigDecimal(random.nextInt(40) + "." + (10 + random.nextInt(89))));
                    specs.add(spec);
                    total = total.add(spec.price().multiply(BigDecimal.valueOf(spec.quantity())));
                }
                Placed placed;
                long started = System.nanoTime();
                count("place");
                try {
                    placed = shop.place(buyer.id, specs, at);
                } catch (RuntimeException e) {
                    failedInserts.incrementAndGet();
                    failed("place", e);
                    throw e;
                } finally {
                    slow("place", started);
                }
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<String, String> prow = row("buyer_id", String.valueOf(buyer.id), "status", "OPEN", "total",
                        num(total), "placed_at", at.toString());
                effects.put("p:" + placed.purchaseId(), insert(prow));
                Pur pur = new Pur(placed.purchaseId(), prow);
                for (int i = 0; i < specs.size(); i++) {
                    Map<String, String> lrow = lineRow(placed.purchaseId(), specs.get(i));
                    effects.put("l:" + placed.lineIds().get(i), insert(lrow));
                    pur.lines.put(placed.lineIds().get(i), lrow);
                }
                oracle.begin("place " + placed.purchaseId(), effects).acknowledged();
                buyer.purchases.put(pur.id, pur);
            }

            private void rework(Own buyer, Pur purchase) throws Exception {
                LineSpec add = new LineSpec("sku-r" + random.nextInt(40), 1 + random.nextInt(5),
                        new BigDecimal(random.nextInt(40) + ".50"));
                Status status = Status.values()[random.nextInt(3)];
                TreeMap<Long, Map<String, String>> lines = new TreeMap<>(purchase.lines);
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                if (!lines.isEmpty()) {
                    effects.put("l:" + lines.firstKey(), delete());
                    lines.remove(lines.firstKey());
                }
                Map<String, String> lrow = lineRow(purchase.id, add);
                BigDecimal total = add.price().multiply(BigDecimal.valueOf(add.quantity()));
                for (Map<String, String> l : lines.values()) {
                    total = total.add(new BigDecimal(l.get("price")).multiply(new BigDecimal(l.get("quantity"))));
                }
                Map<String, String> prow = with(purchase.row, "status", status.name(), "total",
                        num(total));
                effects.put("p:" + purchase.id, becomes(prow));
                Write write = oracle.begin("rework " + purchase.id, effects);
                long lineId;
                long started = System.nanoTime();
                count("rework(orphanRemoval)");
                try {
                    lineId = shop.rework(purchase.id, add, status);
                } catch (RuntimeException e) {
                    write.failed(e);
                    failedInserts.incrementAndGet();
                    failed("rework(orphanRemoval)", e);
                    lose(buyer);
                    throw e;
                } finally {
                    slow("rework(orphanRemoval)", started);
                }
                write.acknowledged();
                oracle.begin("l:" + lineId, "rework insert " + lineId, insert(lrow)).acknowledged();
                lines.put(lineId, lrow);
                purchase.lines.clear();
                purchase.lines.putAll(lines);
                purchase.row = prow;
            }

            private void markBig(Own buyer) throws Exception {
                BigDecimal min = new BigDecimal("50");
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Pur, Map<String, String>> after = new HashMap<>();
                for (Pur p : buyer.purchases.values()) {
                    if (new BigDecimal(p.row.get("total")).compareTo(min) > 0) {
                        Map<String, String> changed = with(p.row, "status", "PAID");
                        after.put(p, changed);
                        effects.put("p:" + p.id, becomes(changed));
                    }
                }
                int n = call("markBig(jpql update)", buyer, effects, () -> shop.markBig(buyer.id, min));
                if (n != after.size()) {
                    problems.add("markBig changed " + n + " rows, expected " + after.size());
                }
                after.forEach((p, row) -> p.row = row);
            }

            private void purge(Own buyer) throws Exception {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                List<Pur> gone = new ArrayList<>();
                for (Pur p : buyer.purchases.values()) {
                    if ("CANCELLED".equals(p.row.get("status"))) {
                        gone.add(p);
                        effects.put("p:" + p.id, delete());
                        p.lines.keySet().forEach(l -> effects.put("l:" + l, delete()));
                    }
                }
                int n = call("purge(jpql delete)", buyer, effects, () -> shop.purge(buyer.id, Status.CANCELLED));
                if (n != gone.size()) {
                    problems.add("purge deleted " + n + " purchases, expected " + gone.size());
                }
                gone.forEach(p -> buyer.purchases.remove(p.id));
            }

            private void dropLines(Own buyer, Pur purchase, boolean entities) throws Exception {
                List<Long> ids = purchase.lines.keySet().stream().limit(2).toList();
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                ids.forEach(l -> effects.put("l:" + l, delete()));
                String what = entities ? "deleteAllInBatch(entities)" : "deleteAllByIdInBatch";
                call(what, buyer, effects, () -> {
                    if (entities) {
                        shop.dropLines(ids);
                    } else {
                        shop.dropLinesById(ids);
                    }
                    return null;
                });
                ids.forEach(purchase.lines::remove);
            }

            private void dropPurchase(Own buyer, Pur purchase) throws Exception {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                effects.put("p:" + purchase.id, delete());
                purchase.lines.keySet().forEach(l -> effects.put("l:" + l, delete()));
                call("deleteAll(entities, cascade)", buyer, effects, () -> {
                    shop.dropPurchases(List.of(purchase.id));
                    return null;
                });
                buyer.purchases.remove(purchase.id);
            }

            private void retag(Own buyer) throws Exception {
                String add = "t" + random.nextInt(5);
                String remove = "t" + random.nextInt(5);
                TreeSet<String> after = new TreeSet<>(buyer.tags);
                after.remove(remove);
                after.add(add);
                call("retag(element collection)", buyer, Map.of("t:" + buyer.id, tagsBecome(after)), () -> {
                    shop.retag(buyer.id, Set.of(add), Set.of(remove));
                    return null;
                });
                buyer.tags = after;
            }

            private void untag(Own buyer) throws Exception {
                String tag = buyer.tags.isEmpty() ? "none" : buyer.tags.first();
                TreeSet<String> after = new TreeSet<>(buyer.tags);
                boolean had = after.remove(tag);
                int n = call("untag(native delete, element collection)", buyer,
                        Map.of("t:" + buyer.id, tagsBecome(after)), () -> shop.untag(buyer.id, tag));
                if (n != (had ? 1 : 0)) {
                    problems.add("untag deleted " + n);
                }
                buyer.tags = after;
            }

            private void payAll(Own buyer) throws Exception {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Pur, Map<String, String>> after = new HashMap<>();
                for (Pur p : buyer.purchases.values()) {
                    if ("OPEN".equals(p.row.get("status"))) {
                        Map<String, String> changed = with(p.row, "status", "PAID");
                        after.put(p, changed);
                        effects.put("p:" + p.id, becomes(changed));
                    }
                }
                int n = call("payAll(batched versioned updates)", buyer, effects, () -> shop.payAll(buyer.id));
                if (n != after.size()) {
                    problems.add("payAll changed " + n + ", expected " + after.size());
                }
                after.forEach((p, row) -> p.row = row);
            }

            private void restatusInCity() throws Exception {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Pur, Map<String, String>> after = new HashMap<>();
                for (Own b : owned.values()) {
                    for (Pur p : b.purchases.values()) {
                        if ("PAID".equals(p.row.get("status"))) {
                            Map<String, String> changed = with(p.row, "status", "CANCELLED");
                            after.put(p, changed);
                            effects.put("p:" + p.id, becomes(changed));
                        }
                    }
                }
                for (Long id : lostPurchases) {
                    effects.put("p:" + id, Effect.requiring(x -> true, x -> "PAID".equals(x.get("status"))
                            ? with(x, "status", "CANCELLED") : x));
                }
                boolean subquery = random.nextBoolean();
                int n = cityWide(subquery ? "restatusInCity(jpql update, subquery)"
                        : "restatusInCity(jpql update, implicit join)", effects, () -> subquery
                                ? shop.restatusInCitySubquery(city, Status.PAID, Status.CANCELLED)
                                : shop.restatusInCity(city, Status.PAID, Status.CANCELLED), after.size());
                if (n >= 0) {
                    after.forEach((p, row) -> p.row = row);
                }
            }

            private void purgeTier() throws Exception {
                Tier tier = Tier.values()[random.nextInt(3)];
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                List<Own> gone = new ArrayList<>();
                for (Own b : owned.values()) {
                    if (tier.name().equals(b.row.get("tier"))) {
                        gone.add(b);
                        effects.put("b:" + b.id, delete());
                        if (!b.tags.isEmpty()) {
                            effects.put("t:" + b.id, delete());
                        }
                    }
                }
                if (cityWide("purgeTier(jpql delete, element collection)", effects, () -> shop.purgeTier(city, tier),
                        gone.size()) >= 0) {
                    gone.forEach(b -> owned.remove(b.id));
                }
            }

            private void lockedOrMerged(Own buyer, boolean locked) throws Exception {
                BigDecimal delta = new BigDecimal("0.10");
                Map<String, String> after = with(buyer.row, "credit", add(buyer.row.get("credit"), delta));
                if (locked) {
                    call("lockedCredit(PESSIMISTIC_WRITE)", buyer, Map.of("b:" + buyer.id, becomes(after)), () -> {
                        shop.lockedCredit(buyer.id, delta);
                        return null;
                    });
                } else {
                    Buyer detached = timed("load(readOnly)", () -> shop.load(buyer.id));
                    call("merge(detached)", buyer, Map.of("b:" + buyer.id, becomes(after)), () -> {
                        shop.mergeCredit(detached, delta);
                        return null;
                    });
                }
                buyer.row = after;
            }

            private void dropBuyer(Own buyer) throws Exception {
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                effects.put("b:" + buyer.id, delete());
                if (!buyer.tags.isEmpty()) {
                    effects.put("t:" + buyer.id, delete());
                }
                call("deleteById(buyer, element collection)", buyer, effects, () -> {
                    shop.dropBuyer(buyer.id);
                    return null;
                });
                owned.remove(buyer.id);
            }

            private void retier() throws Exception {
                Tier from = Tier.values()[random.nextInt(3)];
                Tier to = Tier.values()[(from.ordinal() + 1) % 3];
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Own, Map<String, String>> after = new HashMap<>();
                for (Own b : owned.values()) {
                    if (from.name().equals(b.row.get("tier"))) {
                        Map<String, String> changed = with(b.row, "tier", to.name());
                        after.put(b, changed);
                        effects.put("b:" + b.id, becomes(changed));
                    }
                }
                for (Long id : lost) {
                    effects.put("b:" + id, Effect.requiring(x -> true, x -> from.name().equals(x.get("tier"))
                            ? with(x, "tier", to.name()) : x));
                }
                if (cityWide("retier(jpql versioned update)", effects, () -> shop.retier(city, from, to),
                        after.size()) >= 0) {
                    after.forEach((b, row) -> b.row = row);
                }
            }

            private void creditOwnCity() throws Exception {
                BigDecimal delta = new BigDecimal("0.25");
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                Map<Own, Map<String, String>> after = new HashMap<>();
                creditCity(delta, effects, after);
                if (cityWide("creditCity(native, own)", effects, () -> shop.creditCity(city, delta),
                        after.size()) >= 0) {
                    after.forEach((b, row) -> b.row = row);
                }
            }

            private void creditHot() {
                BigDecimal delta = new BigDecimal("0.50");
                Map<String, Effect<Map<String, String>>> effects = new HashMap<>();
                for (Long id : hot) {
                    effects.put("b:" + id, Effect.requiring(s -> !s.isEmpty(),
                            s -> with(s, "credit", add(s.get("credit"), delta))));
                }
                Write write = oracle.begin("creditCity hot", effects);
                long started = System.nanoTime();
                count("creditCity(native, hot)");
                try {
                    int n = shop.creditCity("hot", delta);
                    write.acknowledged();
                    if (n != hot.size()) {
                        problems.add("creditCity(hot) changed " + n);
                    }
                } catch (RuntimeException e) {
                    write.failed(e);
                    failed("creditCity(native, hot)", e);
                } finally {
                    slow("creditCity(native, hot)", started);
                }
            }

            private void audited(List<Long> ids, long buyerId, String action, LocalDateTime at) {
                for (Long id : ids) {
                    audits.add(id);
                    oracle.begin("a:" + id, "audit " + id, insert(row("buyer_id", String.valueOf(buyerId),
                            "action", action, "at", at.toString()))).acknowledged();
                }
            }

            private <T> T call(String what, Own buyer, Map<String, Effect<Map<String, String>>> effects,
                    Action<T> action) throws Exception {
                try {
                    return callMany(what, effects, action);
                } catch (Exception e) {
                    lose(buyer);
                    throw e;
                }
            }

            private void lose(Own buyer) {
                if (owned.remove(buyer.id) != null) {
                    lost.add(buyer.id);
                    lostPurchases.addAll(buyer.purchases.keySet());
                }
            }

            /**
             * A city-wide statement: runs it, then records its effects (only this writer writes its city's
             * rows, so recording after the return is exact); a refusal records nothing, so anything it wrote
             * would show.
             */
            private int cityWide(String what, Map<String, Effect<Map<String, String>>> effects, Action<Integer> action,
                    int expected) throws Exception {
                long started = System.nanoTime();
                count(what);
                int n;
                try {
                    n = action.run();
                } catch (RuntimeException e) {
                    if (isRefusal(e)) {
                        calls.computeIfAbsent(what + " refused in " + stage + ": " + root(e).getMessage(),
                                k -> new AtomicLong()).incrementAndGet();
                        return -1;
                    }
                    if (what.equals("readOnlyNativeWrite") && String.valueOf(root(e).getMessage()).contains("read-only")) {
                        calls.computeIfAbsent(what + " refused by the database in " + stage,
                                k -> new AtomicLong()).incrementAndGet();
                        throw e;
                    }
                    if (!effects.isEmpty()) {
                        oracle.begin(what, effects).failed(e);
                    }
                    failed(what, e);
                    new ArrayList<>(owned.values()).forEach(this::lose);
                    throw e;
                } finally {
                    slow(what, started);
                }
                if (!effects.isEmpty()) {
                    oracle.begin(what, effects).acknowledged();
                }
                if (n < expected || n > expected + lost.size() + lostPurchases.size()) {
                    problems.add(what + " changed " + n + " rows, expected " + expected + " (+ up to "
                            + (lost.size() + lostPurchases.size()) + " of unknown state)");
                }
                return n;
            }

            private <T> T callMany(String what, Map<String, Effect<Map<String, String>>> effects, Action<T> action)
                    throws Exception {
                if (effects.isEmpty()) {
                    return timed(what, action);
                }
                Write write = oracle.begin(what, effects);
                long started = System.nanoTime();
                count(what);
                try {
                    T result = action.run();
                    write.acknowledged();
                    return result;
                } catch (Exception e) {
                    write.failed(e);
                    if (e instanceof RuntimeException r) {
                        failed(what, r);
                    }
                    throw e;
                } finally {
                    slow(what, started);
                }
            }

            private <T> T timed(String what, Action<T> action) throws Exception {
                long started = System.nanoTime();
                count(what);
                try {
                    return action.run();
                } catch (RuntimeException e) {
                    failed(what, e);
                    throw e;
                } finally {
                    slow(what, started);
                }
            }
        }

        private void count(String what) {
            calls.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
        }

        private void slow(String what, long started) {
            long ms = (System.nanoTime() - started) / 1_000_000;
            // Reported with the walk's summary, never asserted: the tests hold no call to a wall-clock bound.
            slowest.computeIfAbsent(what, k -> new AtomicLong()).accumulateAndGet(ms, Math::max);
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
    }


    private static boolean optimistic(Throwable e) {
        return e instanceof ObjectOptimisticLockingFailureException;
    }

    private static boolean isRefusal(Throwable e) {
        return UserTestSupport.refusalMessage(e) != null;
    }

    /** A transaction in flight across a move of the primary (SQLState 40001), which README says to retry. */
    private static boolean retryable(Throwable e) {
        return UserTestSupport.hasSqlState(e, "40001");
    }

    private static Map<String, String> lineRow(long purchaseId, LineSpec spec) {
        return row("purchase_id", String.valueOf(purchaseId), "sku", spec.sku(), "quantity",
                String.valueOf(spec.quantity()), "price", num(spec.price()));
    }

    private static String add(String value, BigDecimal delta) {
        return num(new BigDecimal(value).add(delta));
    }

    private static Map<String, String> tagRow(Set<String> tags) {
        return tags.isEmpty() ? ABSENT : Map.of("tags", String.join(",", new TreeSet<>(tags)));
    }

    private static Effect<Map<String, String>> tagsBecome(Set<String> tags) {
        return Effect.requiring(s -> true, s -> tagRow(tags));
    }
}
