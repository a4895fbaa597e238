package dev.cutover.benchmarks;

import dev.cutover.dualwrite.DualWrite;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.Read;
import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.dualwrite.Write;
import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of the repository proxy itself: a call through {@code DualWrite.repository(...)} to a DAO
 * that does nothing, against calling that DAO directly. The migration is in {@code SOURCE_ONLY},
 * so a write is classified, its routing key extracted, the stage read and the source DAO invoked
 * reflectively; a read additionally passes through the read router's decision. No database is
 * touched (the key resync is configured on an in-memory H2 database it never uses).
 *
 * <p>Run alone: {@code java -jar benchmarks/target/benchmarks.jar ProxyDispatch}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProxyDispatchBenchmark {
    private static final String MIGRATION = "customers";
    private static final int KEYS = 1024;

    /** A repository whose implementation does nothing but keep the last value. */
    public interface CustomerDao {
        /**
         * Stores a name.
         *
         * @param id the customer
         * @param name the name
         */
        @Write
        void rename(@RoutingKey long id, String name);

        /**
         * Reads a name.
         *
         * @param id the customer
         * @return the name
         */
        @Read
        String name(@RoutingKey long id);
    }

    /** The no-op DAO: one field write or read, so the JIT cannot remove the call entirely. */
    static final class NoOpDao implements CustomerDao {
        private String last = "none";

        @Override
        public void rename(long id, String name) {
            last = name;
        }

        @Override
        public String name(long id) {
            return last;
        }
    }

    /** Which kind of call is dispatched. */
    @Param({"write", "read"})
    public String call;

    private CustomerDao direct;
    private CustomerDao proxy;
    private MigrationFlags flags;
    private ReadRouter router;
    private RetryQueue queue;
    private TestDatabase unused;
    private boolean write;

    /** Per-thread position in the key ring. */
    @State(Scope.Thread)
    public static class Cursor {
        long next;

        long advance() {
            return next++ & (KEYS - 1);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        write = "write".equals(call);
        direct = new NoOpDao();
        // Low-level builders, not the Cutover runtime: this measures the proxy alone, in nanoseconds, and
        // the runtime's flag refresher and queue pollers would run database queries beside it.
        flags = MigrationFlags.builder(FlagStore.inMemory()).declare(MIGRATION).build();
        flags.forceMoveTo(MIGRATION, Stage.SOURCE_ONLY, "benchmark", "proxy dispatch benchmark");
        router = ReadRouter.builder(flags, MIGRATION).build();
        queue = RetryQueue.create(RetryStore.inMemory(), (entry, payload) -> { }, RetryQueueConfig.custom().build());
        unused = TestDatabases.create(Engine.H2, "proxydispatch");
        RowCopier resync = RowCopier.builder(unused.dataSource(1), unused.dataSource(1))
                .mapping(TableMapping.builder("customers").sourceTable("customers").targetTable("customers").key("id", Long.class).column("name").build())
                .build();
        proxy = DualWrite.repository(CustomerDao.class)
                .source(direct)
                .target(new NoOpDao())
                .migration(MIGRATION)
                .flags(flags)
                .router(router)
                .retryQueue(queue)
                .rowCopier(resync, "customers")
                .build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        router.close();
        flags.close();
        queue.close();
        unused.close();
    }

    @Benchmark
    public Object baseline_directCall(Cursor cursor) {
        return invoke(direct, cursor.advance());
    }

    @Benchmark
    public Object cutover_repositoryProxy(Cursor cursor) {
        return invoke(proxy, cursor.advance());
    }

    private Object invoke(CustomerDao dao, long id) {
        if (write) {
            dao.rename(id, "name");
            return null;
        }
        return dao.name(id);
    }
}
