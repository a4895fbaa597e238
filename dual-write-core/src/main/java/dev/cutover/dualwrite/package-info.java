/**
 * The dual-write core: {@link dev.cutover.dualwrite.DualWrite#repository(Class)} wraps a repository, and
 * {@link dev.cutover.dualwrite.DualWrite#dataSource(javax.sql.DataSource, javax.sql.DataSource)} wraps
 * the two connection pools of plain JDBC code, so that writes go to the source and the target
 * according to the migration's stage, and
 * {@link dev.cutover.dualwrite.RowCopier} mirrors each written key by state, under the primary's
 * row lock, with {@link dev.cutover.dualwrite.TableMapping}s describing both schemas. Failed mirrors
 * go to the retry-queue and are replayed by {@link dev.cutover.dualwrite.CopyReplayHandler}. Both
 * styles share that one mirror and give the same guarantees: a primary failure fails the call and
 * reaches nothing on the other side, a mirror failure never fails the call (its key is queued), and
 * once writes stop and the queue drains both sides hold the same rows.
 */
package dev.cutover.dualwrite;
