package dev.cutover.verifier;

import java.time.Duration;

/**
 * Where a verification run stands.
 *
 * @param runId the run
 * @param entity the table being verified
 * @param rowsDone source rows compared so far in the whole run (this process's part of it, plus
 *     what a resumed run had done before)
 * @param rowsTotal the source rows of every mapped table, counted when the run started
 * @param rowsPerSecond rows compared per second by this process since it started the run
 * @param estimatedRemaining the time left at that rate; {@link Duration#ZERO} when unknown or done
 * @param differences keys found different so far, after re-checking
 */
public record Progress(String runId, String entity, long rowsDone, long rowsTotal, double rowsPerSecond,
        Duration estimatedRemaining, long differences) {
}
