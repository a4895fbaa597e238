/**
 * The verifier: proves, while traffic flows, that the source and the target of a migration hold the
 * same rows. {@link dev.cutover.verifier.Verifier} walks each mapped table in primary-key chunks,
 * compares a checksum per chunk (inside the databases when both run the same engine and the
 * mapping converts no values), compares differing chunks row by row, re-checks each differing key
 * after a delay under the source row lock, and reports what is still different in a
 * {@link dev.cutover.verifier.VerificationReport}; optionally it queues each such key for resync
 * in the retry-queue.
 */
package dev.cutover.verifier;
