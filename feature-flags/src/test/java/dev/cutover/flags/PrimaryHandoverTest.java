package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.flags.internal.Handovers;
import dev.cutover.flags.internal.WritePermit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The write gate of {@link MigrationFlags}: the fenced primary handover (issue #12, problem 4). */
class PrimaryHandoverTest {
    private static final Duration REFRESH = Duration.ofMillis(50);
    private static final Duration PAUSE = Duration.ofMillis(300);

    private static MigrationFlags flags(FlagStore store) {
        return MigrationFlags.builder(store).refreshInterval(REFRESH).handoverPause(PAUSE)
                .maxHandoverWait(Duration.ofSeconds(5)).declare("m", "s").build();
    }

    @Test
    void aWriteOfTheNewPrimary_waitsForTheOldPrimarysWritesInFlightAndThePause() throws Exception {
        try (MigrationFlags flags = flags(FlagStore.inMemory())) {
            flags.forceMoveTo("m", Stage.SHIFT_READS, "t", "t");
            WritePermit old = Handovers.beginWrite(flags, "m");
            assertEquals(Side.SOURCE, old.stage().primary());
            flags.moveTo("m", Stage.TARGET_PRIMARY, "t", "t");
            assertEquals(Side.SOURCE, Handovers.from(flags, "m"));
            assertNull(Handovers.tryBeginWrite(flags, "m"), "no write of the new primary while an old one is in flight");

            long start = System.nanoTime();
            CompletableFuture<WritePermit> next = CompletableFuture.supplyAsync(() -> Handovers.beginWrite(flags, "m"));
            Thread.sleep(PAUSE.toMillis() + 200);
            assertTrue(!next.isDone(), "still waiting for the old write");
            old.close();
            WritePermit permit = next.get(5, TimeUnit.SECONDS);
            assertTrue(System.nanoTime() - start >= PAUSE.toNanos());
            assertEquals(Side.TARGET, permit.stage().primary());
            assertNull(Handovers.from(flags, "m"));
            permit.close();
        }
    }

    @Test
    void anOldWritesCopyDeadline_isFixedByTheLastLoadThatShowedItsPrimary() throws Exception {
        try (MigrationFlags flags = flags(FlagStore.inMemory())) {
            flags.forceMoveTo("m", Stage.SHIFT_READS, "t", "t");
            WritePermit old = Handovers.beginWrite(flags, "m");
            Thread.sleep(3 * REFRESH.toMillis());
            long beforeFlip = old.deadlineNanos();
            flags.moveTo("m", Stage.TARGET_PRIMARY, "t", "t");
            long afterFlip = old.deadlineNanos();
            Thread.sleep(3 * REFRESH.toMillis());
            assertEquals(afterFlip, old.deadlineNanos(), "no load after the move extends the old primary's window");
            assertTrue(afterFlip - beforeFlip >= 0);
            Thread.sleep(PAUSE.toMillis());
            assertTrue(!old.copyWindowOpen(Duration.ZERO));
            old.close();
        }
    }

    @Test
    void aFailingHandoverStep_failsWritesAfterTheMaximumWaitNamingWhatIsMissing_andTheyGoOnOnceItSucceeds() {
        AtomicInteger queued = new AtomicInteger(3);
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).refreshInterval(REFRESH)
                .handoverPause(PAUSE).maxHandoverWait(Duration.ofMillis(600)).declare("m", "s").build()) {
            Handovers.addStep(flags, "m", "queue", (migration, from, to) -> {
                if (queued.get() > 0) {
                    throw new IllegalStateException(queued.get() + " copies from the " + from + " are still queued");
                }
            });
            flags.forceMoveTo("m", Stage.SHIFT_READS, "t", "t");
            Handovers.beginWrite(flags, "m").close();
            flags.moveTo("m", Stage.TARGET_PRIMARY, "t", "t");
            HandoverException failure = assertThrows(HandoverException.class, () -> Handovers.beginWrite(flags, "m"));
            assertTrue(failure.getMessage().contains("3 copies from the SOURCE are still queued"), failure.getMessage());
            assertTrue(failure.getMessage().contains("moveTo(SHIFT_READS)"), failure.getMessage());
            queued.set(0);
            Handovers.beginWrite(flags, "m").close();
        }
    }

    /**
     * An instance that starts on a stored stage past SOURCE_ONLY pauses as after a move, since it
     * cannot know whether one just happened. When that precautionary handover cannot finish, the refusal
     * must not say the primary moved, nor advise moving it: with the source primary all along, a walk
     * "back" to TARGET_PRIMARY would be a move of its own, onto the side the handover cannot reach.
     */
    @Test
    void aHandoverThatAnInstanceRunsAtFirstSight_isNotReportedAsAMove_norAnsweredWithOne() {
        FlagStore store = FlagStore.inMemory();
        try (MigrationFlags operator = flags(store)) {
            operator.forceMoveTo("m", Stage.DUAL_WRITE, "t", "t");
        }
        try (MigrationFlags flags = MigrationFlags.builder(store).refreshInterval(REFRESH).handoverPause(PAUSE)
                .maxHandoverWait(Duration.ofMillis(600)).declare("m").build()) {
            Handovers.addStep(flags, "m", "queue", (migration, from, to) -> {
                throw new IllegalStateException("the target does not answer");
            });
            HandoverException failure = assertThrows(HandoverException.class, () -> Handovers.beginWrite(flags, "m"));
            String message = failure.getMessage();
            assertTrue(message.contains("first saw it past SOURCE_ONLY, with the source primary"), message);
            assertTrue(message.contains("the target does not answer"), message);
            assertTrue(!message.contains("primary moved") && !message.contains("moveTo("), message);
        }
    }

    /**
     * A thread whose own open write holds the old primary cannot wait for the handover, which waits for
     * that write: its next write is refused at once. A permit it handed off (to an asynchronous copier,
     * which closes it) does not count: its next write waits for the copier as any other does.
     */
    @Test
    void aThreadHoldingTheOldPrimary_isRefusedAtOnce_butNotForAPermitItHandedOff() throws Exception {
        try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).refreshInterval(REFRESH)
                .handoverPause(PAUSE).maxHandoverWait(Duration.ofSeconds(30)).declare("m").build()) {
            flags.forceMoveTo("m", Stage.SHIFT_READS, "t", "t");
            WritePermit outer = Handovers.beginWrite(flags, "m");
            flags.moveTo("m", Stage.TARGET_PRIMARY, "t", "t");
            long started = System.nanoTime();
            HandoverException refused = assertThrows(HandoverException.class, () -> Handovers.beginWrite(flags, "m"));
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "refused without waiting");
            assertTrue(refused.getMessage().contains("REQUIRES_NEW") && refused.getMessage().contains("Fix:"),
                    refused.getMessage());
            outer.close();
            try (WritePermit next = Handovers.beginWrite(flags, "m")) {
                assertEquals(Side.TARGET, next.stage().primary());
            }

            flags.moveTo("m", Stage.SHIFT_READS, "t", "t");
            Thread.sleep(PAUSE.toMillis() + 100);
            WritePermit handedOff = Handovers.beginWrite(flags, "m");
            handedOff.handOff();
            flags.moveTo("m", Stage.TARGET_PRIMARY, "t", "t");
            CompletableFuture<Void> copier = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(PAUSE.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                handedOff.close();
            });
            try (WritePermit next = Handovers.beginWrite(flags, "m")) {
                assertEquals(Side.TARGET, next.stage().primary());
            }
            copier.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWriteOfADualWriteStage_isRefusedWhenTheFlagsCannotBeConfirmed_butASingleSideWriteIsNot() throws Exception {
        UnreliableStore store = new UnreliableStore();
        try (MigrationFlags flags = flags(store)) {
            flags.forceMoveTo("m", Stage.DUAL_WRITE, "t", "t");
            flags.forceMoveTo("s", Stage.SOURCE_ONLY, "t", "t");
            Handovers.beginWrite(flags, "m").close();
            store.down();
            Thread.sleep(PAUSE.toMillis() + 100);
            FlagsNotConfirmedException refused = assertThrows(FlagsNotConfirmedException.class, () -> Handovers.beginWrite(flags, "m"));
            assertTrue(refused.getMessage().contains("cannot prove that the primary has not moved"), refused.getMessage());
            assertTrue(refused.getMessage().contains("make the flag store reachable"), refused.getMessage());
            assertNotNull(Handovers.beginWrite(flags, "s"));
            store.up();
            Handovers.beginWrite(flags, "m").close();
        }
    }

    @Test
    void aSecondInstance_pausesWhenItsLoadShowsTheMove_andWhenItStartsOnAStoredStage() throws Exception {
        FlagStore store = FlagStore.inMemory();
        try (MigrationFlags a = flags(store)) {
            a.forceMoveTo("m", Stage.SHIFT_READS, "t", "t");
            try (MigrationFlags b = flags(store)) {
                assertNull(Handovers.tryBeginWrite(b, "m"), "an instance cannot know whether the primary just moved when it starts");
                Handovers.beginWrite(b, "m").close();
                a.moveTo("m", Stage.TARGET_PRIMARY, "t", "t");
                long waitStart = System.nanoTime();
                List<Side> seen = new ArrayList<>();
                try (WritePermit permit = Handovers.beginWrite(b, "m")) {
                    // Either it saw the move and waited, or it has not loaded yet and still writes the source
                    // within its copy deadline.
                    seen.add(permit.stage().primary());
                }
                if (seen.get(0) == Side.SOURCE) {
                    Thread.sleep(3 * REFRESH.toMillis());
                    try (WritePermit permit = Handovers.beginWrite(b, "m")) {
                        assertEquals(Side.TARGET, permit.stage().primary());
                    }
                }
                assertTrue(System.nanoTime() - waitStart >= PAUSE.toNanos() / 2);
            }
        }
    }

    @Test
    void theHandoverPause_mustBeLongerThanTheRefreshInterval() {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class, () -> MigrationFlags
                .builder(FlagStore.inMemory()).refreshInterval(Duration.ofSeconds(2)).handoverPause(Duration.ofSeconds(1))
                .build());
        assertEquals("handoverPause must be longer than refreshInterval (2 s), but was 1 s: otherwise a write's"
                + " flags expire between two loads. Set a longer handoverPause or a shorter refreshInterval", e.getMessage());
    }
}
