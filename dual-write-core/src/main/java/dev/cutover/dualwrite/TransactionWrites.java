package dev.cutover.dualwrite;

import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Side;
import dev.cutover.flags.internal.WritePermit;
import dev.cutover.queue.RetryStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys that the repositories of one migration wrote inside one caller transaction
 * ({@link CallerTransactions}), and the transaction's one write permit: the keys are copied once it
 * commits, by the same {@link Mirror} calls as a write that commits on its own (copy, else queue; or,
 * with write-ahead intents, copy, else record the intent again), so a copy that fails after the
 * commit is queued as durably as any other. The permit is taken at the transaction's first write of
 * the migration and closed as it ends, so a handover waits for the copies, and a second write of the
 * transaction never waits for a handover that waits for the first. Confined to the transaction's thread.
 */
final class TransactionWrites implements CallerTransactions.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionWrites.class);

    /**
     * What the writes of a migration are registered under in a transaction: one permit per migration
     * and flags, shared by all of its repositories.
     *
     * @param flags the flags the permit comes from
     * @param migration the migration
     */
    record Key(MigrationFlags flags, String migration) {
    }

    /** Who copies a group of keys: a repository's mirror, and the store of its write-ahead intents or null. */
    private record Copier(Mirror mirror, RetryStore intents, Duration copyBudget) {
    }

    private final String migration;
    private final WritePermit permit;
    private final Map<Copier, Set<Mirror.Key>> written = new LinkedHashMap<>();
    private final Set<String> keys = new HashSet<>();
    /** Whether {@link #afterCommit()} ran: a transaction manager skips it when an earlier callback failed. */
    private boolean copied;

    TransactionWrites(String migration, WritePermit permit) {
        this.migration = migration;
        this.permit = permit;
    }

    WritePermit permit() {
        return permit;
    }

    /**
     * Adds keys a write of the transaction is about to make; added before the write runs, so that a
     * write that fails in a way that may hide a commit (its DAO on a connection outside the
     * transaction) is still covered.
     */
    void add(Mirror mirror, RetryStore intents, Duration copyBudget, List<Mirror.Key> keys) {
        written.computeIfAbsent(new Copier(mirror, intents, copyBudget), c -> new LinkedHashSet<>()).addAll(keys);
        keys.forEach(key -> this.keys.add(key.key()));
    }

    /**
     * @param key a routing key
     * @return whether the transaction wrote it: the other side has not seen the write yet
     */
    boolean owes(String key) {
        return keys.contains(key);
    }

    private Side primary() {
        return permit.stage().primary();
    }

    /**
     * A transaction whose copies could only come too late is rolled back rather than committed, as
     * in the DataSource style: nothing is then written, instead of a write that is not copied.
     */
    @Override
    public void beforeCommit() {
        if (!written.isEmpty() && !permit.ensureCopyWindow()) {
            throw new LateWriteException("The transaction was rolled back instead of committed: it wrote "
                    + primary().name().toLowerCase(Locale.ROOT) + " rows of migration " + migration + ", and that"
                    + " primary's copy window is closing (the primary is moving, or this instance's flags were not"
                    + " confirmed in time), so their copies could not be made in it. Nothing was written; retry the"
                    + " transaction");
        }
    }

    @Override
    public void afterCommit() {
        if (!copy()) {
            throw new LateWriteException("The transaction committed its writes to the "
                    + primary().name().toLowerCase(Locale.ROOT) + " of migration " + migration + ", but the copy window"
                    + " closed before they were all copied: the primary moved meanwhile, or this instance's flags were"
                    + " not confirmed in time. The late keys were not copied; once the handover is done the"
                    + " retry-queue copies them from the primary, so the writes may or may not persist. Retry the"
                    + " transaction");
        }
    }

    /** @return false if any key was late (queued for a copy from the primary after the handover) */
    private boolean copy() {
        copied = true;
        boolean inWindow = true;
        for (Map.Entry<Copier, Set<Mirror.Key>> e : written.entrySet()) {
            Mirror mirror = e.getKey().mirror();
            List<Mirror.Key> batch = new ArrayList<>(e.getValue());
            inWindow &= e.getKey().intents() != null
                    ? mirror.copy(batch, primary(), null, permit, e.getKey().intents())
                    : mirror.mirror(batch, primary(), null, permit);
        }
        return inWindow;
    }

    /**
     * Closes the permit. A commit whose {@link #afterCommit()} was skipped (Spring skips the callbacks
     * after one that failed) is copied here, its late keys queued as usual, there being no caller
     * left to tell. A transaction that did not commit copies nothing itself; without intents its
     * keys are queued all the same, since the queue copies each key's row as the primary has it, which
     * is unchanged by a rollback, and covers a DAO that wrote outside the transaction, or a commit whose
     * failure hid that it was made.
     */
    @Override
    public void afterCompletion(CallerTransactions.Outcome outcome) {
        try {
            if (outcome == CallerTransactions.Outcome.COMMITTED && !copied) {
                copy();
            } else if (outcome != CallerTransactions.Outcome.COMMITTED) {
                for (Map.Entry<Copier, Set<Mirror.Key>> e : written.entrySet()) {
                    if (e.getKey().intents() == null) {
                        e.getKey().mirror().enqueue(new ArrayList<>(e.getValue()), primary(), null,
                                CopyBudget.start(e.getKey().copyBudget()), permit);
                    }
                }
            }
        } catch (UnmirroredWriteException e) {
            // No caller is left to tell: the transaction has ended. The refused entries are logged and counted.
            LOG.error("After the transaction ended: {}", e.getMessage());
        } finally {
            permit.close();
        }
    }
}
