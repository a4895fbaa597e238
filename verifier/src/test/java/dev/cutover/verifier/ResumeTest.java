package dev.cutover.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TcpForwarder;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import dev.cutover.verifier.RowDifference.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run stopped half-way, with its checkpoints in a database table, is resumed by another verifier
 * (as after a restart) from the chunk after its last finished one, and keeps what it had found.
 */
class ResumeTest {
    private static final int ROWS = 12_000;

    @ParameterizedTest
    @MethodSource("dev.cutover.testsupport.TestDatabases#engines")
    void runStoppedHalfWay_resumesFromItsLastChunk_inAnotherVerifier(Engine engine) throws Exception {
        try (TestDatabase source = TestDatabases.create(engine, "resumesrc");
                TestDatabase target = TestDatabases.create(engine, "resumetgt")) {
            ItemTables.create(source, ROWS);
            ItemTables.create(target, ROWS);
            target.execute("UPDATE item SET name = 'early' WHERE id = 1500", "UPDATE item SET name = 'late' WHERE id = 11000");
            DataSource sourcePool = source.dataSource(4);
            DataSource targetPool = target.dataSource(4);
            JdbcCheckpointStore store = CheckpointStore.jdbc(sourcePool, "cutover_");
            store.createTables();
            store.createTables();
            VerifierConfig config = VerifierConfig.custom().chunkSize(1_000).recheckDelay(Duration.ZERO).build();
            Verifier[] first = new Verifier[1];
            first[0] = Verifier.builder(sourcePool, targetPool).mapping(ItemTables.sameMapping()).config(config)
                    .checkpoints(store).progressListener(p -> {
                        if (p.rowsDone() >= ROWS / 2) {
                            first[0].stop();
                        }
                    }).build();

            VerificationReport stopped = first[0].run();
            assertFalse(stopped.completed());
            assertEquals(ROWS / 2, stopped.rowsCompared());
            assertEquals(List.of(new RowDifference("1500", Kind.DIFFERENT_VALUES, List.of("name"))),
                    stopped.table(ItemTables.ENTITY).differences());

            List<Progress> progress = new ArrayList<>();
            Verifier restarted = Verifier.builder(sourcePool, targetPool).mapping(ItemTables.sameMapping()).config(config)
                    .checkpoints(CheckpointStore.jdbc(sourcePool, "cutover_")).progressListener(progress::add).build();
            VerificationReport resumed = restarted.resume(stopped.runId());

            assertEquals(ROWS / 2 + 1_000, progress.get(0).rowsDone(), "the first chunk compared is the one after the stop");
            assertEquals(stopped.runId(), resumed.runId());
            assertTrue(resumed.completed());
            assertEquals(ROWS, resumed.rowsCompared());
            assertEquals(13, resumed.table(ItemTables.ENTITY).chunks());
            assertEquals(List.of(new RowDifference("1500", Kind.DIFFERENT_VALUES, List.of("name")),
                    new RowDifference("11000", Kind.DIFFERENT_VALUES, List.of("name"))), resumed.table(ItemTables.ENTITY).differences());
        }
    }

    @Test
    void targetStalledMidRun_failsTheRunInsteadOfHangingIt_andTheRunResumesAfterTheLastChunk() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "stallsrc");
                TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "stalltgt");
                TcpForwarder forwarder = TcpForwarder.in(target)) {
            ItemTables.create(source, ROWS);
            ItemTables.create(target, ROWS);
            DataSource sourcePool = source.dataSource(4);
            CheckpointStore store = CheckpointStore.inMemory();
            Verifier verifier = Verifier.builder(sourcePool, target.dataSourceVia(forwarder, 4))
                    .mapping(ItemTables.sameMapping()).checkpoints(store)
                    .config(VerifierConfig.custom().chunkSize(1_000).statementTimeout(Duration.ofSeconds(1)).build())
                    .progressListener(p -> {
                        if (p.rowsDone() == 3_000) {
                            forwarder.stall();
                        }
                    }).build();

            VerifierException failure = assertThrows(VerifierException.class, verifier::run);
            String runId = failure.runId();
            assertTrue(failure.getMessage().contains("resume(\"" + runId + "\")"), failure.getMessage());
            assertEquals(3_000, store.load(runId).get(ItemTables.ENTITY).rowsCompared());

            forwarder.restore();
            VerificationReport resumed = verifier.resume(runId);
            assertTrue(resumed.isClean());
            assertEquals(ROWS, resumed.rowsCompared());
            assertEquals(13, resumed.table(ItemTables.ENTITY).chunks());
        }
    }
}
