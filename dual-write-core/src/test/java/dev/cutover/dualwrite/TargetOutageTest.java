package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The target's network fails while 4 threads write, with the target pool at HikariCP's default
 * settings (30 s {@code connectionTimeout}, 5 s validation), in both wrapping styles and two engine
 * pairs. A cut fails the target's connections at once and refuses new ones, so a borrow sits in the
 * pool's wait; a stall holds their bytes back silently, which only a network timeout turns into a
 * failure. Either way no write call may wait longer than the copy budget, once the mirror breaker is
 * open writes must be about as fast as before, and afterwards both sides must hold exactly the
 * acknowledged writes: the sum of the recorded deposits of each account.
 *
 * <p>The outages last a few seconds; {@code -Dcutover.soak.longOutages=true} (the soak profile) makes
 * the cut 60 s and the stall 30 s, and {@code -Dcutover.soak=true} runs all eight combinations.
 */
class TargetOutageTest {
    private static final int THREADS = 4;
    private static final int ACCOUNTS = 50;
    private static final boolean LONG = Boolean.getBoolean("cutover.soak.longOutages");
    /** The fixture's RowCopier: statement timeout 2 s, so a copy budget of 2 s. */
    private static final Duration BUDGET = Duration.ofSeconds(2);
    /** Scheduling noise on a busy two-core machine, on top of the budget. */
    private static final Duration MARGIN = Duration.ofSeconds(1);
    /** After the outage began: by then the breaker has seen its 3 failed copies and is open. */
    private static final Duration BREAKER_OPEN_BY = BUDGET.plusMillis(500);

    enum Fault {
        CUT(TcpForwarder::cut, LONG ? 60 : 5), STALL(TcpForwarder::stall, LONG ? 30 : 5);

        final Consumer<TcpForwarder> start;
        final int seconds;

        Fault(Consumer<TcpForwarder> start, int seconds) {
            this.start = start;
            this.seconds = seconds;
        }
    }

    /**
     * The soak runs every style, source engine and fault together. A normal run keeps
     * {@code mvn -B verify} short with half of them, chosen so that every pair of a style, an engine
     * and a fault still meets: each style sees both engines and both faults, each engine both faults.
     */
    static Stream<Arguments> outages() {
        boolean everyCombination = Boolean.getBoolean("cutover.soak");
        List<Arguments> all = new ArrayList<>();
        for (Style style : Style.values()) {
            for (Engine sourceEngine : List.of(Engine.POSTGRESQL, Engine.MARIADB)) {
                for (Fault fault : Fault.values()) {
                    int parity = style.ordinal() + (sourceEngine == Engine.MARIADB ? 1 : 0) + fault.ordinal();
                    if (everyCombination || parity % 2 == 0) {
                        all.add(Arguments.of(style, sourceEngine, fault));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, {1} -> POSTGRESQL, {2}")
    @MethodSource("outages")
    void targetOutage_withADefaultPool_noCallOutwaitsTheCopyBudget_writesStayFastOnceTheBreakerOpens_andEveryAcknowledgedWriteLandsOnBothSides(
            Style style, Engine sourceEngine, Fault fault) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "outagesrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "outagetgt");
                TcpForwarder forwarder = TcpForwarder.in(target)) {
            LedgerFixture.createTables(source, target, style);
            try (LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(12),
                    target.defaultPoolVia(forwarder, 12), false, style)) {
                assertEquals(BUDGET, fixture.resync.copyBudget());
                fixture.moveTo(Stage.DUAL_WRITE);
                for (long id = 1; id <= ACCOUNTS; id++) {
                    fixture.ledger.open(id, "owner" + id);
                }
                Map<Long, LongAdder> acknowledged = new ConcurrentHashMap<>();
                ConcurrentLinkedQueue<long[]> calls = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                AtomicLong stopAt = new AtomicLong(Long.MAX_VALUE);
                CountDownLatch done = new CountDownLatch(THREADS);
                for (int t = 0; t < THREADS; t++) {
                    Random random = new Random(t);
                    new Thread(() -> {
                        try {
                            while (System.nanoTime() < stopAt.get()) {
                                long id = 1 + random.nextInt(ACCOUNTS);
                                long amount = 1 + random.nextInt(1_000);
                                long start = System.nanoTime();
                                fixture.ledger.deposit(id, amount);
                                calls.add(new long[] {start, System.nanoTime() - start});
                                acknowledged.computeIfAbsent(id, k -> new LongAdder()).add(amount);
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        } finally {
                            done.countDown();
                        }
                    }, "outage-writer-" + t).start();
                }
                long begun = System.nanoTime();
                Thread.sleep(2_000);
                long faultAt = System.nanoTime();
                fault.start.accept(forwarder);
                Thread.sleep(TimeUnit.SECONDS.toMillis(fault.seconds));
                long restoredAt = System.nanoTime();
                forwarder.restore();
                Thread.sleep(1_000);
                stopAt.set(System.nanoTime());

                // A call started just before the stop still finishes within the budget.
                assertTrue(done.await(BUDGET.plus(MARGIN).toSeconds() + 30, TimeUnit.SECONDS), "the writers did not stop");
                assertEquals(List.of(), List.copyOf(errors).stream().map(Throwable::toString).toList(),
                        "the application must see no error");
                long longest = calls.stream().mapToLong(c -> c[1]).max().orElseThrow();
                assertTrue(longest <= BUDGET.plus(MARGIN).toNanos(), "a write call waited "
                        + TimeUnit.NANOSECONDS.toMillis(longest) + " ms, beyond the copy budget of " + BUDGET.toMillis()
                        + " ms (plus " + MARGIN.toMillis() + " ms for scheduling)");
                long before = p99(calls, begun + TimeUnit.MILLISECONDS.toNanos(500), faultAt);
                long whileOpen = p99(calls, faultAt + BREAKER_OPEN_BY.toNanos(), restoredAt);
                // Twice the quiet p99, with 5 ms of slack for sub-millisecond quiet values on a busy machine.
                assertTrue(whileOpen <= Math.max(2 * before, before + TimeUnit.MILLISECONDS.toNanos(5)),
                        "write p99 with the breaker open was " + micros(whileOpen) + " µs, against " + micros(before)
                                + " µs before the outage");
                assertTrue(fixture.stats.enqueued() > 0, "mirrors were queued during the outage");

                assertTrue(fixture.queue.drain(Duration.ofSeconds(90)), "the queue did not drain within 90 s");
                assertEquals(List.of(), fixture.queue.parked(10));
                Map<Long, Long> expected = new HashMap<>();
                for (long id = 1; id <= ACCOUNTS; id++) {
                    LongAdder sum = acknowledged.get(id);
                    expected.put(id, sum == null ? 0 : sum.sum());
                }
                assertEquals(expected, balances(fixture.sourceRows()), "the source holds the acknowledged deposits");
                assertEquals(expected, balances(fixture.targetRows()), "the target holds the acknowledged deposits");
            }
        }
    }

    /** The 99th percentile of the durations of the calls started in [from, to). */
    private static long p99(ConcurrentLinkedQueue<long[]> calls, long from, long to) {
        long[] durations = calls.stream().filter(c -> c[0] >= from && c[0] < to).mapToLong(c -> c[1]).sorted().toArray();
        assertTrue(durations.length >= 100, "only " + durations.length + " writes in a measured window");
        return durations[(int) Math.ceil(durations.length * 0.99) - 1];
    }

    private static long micros(long nanos) {
        return TimeUnit.NANOSECONDS.toMicros(nanos);
    }

    /** Account id to balance; the rows' first column is the id and their third the balance, on both sides. */
    private static Map<Long, Long> balances(List<List<Object>> rows) {
        Map<Long, Long> balances = new HashMap<>();
        for (List<Object> row : rows) {
            balances.put(((Number) row.get(0)).longValue(), ((Number) row.get(2)).longValue());
        }
        return balances;
    }
}
