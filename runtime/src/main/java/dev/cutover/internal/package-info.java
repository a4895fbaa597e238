/** Internals of the runtime; not an API, may change in any release. */
package dev.cutover.internal;
