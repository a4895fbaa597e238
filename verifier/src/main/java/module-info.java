/**
 * Proves that both sides hold the same rows while traffic flows, repairs through the retry-queue and
 * reports as object and JSON, with an optional Micrometer binder.
 */
// Micrometer ships only an Automatic-Module-Name.
@SuppressWarnings("requires-automatic")
module dev.cutover.verifier {
    requires transitive dev.cutover.dualwrite;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.cutover.verifier;
    exports dev.cutover.verifier.micrometer;

    // Dialects, in dev.cutover.common, reads this package's SQL scripts (postgresql.sql, ...).
    opens dev.cutover.verifier to dev.cutover.common;
}
