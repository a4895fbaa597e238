/**
 * The dual-write core: {@link dev.cutover.dualwrite.Cutover#repository(Class)} wraps a repository so
 * that writes go to the source and the target according to the migration's stage, and
 * {@link dev.cutover.dualwrite.KeyResync} mirrors each written key by state, under the primary's
 * row lock, with {@link dev.cutover.dualwrite.TableMapping}s describing both schemas. Failed mirrors
 * go to the retry-queue and are replayed by {@link dev.cutover.dualwrite.ResyncReplayHandler}.
 */
package dev.cutover.dualwrite;
