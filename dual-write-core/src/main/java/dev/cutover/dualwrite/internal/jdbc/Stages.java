package dev.cutover.dualwrite.internal.jdbc;

import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stages of a data source's migrations, read together (from one snapshot of the flags) when a
 * transaction or an auto-commit statement begins; they hold until it ends. The migrations agree when
 * they all have the same primary side; the transaction then runs on that side. When they disagree,
 * the transaction runs on the first migration's primary and writes nothing (see {@link #disagreement}).
 * Immutable.
 */
final class Stages {
    private final Map<String, Stage> byMigration = new LinkedHashMap<>();
    private final Side primary;
    private final boolean agree;
    private final boolean anyDualWrites;

    Stages(List<String> migrations, List<Stage> stages) {
        boolean same = true;
        boolean dual = false;
        for (int i = 0; i < migrations.size(); i++) {
            Stage stage = stages.get(i);
            byMigration.put(migrations.get(i), stage);
            same &= stage.primary() == stages.get(0).primary();
            dual |= stage.dualWrites();
        }
        this.primary = stages.get(0).primary();
        this.agree = same;
        this.anyDualWrites = dual;
    }

    /** @return the side the transaction runs on: the migrations' common primary, or the first one's */
    Side primary() {
        return primary;
    }

    /** @return whether every migration has the same primary side */
    boolean agree() {
        return agree;
    }

    /** @return whether any migration writes both sides, so that writes of unmapped tables need care */
    boolean anyDualWrites() {
        return anyDualWrites;
    }

    /**
     * @param migration one of the migrations
     * @return its stage
     */
    Stage of(String migration) {
        return byMigration.get(migration);
    }

    /**
     * @return e.g. {@code stage DUAL_WRITE of migration orders}, or with several migrations
     *     {@code stages orders DUAL_WRITE, stock SOURCE_ONLY of this data source's migrations}
     */
    String describe() {
        if (byMigration.size() == 1) {
            Map.Entry<String, Stage> only = byMigration.entrySet().iterator().next();
            return describe(only.getKey());
        }
        List<String> each = new ArrayList<>();
        byMigration.forEach((migration, stage) -> each.add(migration + " " + stage));
        return "stages " + String.join(", ", each) + " of this data source's migrations";
    }

    /** @return {@code stage <stage> of migration <migration>} */
    String describe(String migration) {
        return "stage " + byMigration.get(migration) + " of migration " + migration;
    }

    /**
     * Why nothing may be written while the migrations disagree about the primary, and how to bring
     * them together without losing a write: the ones on the target back together, unless one is in
     * {@code TARGET_ONLY} (a move back would drop the writes made to the target alone), or the ones on
     * the source forward together, once their history is copied and verified as for any primary move.
     *
     * @param refused what was refused, e.g. {@code a write before writing anything}
     * @return the message, naming each migration's stage and the fix
     */
    String disagreement(String refused) {
        List<String> onSource = new ArrayList<>();
        List<String> onTarget = new ArrayList<>();
        boolean targetOnly = false;
        for (Map.Entry<String, Stage> e : byMigration.entrySet()) {
            String named = e.getKey() + " (" + e.getValue() + ")";
            if (e.getValue().primary() == Side.SOURCE) {
                onSource.add(named);
            } else {
                onTarget.add(named);
                targetOnly |= e.getValue() == Stage.TARGET_ONLY;
            }
        }
        String forward = "once the ones on the source are backfilled and verified as usual, bring them to SHIFT_READS"
                + " and move them to the target together with MigrationFlags.moveTogether(" + setOf(onSource)
                + ", Stage.TARGET_PRIMARY, actor, reason)";
        return "Cutover refused " + refused + ": the migrations of this CutoverDataSource disagree about"
                + " the primary (source: " + String.join(", ", onSource) + "; target: " + String.join(", ", onTarget)
                + "), and a transaction has one primary connection, which cannot be the primary of every table it may"
                + " write. Fix: " + (targetOnly ? forward : "move the ones on the target back together with"
                        + " MigrationFlags.moveTogether(" + setOf(onTarget) + ", Stage.SHIFT_READS, actor, reason)"
                        + " (their handover copies their writes back to the source); or, " + forward)
                + ". From then on move their primary only together. Writes go on by themselves once the primaries agree.";
    }

    private static String setOf(List<String> named) {
        return "Set.of(\"" + String.join("\", \"", named.stream().map(n -> n.substring(0, n.indexOf(' '))).toList())
                + "\")";
    }
}
