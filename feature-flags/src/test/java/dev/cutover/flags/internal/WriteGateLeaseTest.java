package dev.cutover.flags.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.FlagsNotConfirmedException;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A write whose lease expired loads the flags itself. A load that confirms them but comes back late
 * (a starved machine: a CI run refused a write after a 38 ms wait with an in-memory store) is not a
 * lost store, and the write loads again; only a store that confirms nothing refuses it at once.
 */
class WriteGateLeaseTest {
    private static final long PAUSE = Duration.ofMillis(100).toNanos();
    private static final long REFRESH = Duration.ofMillis(10).toNanos();
    private static final MigrationState DUAL_WRITE = MigrationState.builder("m").stage(Stage.DUAL_WRITE).build();

    /** Loads that take {@code slowLoads} times longer than the lease before they answer, then answer at once. */
    private static WriteGate gate(AtomicInteger slowLoads, boolean storeAnswers) {
        WriteGate[] gate = new WriteGate[1];
        Runnable refresh = () -> {
            long start = System.nanoTime();
            if (slowLoads.getAndDecrement() > 0) {
                sleep(PAUSE);
            }
            if (storeAnswers) {
                gate[0].loaded(Map.of("m", DUAL_WRITE), Set.of(), start, System.nanoTime());
            }
        };
        gate[0] = new WriteGate(PAUSE, Duration.ofSeconds(5).toNanos(), REFRESH, refresh, m -> DUAL_WRITE);
        long start = System.nanoTime();
        gate[0].loaded(Map.of("m", DUAL_WRITE), Set.of(), start, start);
        sleep(PAUSE);
        return gate[0];
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aLoadThatConfirmsTheFlagsLate_isFollowedByAnother_andTheWriteGoesOn() {
        WriteGate gate = gate(new AtomicInteger(1), true);
        try (WritePermit permit = gate.begin("m", true)) {
            assertEquals(Stage.DUAL_WRITE, permit.stage());
        }
        assertEquals(0, gate.refusedLeaseCount());
    }

    @Test
    void aStoreThatConfirmsNothing_refusesTheWrite_namingTheStore() {
        WriteGate gate = gate(new AtomicInteger(0), false);
        FlagsNotConfirmedException refused = assertThrows(FlagsNotConfirmedException.class, () -> gate.begin("m", true));
        assertTrue(refused.getMessage().contains("make the flag store reachable"), refused.getMessage());
        assertEquals(1, gate.refusedLeaseCount());
    }

    @Test
    void loadsThatAreAlwaysLate_refuseTheWriteAfterAFewTries_namingThePause() {
        AtomicInteger slowLoads = new AtomicInteger(Integer.MAX_VALUE);
        WriteGate gate = gate(slowLoads, true);
        FlagsNotConfirmedException refused = assertThrows(FlagsNotConfirmedException.class, () -> gate.begin("m", true));
        assertTrue(refused.getMessage().contains("raise handoverPause"), refused.getMessage());
        assertEquals(Integer.MAX_VALUE - 3, slowLoads.get(), "three loads, then the refusal");
    }
}
