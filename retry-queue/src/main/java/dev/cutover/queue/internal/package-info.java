/**
 * Implementation of the retry queue: the stores, the listeners, the replay workers and the pending-key
 * cache. Not an API; may change without notice.
 */
package dev.cutover.queue.internal;
