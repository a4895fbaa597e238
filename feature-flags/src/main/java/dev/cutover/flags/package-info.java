/**
 * Migration flags: for each named migration, its {@link dev.cutover.flags.Stage} (where writes and
 * reads go), the share of reads the target serves, the share of reads shadow-compared, and canary
 * keys. Requests read them through {@link dev.cutover.flags.MigrationFlags#state(String)}, an
 * in-memory snapshot refreshed in the background from a {@link dev.cutover.flags.FlagStore}
 * ({@link dev.cutover.flags.FlagStore#inMemory()} or {@link dev.cutover.flags.JdbcFlagStore});
 * operators flip them through {@link dev.cutover.flags.MigrationFlags}, with an audit trail.
 */
package dev.cutover.flags;
