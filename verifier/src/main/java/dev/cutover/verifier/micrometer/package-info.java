/**
 * Optional Micrometer integration: {@link dev.cutover.verifier.micrometer.VerifierMetrics} publishes
 * a run's progress as gauges. The only package of the module that uses Micrometer.
 */
package dev.cutover.verifier.micrometer;
