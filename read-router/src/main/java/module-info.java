/**
 * Routes each read to source or target by the migration's flags, falls back, shadow-compares and
 * rolls back automatically, with an optional Micrometer binder.
 */
// Resilience4j and Micrometer ship only an Automatic-Module-Name.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.cutover.router {
    requires transitive dev.cutover.flags;
    requires transitive io.github.resilience4j.circuitbreaker;
    // The breaker's event publisher and its configuration speak resilience4j-core's types.
    requires transitive io.github.resilience4j.core;
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.cutover.router;
    exports dev.cutover.router.micrometer;
}
