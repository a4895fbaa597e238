package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Any sequence of legal flips made through {@link MigrationFlags} over the in-memory store ends in
 * the state last stored (a move back out of the read shift storing a target read share of 0), with versions counting the flips and an audit that chains every change.
 */
class FlipSequenceProperties {
    private static final String MIGRATION = "orders";

    /**
     * One flip. {@code stageChoice} picks among the stages legal from wherever the migration stands
     * (stay, one step forward, or any rollback), so every generated flip is allowed.
     */
    record Flip(int stageChoice, int targetBasisPoints, int shadowBasisPoints, Set<String> targetKeys) {
        Stage from(Stage current) {
            int legal = Math.min(current.ordinal() + 2, Stage.values().length);
            return Stage.values()[stageChoice % legal];
        }
    }

    @Provide
    Arbitrary<List<Flip>> flips() {
        Arbitrary<Flip> flip = Combinators.combine(
                Arbitraries.integers().between(0, 100),
                Arbitraries.integers().between(0, 10_000),
                Arbitraries.integers().between(0, 10_000),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8).set().ofMaxSize(3))
                .as(Flip::new);
        return flip.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 1000)
    void anySequenceOfLegalFlips_roundTripsThroughStoreSnapshotAndAudit(@ForAll("flips") List<Flip> sequence) {
        FlagStore store = FlagStore.inMemory();
        List<MigrationState> stored = new ArrayList<>();
        try (MigrationFlags flags = MigrationFlags.builder(store).declare(MIGRATION).build()) {
            MigrationState last = MigrationState.initial(MIGRATION);
            for (Flip flip : sequence) {
                Stage stage = flip.from(last.stage());
                // Moving back from SHIFT_READS or later to before it resets the target read share.
                boolean leavesReadShift = last.stage().compareTo(Stage.SHIFT_READS) >= 0
                        && stage.compareTo(Stage.SHIFT_READS) < 0;
                MigrationState wanted = last.toBuilder().stage(stage)
                        .targetReadPercent(leavesReadShift ? 0 : flip.targetBasisPoints() / 100.0)
                        .shadowReadPercent(flip.shadowBasisPoints() / 100.0)
                        .targetKeys(flip.targetKeys()).build();
                MigrationState result = flags.update(MIGRATION, "prop", "flip", b -> b.stage(stage)
                        .targetReadPercent(flip.targetBasisPoints() / 100.0)
                        .shadowReadPercent(flip.shadowBasisPoints() / 100.0)
                        .targetKeys(flip.targetKeys()));
                assertEquals(true, result.sameFlagsAs(wanted), "stored " + result + ", wanted " + wanted);
                assertEquals(result, flags.state(MIGRATION));
                if (!wanted.sameFlagsAs(last)) {
                    assertEquals(last.version() + 1, result.version());
                    stored.add(result);
                } else {
                    assertEquals(last.version(), result.version());
                }
                last = result;
            }
        }
        MigrationState inStore = store.loadAll().getOrDefault(MIGRATION, MigrationState.initial(MIGRATION));
        assertEquals(stored.size(), inStore.version());
        List<FlagChange> audit = store.audit(MIGRATION, 100);
        assertEquals(stored.size(), audit.size());
        for (int i = 0; i < audit.size(); i++) {
            FlagChange change = audit.get(i);
            assertEquals(stored.get(stored.size() - 1 - i), change.after());
            assertEquals(change.before().version() + 1, change.after().version());
            MigrationState before = i + 1 < audit.size() ? audit.get(i + 1).after() : MigrationState.initial(MIGRATION);
            assertEquals(before, change.before());
        }
    }
}
