package dev.cutover.examples.shop;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.Backfill;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.DualWriteCounters;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.queue.QueueDepth;
import dev.cutover.router.ReadRouter;
import dev.cutover.verifier.TableReport;
import dev.cutover.verifier.VerificationReport;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/**
 * The one-command demo: a small shop keeps serving simulated traffic while Cutover migrates it from
 * a legacy database to a new one, stage by stage, through an injected target outage, and back once
 * in a rollback rehearsal.
 *
 * <p>Run it from the repository root: {@code mvn -q -pl examples -am compile exec:java}. It uses
 * embedded H2 databases unless given {@code --source-url} and {@code --target-url} (see
 * {@link DemoOptions}). It exits with status 1 if users saw errors or the databases differ at the
 * end, so it doubles as a smoke test.
 */
public final class ShopDemo {
    private static final String MIGRATION = "shop";
    private static final String ACTOR = "shop-demo";
    private static final Map<String, String> TABLES = Map.of("customers", "id", "stock", "sku", "orders", "id");

    private final DemoOptions options;
    private final Map<String, Long> secondsPerStage = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    private ShopDemo(DemoOptions options) {
        this.options = options;
    }

    /**
     * Runs the demo.
     *
     * @param args see {@link DemoOptions}
     * @throws Exception if the demo cannot set up its databases
     */
    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    /**
     * Runs the demo without exiting the JVM, for tests.
     *
     * @param args see {@link DemoOptions}
     * @return 0 if users saw no error and the databases matched at every check, 1 if not, 2 for bad arguments
     * @throws Exception if the demo cannot set up its databases
     */
    public static int run(String[] args) throws Exception {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        return new ShopDemo(options).run();
    }

    private int run() throws Exception {
        try (HikariDataSource sourcePool = pool("legacy", options.sourceUrl());
             HikariDataSource targetPool = pool("new", options.targetUrl())) {
            OutageSwitch target = new OutageSwitch(targetPool);
            DataSource source = sourcePool;
            createSchema(source, true);
            createSchema(targetPool, false);

            // One runtime for the application: flags and retry-queue in tables of their own on the
            // source, refreshed and polled often so that the demo's stages follow each other quickly.
            // A 2 s copy budget: while the target is down, a write waits at most that long for its mirror.
            try (Cutover cutover = Cutover.builder(source, target)
                    .flags(flags -> flags.refreshInterval(Duration.ofMillis(250)))
                    .retryQueue(queue -> queue.workerCount(2).initialBackoff(Duration.ofMillis(100))
                            .maxBackoff(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50)))
                    .rowCopier(copier -> copier.statementTimeout(Duration.ofSeconds(2)))
                    .build()) {
                // One migration moves the three tables together: one stage for all of them.
                Migration shop = cutover.migration(MIGRATION,
                        TableMapping.builder("customers").key("id", Long.class).columns("name", "balance").build(),
                        TableMapping.builder("stock").key("sku", String.class).columns("quantity").build(),
                        TableMapping.builder("orders").key("id", Long.class)
                                .columns("customer_id", "sku", "quantity", "amount").build());
                Jdbi sourceJdbi = Jdbi.create(source).installPlugin(new SqlObjectPlugin());
                Jdbi targetJdbi = Jdbi.create(target).installPlugin(new SqlObjectPlugin());
                CustomerDao customers = shop.repository(CustomerDao.class, "customers",
                        sourceJdbi.onDemand(CustomerDao.class), targetJdbi.onDemand(CustomerDao.class));
                StockDao stock = shop.repository(StockDao.class, "stock",
                        sourceJdbi.onDemand(StockDao.class), targetJdbi.onDemand(StockDao.class));
                OrderDao orders = shop.repository(OrderDao.class, "orders",
                        sourceJdbi.onDemand(OrderDao.class), targetJdbi.onDemand(OrderDao.class));

                seed(customers, stock);
                ShopTraffic traffic = new ShopTraffic(customers, stock, orders, 1);
                Progress progress = new Progress(shop, traffic);
                traffic.start(options.threads());
                progress.start();
                long differing = walk(cutover, shop, traffic, progress, source, targetPool, target);
                traffic.stop();
                progress.stop();
                return summary(traffic, shop, differing);
            }
        }
    }

    private long walk(Cutover cutover, Migration shop, ShopTraffic traffic, Progress progress, DataSource source,
                      DataSource targetPool, OutageSwitch target) throws Exception {
        long slice = Math.max(2_000, options.duration().toMillis() / 12);
        stage("source only, traffic warming up", slice, () -> { });

        stage("dual writes on, backfilling existing rows", slice, () -> {
            shop.moveTo(Stage.DUAL_WRITE, ACTOR, "start mirroring writes");
            // Calls that read SOURCE_ONLY just before the flip finish first; every later write is mirrored.
            Thread.sleep(500);
            backfill(shop, traffic, progress);
        });

        stage("target outage: mirror writes go to the retry-queue", slice, () -> {
            target.goDown();
            notes.add("target taken down for " + slice + " ms");
        });
        stage("target back: the queue drains", slice, () -> {
            target.comeBack();
            if (!cutover.drain(Duration.ofSeconds(60))) {
                notes.add("the retry-queue did not drain within 60 s");
            }
        });

        stage("10% of reads from the target, 20% shadow-compared", slice, () -> {
            shop.moveTo(Stage.SHIFT_READS, ACTOR, "start shifting reads");
            shop.setShadowReadPercent(20, ACTOR, "compare a fifth of reads");
            shop.setTargetReadPercent(10, ACTOR, "first read step");
        });
        stage("50% of reads from the target", slice,
                () -> shop.setTargetReadPercent(50, ACTOR, "second read step"));
        stage("100% of reads from the target", slice,
                () -> shop.setTargetReadPercent(100, ACTOR, "all reads on the target"));

        long before = check(traffic, cutover, shop, source, targetPool, "before the target becomes primary");
        stage("target primary, source still written for rollback", slice,
                () -> shop.moveTo(Stage.TARGET_PRIMARY, ACTOR, "target verified: make it primary"));

        stage("rollback rehearsal: back to dual writes in one flip", slice,
                () -> shop.moveTo(Stage.DUAL_WRITE, ACTOR, "rollback rehearsal"));
        long afterRollback = check(traffic, cutover, shop, source, targetPool, "after the rollback");
        stage("forward again to target primary", slice, () -> {
            shop.moveTo(Stage.SHIFT_READS, ACTOR, "forward again after rehearsal");
            shop.moveTo(Stage.TARGET_PRIMARY, ACTOR, "forward again after rehearsal");
        });
        long atEnd = check(traffic, cutover, shop, source, targetPool, "before switching the source off");
        stage("target only", slice, () -> shop.moveTo(Stage.TARGET_ONLY, ACTOR, "migration done"));
        return before + afterRollback + atEnd;
    }

    /**
     * Copies the rows written before dual writes began, in chunks locked on the source, while the
     * traffic keeps writing: each chunk is ordered against the traffic's own copies by the source's
     * row locks, so it never overwrites a newer row or brings back a deleted one. The progress line
     * shows it while it runs.
     */
    private void backfill(Migration shop, ShopTraffic traffic, Progress progress) {
        Backfill backfill = shop.backfill().build();
        progress.watch(backfill);
        BackfillProgress done = backfill.run();
        notes.add(String.format(Locale.ROOT, "backfilled %d existing rows in %d chunks (%.0f rows/s) while traffic ran"
                + " (%d orders so far)", done.rowsDone(), done.chunks(), done.rowsPerSecond(), traffic.lastOrderId()));
    }

    /**
     * Proves the two databases equal twice: first with Cutover's verifier while the traffic keeps
     * writing (it re-checks a differing key under the primary's row lock, so writes in flight do not
     * count), then, with the traffic paused and the queue drained, row by row with the demo's own
     * {@link TableCheck}. Returns the keys either found different.
     */
    private long check(ShopTraffic traffic, Cutover cutover, Migration shop, DataSource source, DataSource target,
                       String when) throws Exception {
        VerificationReport report = shop.verify();
        long transients = report.tables().stream().mapToLong(TableReport::transientDifferences).sum();
        System.out.printf(Locale.ROOT, "%n  verifier %s, traffic running: %d rows compared in %d ms, %d differing keys"
                        + " (%d differed at first sight and matched when re-checked: writes in flight)%n",
                when, report.rowsCompared(), report.duration().toMillis(), report.differenceCount(), transients);
        report.tables().forEach(t -> t.differences().stream().limit(10)
                .forEach(d -> System.out.printf(Locale.ROOT, "    %s %s: %s %s%n", t.entity(), d.key(), d.kind(), d.columns())));
        traffic.pause();
        try {
            if (!cutover.drain(Duration.ofSeconds(60))) {
                notes.add("the retry-queue did not drain within 60 s " + when);
            }
            List<String> differing = new ArrayList<>();
            for (Map.Entry<String, String> table : TABLES.entrySet()) {
                differing.addAll(TableCheck.differingRows(source, target, table.getKey(), table.getValue()));
            }
            System.out.printf(Locale.ROOT, "  row-by-row check %s, traffic paused and queue drained: %d differing rows%n",
                    when, differing.size());
            differing.stream().limit(10).forEach(d -> System.out.printf(Locale.ROOT, "    %s%n", d));
            return report.differenceCount() + differing.size();
        } finally {
            traffic.resume();
        }
    }

    private void stage(String name, long millis, Step step) throws Exception {
        System.out.printf(Locale.ROOT, "%n== %s%n", name);
        Instant start = Instant.now();
        step.run();
        Thread.sleep(millis);
        secondsPerStage.merge(name, Duration.between(start, Instant.now()).toMillis(), Long::sum);
    }

    private int summary(ShopTraffic traffic, Migration shop, long differing) {
        DualWriteCounters stats = shop.counters();
        ReadRouter router = shop.router();
        System.out.printf(Locale.ROOT, "%n%n== Summary%n");
        String format = "  %-52s %12s%n";
        System.out.printf(Locale.ROOT, format, "requests served", traffic.requests());
        System.out.printf(Locale.ROOT, format, "user-visible errors (must be 0)", traffic.errors());
        System.out.printf(Locale.ROOT, format, "writes mirrored directly", stats.mirrored());
        System.out.printf(Locale.ROOT, format, "mirror writes queued (replayed from the queue)", stats.enqueued());
        System.out.printf(Locale.ROOT, format, "entries left in the queue", shop.queueDepth().parked() + " parked");
        System.out.printf(Locale.ROOT, format, "reads served by the target", router.counts().targetReads());
        System.out.printf(Locale.ROOT, format, "reads shadow-compared", router.counts().compared());
        System.out.printf(Locale.ROOT, format, "shadow differences gone when read again (writes in flight)",
                router.counts().settled());
        System.out.printf(Locale.ROOT, format, "shadow comparisons abandoned at a stage change", router.counts().abandoned());
        System.out.printf(Locale.ROOT, format, "shadow reads skipped by back-pressure", router.counts().shadowThrottled());
        System.out.printf(Locale.ROOT, format, "shadow mismatches confirmed when read again (must be 0)",
                router.counts().mismatched());
        System.out.printf(Locale.ROOT, format, "differing keys at the checks (must be 0)", differing);
        System.out.printf(Locale.ROOT, "%n  time per stage:%n");
        secondsPerStage.forEach((name, ms) -> System.out.printf(Locale.ROOT, "    %-58s %6.1f s%n", name, ms / 1000.0));
        notes.forEach(n -> System.out.printf(Locale.ROOT, "  note: %s%n", n));
        // A confirmed mismatch while the verifier finds the sides equal is a false alarm, which would teach
        // operators to ignore the meter: the demo holds it to zero like the rest.
        boolean ok = traffic.errors() == 0 && differing == 0 && router.counts().mismatched() == 0;
        System.out.printf(Locale.ROOT, "%n  %s%n", ok ? "OK: no user saw an error and the target equals the source."
                : "FAILED: a must-be-zero figure is not zero.");
        return ok ? 0 : 1;
    }

    private static void seed(CustomerDao customers, StockDao stock) {
        for (int i = 1; i <= ShopTraffic.CUSTOMERS; i++) {
            customers.insert(i, "Customer " + i, BigDecimal.valueOf(1000));
        }
        for (int i = 0; i < ShopTraffic.PRODUCTS; i++) {
            stock.insert(ShopTraffic.sku(i), 500);
        }
    }

    private static void createSchema(DataSource dataSource, boolean legacy) throws Exception {
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, balance DECIMAL(12,2) NOT NULL)");
            // Copies find a row by its key on both sides, so both must compare keys alike: MariaDB's and
            // MySQL's default collations take 'sku-1', 'SKU-1' and 'sku-1 ' for one key, where PostgreSQL
            // and H2 see three. A binary NO PAD collation compares exactly (Cutover refuses the move to
            // DUAL_WRITE otherwise).
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
            String exact = product.contains("mariadb") ? " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
                    : product.contains("mysql") ? " CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin" : "";
            s.execute("CREATE TABLE stock (sku VARCHAR(20)" + exact + " PRIMARY KEY, quantity INT NOT NULL)");
            s.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, sku VARCHAR(20) NOT NULL,"
                    + " quantity INT NOT NULL, amount DECIMAL(12,2) NOT NULL)");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("Cannot create the shop tables on the " + (legacy ? "legacy" : "new")
                    + " database (they must not exist yet): " + e.getMessage(), e);
        }
    }

    private static HikariDataSource pool(String name, String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setPoolName(name);
        config.setMaximumPoolSize(12);
        config.setConnectionTimeout(2_000);
        return new HikariDataSource(config);
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Prints one progress line a second: stage, request rate, target read share, queue depth and lag. */
    private static final class Progress {
        private final Migration shop;
        private final ShopTraffic traffic;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-progress");
            t.setDaemon(true);
            return t;
        });
        private long lastRequests;
        private volatile Backfill backfill;

        Progress(Migration shop, ShopTraffic traffic) {
            this.shop = shop;
            this.traffic = traffic;
        }

        void start() {
            timer.scheduleAtFixedRate(this::print, 1, 1, TimeUnit.SECONDS);
        }

        void stop() {
            timer.shutdownNow();
        }

        /** Adds the backfill's progress to the line while it runs. */
        void watch(Backfill running) {
            this.backfill = running;
        }

        private void print() {
            MigrationState state = shop.state();
            long requests = traffic.requests();
            QueueDepth queue = shop.queueDepth();
            long lagMillis = queue.oldestPendingCreatedAt().map(t -> Duration.between(t, Instant.now()).toMillis()).orElse(0L);
            System.out.printf(Locale.ROOT, "  %-14s %6d req/s  target reads %5.1f%%  queue %4d (lag %5d ms)  queued so far %d"
                            + "  mismatches %d  user errors %d%n",
                    state.stage(), requests - lastRequests, state.stage() == Stage.SHIFT_READS ? state.targetReadPercent()
                            : state.stage().primary() == Side.TARGET ? 100.0 : 0.0,
                    queue.pending(), lagMillis, shop.counters().enqueued(), shop.router().counts().mismatched(), traffic.errors());
            Backfill running = backfill;
            if (running != null && !running.progress().ended() && !running.progress().entity().isEmpty()) {
                BackfillProgress p = running.progress();
                System.out.printf(Locale.ROOT, "  %-14s backfill %s: %d of %d rows (%.0f%%), %.0f rows/s, about %d s left%n",
                        "", p.entity(), p.rowsDone(), p.rowsTotal(), p.percentDone(), p.rowsPerSecond(),
                        p.estimatedRemaining().toSeconds());
            }
            lastRequests = requests;
        }
    }
}
