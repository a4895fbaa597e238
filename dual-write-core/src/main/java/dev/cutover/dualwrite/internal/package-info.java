/**
 * Implementation of the dual-write core: the SQL that reads, locks and writes rows by key and by
 * key range (for copies and the backfill), the mapping's column and key conversions, and, in
 * {@code jdbc}, the wrappers behind {@code CutoverDataSource}. Not an API: anything here may change
 * in any release.
 */
package dev.cutover.dualwrite.internal;
