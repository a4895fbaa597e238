/**
 * The verifier's implementation: schema checks, per-dialect chunk SQL, value normalisation and the
 * per-table walk. Not part of the public API; may change without notice.
 */
package dev.cutover.verifier.internal;
