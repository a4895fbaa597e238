/**
 * Routes the reads of a migration between the source and the target database: percentage and canary
 * routing, fallback to the source behind a circuit breaker, shadow reads with value comparison,
 * mismatch reporting and automatic rollback. Start with {@link dev.cutover.router.ReadRouter}.
 */
package dev.cutover.router;
