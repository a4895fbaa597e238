package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.RecordedLedger.Account;
import dev.cutover.testsupport.AcknowledgedWriteOracle;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The crash tests' own bar: the oracle must hear every write a killed writer printed, or it reports
 * writes as lost that were only never read (the outbox crash test once failed so, 1 run in 3).
 */
class KilledWritersTest {
    private static final int WRITES = 200;

    @Test
    void kill_leavesEverythingTheWriterPrintedToBeRead_howeverFarTheReaderLags() throws Exception {
        Process process = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-cp", System.getProperty("java.class.path"), PrintingWriter.class.getName())
                .start();
        try (BufferedReader err = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            assertEquals("printed", err.readLine(), "the writer did not finish printing");
            // The reader has read nothing yet: it lags behind the whole log, the worst a loaded machine does.
            KilledWriters.kill(process);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the writer did not die");
        } finally {
            // Never Process.destroyForcibly(): on a process that died it still closes the log unread.
            process.toHandle().destroyForcibly();
        }
        AcknowledgedWriteOracle<Long, Account> oracle = RecordedLedger.newOracle();
        CountDownLatch writing = new CountDownLatch(1);
        KilledWriters.record(process, oracle, writing);
        assertEquals(0, writing.getCount(), "the writer's 'writing' line was read");
        assertEquals(WRITES, oracle.acknowledged(), "every acknowledged write the writer printed was recorded");
    }

    /** A writer that prints its acknowledged writes, says so on stderr, and waits to be killed. */
    static final class PrintingWriter {
        private PrintingWriter() {
        }

        public static void main(String[] args) throws InterruptedException {
            for (int i = 1; i <= WRITES; i++) {
                System.out.println("begin deposit 1 " + i);
                System.out.println("ok");
                if (i == 1) {
                    System.out.println("writing");
                }
            }
            System.out.flush();
            System.err.println("printed");
            System.err.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
