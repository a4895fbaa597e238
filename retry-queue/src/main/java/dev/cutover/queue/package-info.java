/**
 * The retry queue: when a mirror write to the target fails while the source is primary, the
 * write is kept here, durably, and replayed until it succeeds or an operator deals with it.
 *
 * <p>Start with {@link dev.cutover.queue.RetryQueue#create}, a store from
 * {@link dev.cutover.queue.RetryStore#jdbc} (or {@link dev.cutover.queue.RetryStore#inMemory()}),
 * a {@link dev.cutover.queue.ReplayHandler} and a {@link dev.cutover.queue.RetryQueueConfig}.
 */
package dev.cutover.queue;
