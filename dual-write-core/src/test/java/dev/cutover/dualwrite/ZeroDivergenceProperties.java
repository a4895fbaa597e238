package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The "zero divergence" property: whatever the interleaving of concurrent ledger writes, the target
 * faults and the flips among DUAL_WRITE, SHIFT_READS and TARGET_PRIMARY, once the faults stop and
 * the retry-queue drains, every row of the target equals the source's; in the default mode and with
 * crash-safe write-ahead intents, through the repository proxy and through {@link CutoverDataSource}.
 */
class ZeroDivergenceProperties {
    private static final int THREADS = 3;
    private static final int OPS_PER_THREAD = 30;
    private static final int KEYS = 5;
    private static final double[] FAULT_PROBABILITIES = {0.02, 0.1, 0.25};

    private static final Map<String, LedgerFixture> FIXTURES = new ConcurrentHashMap<>();
    private static final List<TestDatabase> DATABASES = new ArrayList<>();

    @Property(tries = 200)
    void h2ToH2_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.H2, Engine.H2, seed);
    }

    @Property(tries = 100)
    void h2ToH2CrashSafe_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.H2, Engine.H2, seed, true);
    }

    @Property(tries = 20)
    void postgresToPostgres_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.POSTGRESQL, Engine.POSTGRESQL, seed);
    }

    @Property(tries = 20)
    void mariadbToPostgres_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.MARIADB, Engine.POSTGRESQL, seed);
    }

    @Property(tries = 100)
    void h2ToH2DataSource_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.H2, Engine.H2, seed, false, Style.DATASOURCE);
    }

    @Property(tries = 10)
    void postgresToPostgresDataSource_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.POSTGRESQL, Engine.POSTGRESQL, seed, false, Style.DATASOURCE);
    }

    @Property(tries = 10)
    void mariadbToPostgresDataSource_targetEqualsSourceAfterTheQueueDrains(@ForAll long seed) throws Exception {
        run(Engine.MARIADB, Engine.POSTGRESQL, seed, false, Style.DATASOURCE);
    }

    /** Keeps the property honest: its workload really meets faults, queued mirrors, flips and failed calls. */
    @Example
    void workload_exercisesFaultsTheQueueAndFlips() throws Exception {
        // A fixture of its own: the shared ones carry counters and mirror-breaker state over from
        // earlier tries, which would make what this run observes depend on test order.
        try (TestDatabase source = TestDatabases.create(Engine.H2, "zdsane");
             TestDatabase target = TestDatabases.create(Engine.H2, "zdsanet")) {
            LedgerFixture fixture = LedgerFixture.create(source, target, 8, false);
            try {
                LedgerWorkload workload = new LedgerWorkload();
                fixture.clear();

                // 5% per statement: faults, queued mirrors and failed primary calls are all but certain
                // in 180 operations, and so is a direct copy. At 20% a copy (several statements) fails
                // about 60% of the time and a failed key stays queued, so a few percent of runs saw
                // every key's first copy fail and no direct copy at all.
                workload.runAndCompare(fixture, 42, THREADS, 60, KEYS, 0.05);

                assertTrue(fixture.faults.injected() > 0, "faults were injected");
                assertTrue(fixture.stats.enqueued() > 0, "mirrors were queued");
                assertTrue(fixture.stats.mirrored() > 0, "mirrors were copied directly");
                assertTrue(workload.flips.get() > 3, "stages were flipped");
                assertTrue(workload.applicationErrors.get() > 0, "some primary writes failed");
            } finally {
                fixture.close();
            }
        }
    }

    private static void run(Engine sourceEngine, Engine targetEngine, long seed) throws Exception {
        run(sourceEngine, targetEngine, seed, false);
    }

    private static void run(Engine sourceEngine, Engine targetEngine, long seed, boolean crashSafe) throws Exception {
        run(sourceEngine, targetEngine, seed, crashSafe, Style.REPOSITORY);
    }

    private static void run(Engine sourceEngine, Engine targetEngine, long seed, boolean crashSafe, Style style)
            throws Exception {
        LedgerFixture fixture = fixture(sourceEngine, targetEngine, crashSafe, style);
        fixture.clear();
        double faultProbability = FAULT_PROBABILITIES[(int) Math.floorMod(seed, (long) FAULT_PROBABILITIES.length)];
        new LedgerWorkload().runAndCompare(fixture, seed, THREADS, OPS_PER_THREAD, KEYS, faultProbability);
    }

    private static LedgerFixture fixture(Engine sourceEngine, Engine targetEngine, boolean crashSafe, Style style) {
        return FIXTURES.computeIfAbsent(sourceEngine + "->" + targetEngine + (crashSafe ? " crash-safe " : " ") + style, k -> {
            TestDatabase source = TestDatabases.create(sourceEngine, "zdsrc");
            TestDatabase target = TestDatabases.create(targetEngine, "zdtgt");
            synchronized (DATABASES) {
                DATABASES.add(source);
                DATABASES.add(target);
            }
            return LedgerFixture.create(source, target, 8, crashSafe, style);
        });
    }

    @AfterContainer
    static void closeAll() {
        FIXTURES.values().forEach(LedgerFixture::close);
        FIXTURES.clear();
        synchronized (DATABASES) {
            DATABASES.forEach(TestDatabase::close);
            DATABASES.clear();
        }
    }
}
