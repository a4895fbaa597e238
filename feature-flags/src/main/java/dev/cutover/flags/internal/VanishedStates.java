package dev.cutover.flags.internal;

import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Stage;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the last known state of a migration whose stored flags vanished from the store (a deleted
 * row, a table dropped and re-created) while it was past {@link Stage#SOURCE_ONLY}.
 *
 * <p>Why: a migration the store does not hold reads as {@link MigrationState#initial}, i.e.
 * SOURCE_ONLY. Falling back to it silently while the target is primary would send the next writes
 * to the source only. A vanished state is kept (with version 0, since the store holds none), logged
 * once at ERROR with the fix, and counted; it ends when the migration is stored again, by a restored
 * row or by an explicit flip. A migration that vanishes while SOURCE_ONLY loses nothing and is
 * simply dropped. Thread-safe.
 */
public final class VanishedStates {
    private static final Logger LOG = LoggerFactory.getLogger(VanishedStates.class);

    private final Map<String, MigrationState> kept = new ConcurrentHashMap<>();
    private final AtomicLong vanished = new AtomicLong();
    private final Set<String> auditChecked = ConcurrentHashMap.newKeySet();

    /**
     * Merges a load into the previous snapshot's view of vanished migrations.
     *
     * @param previous the snapshot before this load
     * @param loaded what the store holds now
     * @return {@code loaded} plus the kept state of every migration past SOURCE_ONLY that is no
     *     longer stored
     */
    public Map<String, MigrationState> keepVanished(Map<String, MigrationState> previous,
                                                    Map<String, MigrationState> loaded) {
        kept.keySet().removeIf(migration -> {
            MigrationState back = loaded.get(migration);
            if (back == null) {
                return false;
            }
            LOG.info("The stored flags of migration '{}' are back: following the store again, now {}", migration, back);
            return true;
        });
        for (Map.Entry<String, MigrationState> entry : previous.entrySet()) {
            MigrationState last = entry.getValue();
            if (!loaded.containsKey(entry.getKey()) && last.stage() != Stage.SOURCE_ONLY) {
                kept.computeIfAbsent(entry.getKey(), m -> vanished(last));
            }
        }
        if (kept.isEmpty()) {
            return loaded;
        }
        Map<String, MigrationState> merged = new HashMap<>(loaded);
        kept.forEach(merged::putIfAbsent);
        return merged;
    }

    /**
     * Checks, once per migration, whether a migration this process declared but the store does not
     * hold was flipped past SOURCE_ONLY before, as its newest audit entry says: then its row
     * vanished before this process started, and it is kept like one that vanished while running.
     *
     * @param declared the migrations declared in this process
     * @param loaded what the store holds now
     * @param previous the snapshot before this load
     * @param newestAudited the state of a migration's newest audit entry, or null; may throw
     *     {@link RuntimeException}, in which case the migration is checked again at the next load
     */
    public void checkAudits(Collection<String> declared, Map<String, MigrationState> loaded,
                            Map<String, MigrationState> previous, Function<String, MigrationState> newestAudited) {
        for (String migration : declared) {
            if (loaded.containsKey(migration) || previous.containsKey(migration) || !auditChecked.add(migration)) {
                continue;
            }
            MigrationState audited;
            try {
                audited = newestAudited.apply(migration);
            } catch (RuntimeException e) {
                auditChecked.remove(migration);
                LOG.debug("Could not read the audit of migration '{}' yet: {}", migration, e.toString());
                continue;
            }
            if (audited != null && audited.stage() != Stage.SOURCE_ONLY) {
                kept.computeIfAbsent(migration, m -> vanished(audited));
            }
        }
    }

    /**
     * Records that this process stored a migration again, so that it counts as vanished anew if its
     * row disappears once more, even before a load saw the stored row.
     *
     * @param stored the state just stored
     */
    public void stored(MigrationState stored) {
        if (kept.remove(stored.migration()) != null) {
            LOG.info("The stored flags of migration '{}' were stored again by a flip: now {}", stored.migration(), stored);
        }
    }

    /**
     * @param migration the migration name
     * @return the kept state of a vanished migration, or null if it did not vanish
     */
    public MigrationState kept(String migration) {
        return kept.get(migration);
    }

    /** @return how many times a migration's stored flags vanished while it was past SOURCE_ONLY */
    public long count() {
        return vanished.get();
    }

    private MigrationState vanished(MigrationState last) {
        vanished.incrementAndGet();
        String migration = last.migration();
        LOG.error("The stored flags of migration '{}' vanished from the flag store (row deleted, or table dropped and"
                + " re-created) while it was in {}. Keeping its last known state {} instead of falling back to"
                + " SOURCE_ONLY, which would send writes to the source alone. Fix: restore the row (re-insert it, or"
                + " call MigrationFlags.moveTo(\"{}\", {}, ...), which stores the kept state again), or move the"
                + " migration explicitly (moveTo an earlier stage, or MigrationFlags.reset(\"{}\", ...) to start it over)."
                + " Logged once; counted in cutover.flags.vanished", migration, last.stage(), last, migration,
                last.stage(), migration);
        return last.toBuilder().version(0).build();
    }
}
