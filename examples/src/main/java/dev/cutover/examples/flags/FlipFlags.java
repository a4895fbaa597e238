package dev.cutover.examples.flags;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.flags.JdbcFlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * An operator's command-line tool that flips a migration's flags through Cutover's API, from a
 * process of its own: {@code java -cp ... dev.cutover.examples.flags.FlipFlags FLAGS_JDBC_URL
 * MIGRATION STAGE TARGET_READ_PERCENT}. Going through the API (rather than plain SQL) checks the
 * stage transition, uses compare-and-set against concurrent flips, and writes the audit entry.
 *
 * <p>It prints the stored state and exits 0, or prints the problem and exits 1.
 */
public final class FlipFlags {
    private FlipFlags() {
    }

    /**
     * Flips, then exits.
     *
     * @param args the flags database's JDBC URL, the migration, the stage (e.g. {@code shift-reads})
     *     and the target read percentage
     */
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("Usage: FlipFlags FLAGS_JDBC_URL MIGRATION STAGE TARGET_READ_PERCENT");
            System.exit(1);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setMaximumPoolSize(2);
        try (HikariDataSource flagsDatabase = new HikariDataSource(config)) {
            MigrationState stored = flip(flagsDatabase, args[1], Stage.parse(args[2]), Double.parseDouble(args[3]),
                    "flip-flags-cli");
            System.out.println("stored " + stored);
        } catch (RuntimeException e) {
            System.out.println("cannot flip: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Stores a stage and target read percentage with one audited flip, through a {@link MigrationFlags}
     * instance of its own, which is closed again at once. An operator tool does not start the
     * {@code Cutover} runtime: it reaches only the flags database, and must neither copy rows nor
     * run retry-queue workers beside the application's.
     *
     * @param flagsDatabase the database holding the flag tables
     * @param migration the migration
     * @param stage the new stage: one step forward or any step back
     * @param targetReadPercent the new target read percentage
     * @param actor who flips, for the audit
     * @return the stored state
     */
    public static MigrationState flip(DataSource flagsDatabase, String migration, Stage stage, double targetReadPercent,
                                      String actor) {
        try (MigrationFlags flags = MigrationFlags.builder(JdbcFlagStore.create(flagsDatabase)).build()) {
            return flags.update(migration, actor, "flipped from outside the application",
                    b -> b.stage(stage).targetReadPercent(targetReadPercent));
        }
    }

    /**
     * Who flips the flags through the API from outside the running application.
     */
    @FunctionalInterface
    public interface Flipper {
        /**
         * Stores a stage and target read percentage and returns once they are stored.
         *
         * @param migration the migration
         * @param stage the new stage
         * @param targetReadPercent the new target read percentage
         * @throws Exception if the flip failed
         */
        void flip(String migration, Stage stage, double targetReadPercent) throws Exception;
    }

    /**
     * Flips through a second {@link MigrationFlags} in this JVM: outside the application's own
     * instance, which sees the flip only by reloading the table.
     *
     * @param flagsDatabase the database holding the flag tables
     * @return the flipper
     */
    public static Flipper inThisProcess(DataSource flagsDatabase) {
        return (migration, stage, percent) -> flip(flagsDatabase, migration, stage, percent, "second-flags-instance");
    }

    /**
     * Flips by running this tool in a JVM of its own, as an operator would from a shell.
     *
     * @param flagsJdbcUrl the flag database's JDBC URL, reachable from another process
     * @param classpath a class path holding this class, Cutover and the JDBC drivers
     * @return the flipper
     */
    public static Flipper inChildProcess(String flagsJdbcUrl, String classpath) {
        return (migration, stage, percent) -> {
            Process process = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                    "-cp", classpath, FlipFlags.class.getName(), flagsJdbcUrl, migration, stage.name(),
                    Double.toString(percent))
                    .redirectErrorStream(true)
                    .start();
            String output = readAll(process.getInputStream());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("FlipFlags did not finish within 60 s: " + output);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("FlipFlags exited with " + process.exitValue() + ": " + output);
            }
        };
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
