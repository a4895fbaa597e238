/**
 * The durable, multi-instance, per-key ordered queue of mirror writes that failed, with an optional
 * Micrometer binder.
 */
// JDBI, Resilience4j and Micrometer ship only an Automatic-Module-Name; dev.cutover.dualwrite is built
// after this module, so javac cannot see it yet ("module not found").
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module dev.cutover.queue {
    requires transitive dev.cutover.common;
    requires transitive com.fasterxml.jackson.databind;
    requires transitive io.github.resilience4j.circuitbreaker;
    requires transitive io.github.resilience4j.core;
    requires io.github.resilience4j.ratelimiter;
    requires org.jdbi.v3.core;
    requires com.github.benmanes.caffeine;
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.cutover.queue;
    exports dev.cutover.queue.micrometer;
    // The dual-write core checks keys against the pending-key cache through QueueAccess.
    exports dev.cutover.queue.internal to dev.cutover.dualwrite;

    // Dialects, in dev.cutover.common, reads this package's SQL scripts (postgresql.sql, ...).
    opens dev.cutover.queue.internal to dev.cutover.common;
}
