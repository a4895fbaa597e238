package dev.cutover.benchmarks;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.WritePermit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pause of a primary move (the fenced handover of {@link Handovers#beginWrite}), with the
 * default flags (500 ms refresh, 1.5 s handover pause) and {@value #WRITERS} writer threads that
 * hold a permit for about 1 ms per write, as a database write would. Each shot moves the primary
 * ({@code SHIFT_READS} and {@code TARGET_PRIMARY} in turn) and then measures how long a write of the
 * new primary waits in {@code beginWrite}: the handover pause plus the time the old primary's writes
 * in flight need to finish. The second instance of the same store is what sees the move up to one
 * refresh interval later; its own wait is the same pause measured from its own load, and
 * {@link MigrationFlags#longestHandoverWait()} reports the longest wait any writer saw (printed at
 * the end). The queue drain and sequence steps of the wrappers come on top; {@code PrimaryMoveTest}
 * in dual-write-core measures them on PostgreSQL with 8 writers.
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar HandoverPause}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 6)
@Fork(1)
public class HandoverPauseBenchmark {
    static final int WRITERS = 8;
    private static final String MIGRATION = "pause";

    private MigrationFlags flags;
    private MigrationFlags other;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> writers = new ArrayList<>();
    private final AtomicLong otherLongest = new AtomicLong();
    private boolean toTarget = true;

    @Setup(Level.Trial)
    public void setUp() {
        // Two MigrationFlags on one in-memory store, not the Cutover runtime: this measures the flags'
        // handover between two instances alone, in one JVM and without a database.
        FlagStore store = FlagStore.inMemory();
        flags = MigrationFlags.builder(store).build();
        flags.forceMoveTo(MIGRATION, Stage.SHIFT_READS, "benchmark", "setup");
        other = MigrationFlags.builder(store).build();
        for (int i = 0; i < WRITERS; i++) {
            MigrationFlags instance = i % 2 == 0 ? flags : other;
            Thread writer = new Thread(() -> {
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try (WritePermit permit = Handovers.beginWrite(instance, MIGRATION)) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    } catch (RuntimeException e) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                    if (instance == other) {
                        otherLongest.accumulateAndGet(System.nanoTime() - start, Math::max);
                    }
                }
            }, "pause-writer-" + i);
            writer.setDaemon(true);
            writers.add(writer);
            writer.start();
        }
    }

    /** Moves the primary and waits until a write of the new primary may start. */
    @Benchmark
    public Stage moveAndWrite() {
        flags.moveTo(MIGRATION, toTarget ? Stage.TARGET_PRIMARY : Stage.SHIFT_READS, "benchmark", "pause");
        toTarget = !toTarget;
        try (WritePermit permit = Handovers.beginWrite(flags, MIGRATION)) {
            return permit.stage();
        }
    }

    @TearDown(Level.Iteration)
    public void settle() {
        // The other instance finishes its handover (it saw the move up to a refresh interval later).
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2_000));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop.set(true);
        for (Thread writer : writers) {
            writer.join();
        }
        System.out.printf("%nlongest write wait: flipping instance %d ms, other instance %d ms%n",
                flags.longestHandoverWait().toMillis(), TimeUnit.NANOSECONDS.toMillis(otherLongest.get()));
        other.close();
        flags.close();
    }
}
