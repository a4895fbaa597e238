/**
 * Implementation of the retry queue: the stores and the metrics. Not an API; may change without notice.
 */
package dev.cutover.queue.internal;
