package dev.cutover.dualwrite;

/**
 * The child process of {@link CrashSafeAsyncTest}: {@link CrashingLedgerWriter}'s crash-safe ledger
 * with its row copier in {@link MirrorMode#ASYNC}, so that a kill also takes the keys still pending
 * in memory, whose copies only the write-ahead intents then cover. It prints {@code writing} once
 * its first write is done. Its queue does not drain, so every copy it could not make is left to the parent.
 */
public final class CrashingAsyncLedgerWriter {
    private CrashingAsyncLedgerWriter() {
    }

    /**
     * Writes forever.
     *
     * @param args source JDBC URL, target JDBC URL, random seed
     */
    public static void main(String[] args) throws Exception {
        CrashingLedgerWriter.writeUntilKilled(args, MirrorMode.ASYNC);
    }
}
