package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.queue.JdbcRetryStore;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryQueueConfig;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import dev.cutover.testsupport.TestDatabase;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * The crash tests' loop: a writer runs in a child JVM (its {@code main} takes the source URL, the
 * target URL and a seed, prints {@code writing} once it has started) and is killed with SIGKILL at a
 * random point; the durable queue, drained by this JVM, must then bring the target to the source, and
 * both must hold exactly what the writer's acknowledged writes left ({@link AcknowledgedWriteOracle}):
 * the writer prints each write before and after its call, and this JVM records them.
 */
final class KilledWriters {
    /** Writers killed per test: 6 in the normal build, more in soak runs. */
    private static final int KILLS = Integer.getInteger("cutover.soak.kills", 6);

    private KilledWriters() {
    }

    static void killRepeatedly(Class<?> writer, TestDatabase source, TestDatabase target, JdbcRetryStore store,
            RowCopier resync, String sourceRows, String targetRows, long seed) throws Exception {
        Random random = new Random(seed);
        // One oracle across the kills: the rows carry over from one writer to the next.
        AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
        try (RetryQueue queue = RetryQueue.create(store, CopyReplayHandler.of(LedgerFixture.MIGRATION, resync),
                RetryQueueConfig.custom().pollInterval(Duration.ofMillis(10)).build())) {
            queue.start();
            for (int kill = 1; kill <= KILLS; kill++) {
                Process process = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                        "-cp", System.getProperty("java.class.path"), writer.getName(),
                        source.jdbcUrl(), target.jdbcUrl(), String.valueOf(random.nextLong()))
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                CountDownLatch writing = new CountDownLatch(1);
                AtomicReference<Throwable> readFailure = new AtomicReference<>();
                Thread reader = new Thread(() -> record(process, oracle, writing), "killed-writer-log-" + kill);
                reader.setUncaughtExceptionHandler((thread, e) -> readFailure.set(e));
                reader.start();
                try {
                    assertTrue(writing.await(60, TimeUnit.SECONDS), "the writer did not start");
                    Thread.sleep(50 + random.nextInt(400));
                } finally {
                    kill(process);
                }
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the writer did not die");
                // The oracle must have heard every write the writer printed before it died.
                reader.join(30_000);
                assertFalse(reader.isAlive(), "the writer's log was not read to its end");
                assertNull(readFailure.get(), () -> "reading the writer's log failed: " + readFailure.get());
                assertTrue(queue.drain(Duration.ofSeconds(60)), "the queue did not drain within 60 s");
                assertEquals(List.of(), queue.parked(10));
                List<List<Object>> sourceState = RowCopierTest.rows(source, sourceRows);
                assertEquals(sourceState, RowCopierTest.rows(target, targetRows),
                        "target must equal source after kill " + kill);
                // Equal is not enough: both must hold what the writers' acknowledged writes left.
                try {
                    oracle.check(RecordedLedger.accounts(sourceState),
                            RecordedLedger.accounts(RowCopierTest.rows(target, targetRows)));
                } catch (AssertionError e) {
                    throw new AssertionError("after kill " + kill + ": " + e.getMessage(), e);
                }
            }
        }
        assertFalse(RowCopierTest.rows(source, sourceRows).isEmpty(), "the writers wrote");
        assertTrue(oracle.acknowledged() > KILLS, "the oracle saw the writers' acknowledged writes");
    }

    /**
     * Kills a writer with SIGKILL, leaving its output to be read to the end. {@link Process#destroyForcibly()}
     * would also close the parent's end of the pipe, so that whatever the writer printed and the reader
     * had not yet read is lost: writes the writer made, and often acknowledged, just before it died,
     * which the oracle would then not know of (an acknowledged close it never heard of makes the row
     * it still expects look lost on both sides).
     *
     * @param process the writer
     */
    static void kill(Process process) {
        process.toHandle().destroyForcibly();
    }

    /**
     * Reads a writer's log to its end, which comes when it dies: each {@code begin WORDS} line starts
     * a write in the oracle, the next {@code ok} or {@code failed ...} line completes it; a write whose
     * outcome the kill cut off stays in flight, which the oracle takes as "may have landed, whole".
     *
     * @throws UncheckedIOException if the log cannot be read to its end: writes would be missing
     */
    static void record(Process process, AcknowledgedWriteOracle<Long, Account> oracle, CountDownLatch writing) {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            AcknowledgedWriteOracle<Long, Account>.Write current = null;
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.equals("writing")) {
                    writing.countDown();
                } else if (line.startsWith("begin ")) {
                    String words = line.substring("begin ".length());
                    current = oracle.begin(words, RecordedLedger.effects(words.split(" ")));
                } else if (line.equals("ok") && current != null) {
                    current.acknowledged();
                    current = null;
                } else if (line.startsWith("failed") && current != null) {
                    current.failed(new SQLException(line));
                    current = null;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the log of writer " + process.pid() + " broke off before its end", e);
        }
    }

    /**
     * The killed writers' workload, run until the process is killed: random opens, closes, transfers
     * and deposits on a few accounts. It prints {@code writing} after the first, and each write as
     * {@code begin WORDS} before the call ({@link RecordedLedger#effects}) and {@code ok} or
     * {@code failed} after it, so that the parent can check the acknowledged ones.
     */
    static void writeUntilKilled(Ledger ledger, Random random) {
        boolean announced = false;
        while (true) {
            long id = 1 + random.nextInt(CrashSafeTest.ACCOUNTS);
            int op = random.nextInt(4);
            long other = 1 + random.nextInt(CrashSafeTest.ACCOUNTS);
            long amount = random.nextInt(op == 2 ? 50 : 100);
            String owner = "owner" + random.nextInt(10);
            try {
                switch (op) {
                    case 0 -> {
                        log("begin open " + id + " " + owner);
                        ledger.open(id, owner);
                    }
                    case 1 -> {
                        log("begin close " + id);
                        ledger.close(id);
                    }
                    case 2 -> {
                        log("begin transfer " + id + " " + other + " " + amount);
                        ledger.transfer(id, other, amount);
                    }
                    default -> {
                        log("begin deposit " + id + " " + amount);
                        ledger.deposit(id, amount);
                    }
                }
                log("ok");
            } catch (SQLException e) {
                // Duplicate opens and writes to closed accounts fail on the source; the workload goes on.
                log("failed " + e.getClass().getSimpleName());
            }
            if (!announced) {
                log("writing");
                announced = true;
            }
        }
    }

    private static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** @return a small pool for a killed writer */
    static DataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }
}
