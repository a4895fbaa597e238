package dev.cutover.examples.flags;

import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.RowCopier;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.MigrationState;
import dev.cutover.router.ReadRouterCounts;
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
    /** Prefix of Cutover's tables (flags and retry-queue) in the source database: the runtime's default. */
    static final String TABLE_PREFIX = "cutover_";

    private final Cutover cutover;
    private final Migration migration;
    private final ProfileDao profiles;
    private final Thread writer;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean writing = true;

    private ProfileApp(DataSource source, DataSource target) {
        // The flags come from the table every instance shares; nothing here flips them.
        this.cutover = Cutover.builder(source, target)
                .flags(flags -> flags.refreshInterval(REFRESH_INTERVAL))
                .retryQueue(queue -> queue.pollInterval(Duration.ofMillis(100)))
                .build();
        this.migration = cutover.migration(MIGRATION, TableMapping.builder("profiles")
                .key("id", Long.class)
                .columns("name", "visits")
                .build());
        // Stored once (at SOURCE_ONLY, a no-op on later starts) so that operator tools in other
        // processes may flip it: they refuse names the store does not hold, so a typo cannot start one.
        cutover.flags().create(MIGRATION, "profile-app", "the application's migration, stored so that operators can flip it");
        this.profiles = migration.repository(ProfileDao.class,
                Jdbi.create(source).installPlugin(new SqlObjectPlugin()).onDemand(ProfileDao.class),
                Jdbi.create(target).installPlugin(new SqlObjectPlugin()).onDemand(ProfileDao.class));
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
     * @return the row copier the application mirrors with, also used for a backfill: it copies a
     *     profile's current row by key
     */
    public RowCopier rowCopier() {
        return migration.rowCopier();
    }

    /** @return a backfill of the profiles, wired to this instance's runtime */
    public dev.cutover.dualwrite.Backfill.Builder backfill() {
        return migration.backfill();
    }

    /**
     * Creates the profiles table on both databases with {@link #PROFILES} rows on the source: what a
     * deployment does once, before the application starts. Cutover's runtime creates its own flag and
     * retry-queue tables on the source when the application starts.
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
    }

    /** @return the flags as this application currently sees them */
    public MigrationState flagsSeen() {
        return migration.state();
    }

    /**
     * Reads every profile once through the wrapped DAO, as a request would, and counts who answered.
     * Only this method reads, so the router's counts before and after are its own.
     *
     * @return the reads each side answered
     */
    public synchronized ReadCount readEveryProfile() {
        ReadRouterCounts before = migration.router().counts();
        for (long id = 1; id <= PROFILES; id++) {
            profiles.find(id).orElseThrow(() -> new IllegalStateException("a profile is missing"));
        }
        ReadRouterCounts after = migration.router().counts();
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
        return cutover.drain(timeout);
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
        cutover.close();
    }
}
