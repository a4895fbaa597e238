package dev.cutover.examples.flags;

import dev.cutover.dualwrite.Cutover;
import dev.cutover.dualwrite.KeyResync;
import dev.cutover.dualwrite.ResyncReplayHandler;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.JdbcFlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import dev.cutover.router.ReadRouterStats;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/**
 * The running application of the flags scenario: it never flips a flag itself. It reads the flags
 * from the shared flag table every {@link #REFRESH_INTERVAL} and follows whatever another process
 * or an operator's SQL stored there, while a background thread keeps writing.
 *
 * <p>Thread-safe; close it to stop the writer and Cutover's threads.
 */
public final class ProfileApp implements AutoCloseable {
    /** The migration's name. */
    public static final String MIGRATION = "profiles";
    /** How many profiles the application has. */
    public static final int PROFILES = 200;
    /** How often the application reloads the flags: the default, spelled out. */
    public static final Duration REFRESH_INTERVAL = Duration.ofMillis(500);
    /** Prefix of Cutover's tables (flags and retry-queue) in the source database. */
    static final String TABLE_PREFIX = "cutover_";

    private final MigrationFlags flags;
    private final ReadRouter router;
    private final RetryQueue queue;
    private final ProfileDao profiles;
    private final Thread writer;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean writing = true;

    private ProfileApp(DataSource source, DataSource target) {
        KeyResync resync = resync(source, target);
        // The flags come from the table every instance shares; nothing here flips them. The migration
        // is stored once (at SOURCE_ONLY, a no-op on later starts) so that operator tools in other
        // processes may flip it: they refuse names the store does not hold, so a typo cannot start one.
        this.flags = MigrationFlags.builder(JdbcFlagStore.create(source)).refreshInterval(REFRESH_INTERVAL).build();
        flags.create(MIGRATION, "profile-app", "the application's migration, stored so that operators can flip it");
        this.router = ReadRouter.builder(flags, MIGRATION).build();
        this.queue = RetryQueue.create(RetryStore.jdbc(source, TABLE_PREFIX), ResyncReplayHandler.of(MIGRATION, resync, flags),
                RetryQueueConfig.custom().pollInterval(Duration.ofMillis(100)).build());
        queue.start();
        this.profiles = Cutover.repository(ProfileDao.class)
                .source(Jdbi.create(source).installPlugin(new SqlObjectPlugin()).onDemand(ProfileDao.class))
                .target(Jdbi.create(target).installPlugin(new SqlObjectPlugin()).onDemand(ProfileDao.class))
                .migration(MIGRATION).flags(flags).router(router).retryQueue(queue).resync(resync, "profiles")
                .build();
        this.writer = new Thread(this::writeUntilStopped, "profile-app-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Starts the application on databases prepared by {@link #createTables}.
     *
     * @param source the legacy database, which also holds Cutover's tables
     * @param target the new database
     * @return the running application
     */
    public static ProfileApp start(DataSource source, DataSource target) {
        return new ProfileApp(source, target);
    }

    /**
     * How a profile row maps between the two databases; the same table on both sides.
     *
     * @param source the legacy database
     * @param target the new database
     * @return the resync the application mirrors with, also usable for a backfill
     */
    public static KeyResync resync(DataSource source, DataSource target) {
        return KeyResync.builder(source, target)
                .mapping(TableMapping.builder("profiles").sourceTable("profiles").key("id", Long.class)
                        .column("name").column("visits").build())
                .build();
    }

    /**
     * Creates the profiles table on both databases with {@link #PROFILES} rows on the source, and
     * Cutover's flag and retry-queue tables on the source: what a deployment does once, before the
     * application starts.
     *
     * @param source the legacy database
     * @param target the new database
     * @throws SQLException if a database refuses
     */
    public static void createTables(DataSource source, DataSource target) throws SQLException {
        for (DataSource dataSource : new DataSource[] {source, target}) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE profiles (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, visits BIGINT NOT NULL)");
            }
        }
        try (Connection c = source.getConnection(); Statement s = c.createStatement()) {
            for (int id = 1; id <= PROFILES; id++) {
                s.addBatch("INSERT INTO profiles (id, name, visits) VALUES (" + id + ", 'Profile " + id + "', 0)");
            }
            s.executeBatch();
        }
        JdbcFlagStore.create(source).createTables();
        RetryStore.jdbc(source, TABLE_PREFIX).createTables();
    }

    /** @return the flags as this application currently sees them */
    public MigrationState flagsSeen() {
        return flags.state(MIGRATION);
    }

    /**
     * Reads every profile once through the wrapped DAO, as a request would, and counts who answered.
     * Only this method reads, so the router's counts before and after are its own.
     *
     * @return the reads each side answered
     */
    public synchronized ReadCount readEveryProfile() {
        ReadRouterStats before = router.stats();
        for (long id = 1; id <= PROFILES; id++) {
            profiles.find(id).orElseThrow(() -> new IllegalStateException("a profile is missing"));
        }
        ReadRouterStats after = router.stats();
        return new ReadCount(after.sourceReads() - before.sourceReads(), after.targetReads() - before.targetReads());
    }

    /**
     * Reads each side answered.
     *
     * @param source reads the source answered
     * @param target reads the target answered
     */
    public record ReadCount(long source, long target) {
    }

    /** @return writes made so far */
    public long writes() {
        return writes.get();
    }

    /** @return writes that failed; the scenario requires none */
    public long errors() {
        return errors.get();
    }

    /**
     * Stops the writer and waits for the retry-queue to empty.
     *
     * @param timeout how long to wait for the queue at most
     * @return true if the queue is empty
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean stopWritingAndDrain(Duration timeout) throws InterruptedException {
        writing = false;
        writer.join(timeout.toMillis());
        return queue.drain(timeout);
    }

    private void writeUntilStopped() {
        while (writing) {
            try {
                profiles.visit(1 + ThreadLocalRandom.current().nextInt(PROFILES));
                writes.incrementAndGet();
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                errors.incrementAndGet();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        writing = false;
        writer.join(10_000);
        queue.close();
        router.close();
        flags.close();
    }
}
