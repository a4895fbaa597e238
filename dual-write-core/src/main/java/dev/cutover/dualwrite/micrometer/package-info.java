/**
 * Micrometer binding of the dual-write counters; the only package that needs Micrometer on the
 * classpath.
 */
package dev.cutover.dualwrite.micrometer;
