/**
 * The Cutover runtime: {@link dev.cutover.Cutover}, one per application, and
 * {@link dev.cutover.Migration}, one per migration. Start here; the modules' own packages
 * ({@code dev.cutover.dualwrite}, {@code dev.cutover.flags}, {@code dev.cutover.queue},
 * {@code dev.cutover.router}, {@code dev.cutover.verifier}) hold the types these hand out and the
 * low-level builders behind them.
 */
package dev.cutover;
