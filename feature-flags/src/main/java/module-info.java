/**
 * Migration stages and read percentages, flipped at runtime and shared by every instance, with an
 * optional OpenFeature adapter and Micrometer binder.
 */
// OpenFeature and Micrometer ship only an Automatic-Module-Name; dev.cutover.dualwrite is built after
// this module, so javac cannot see it yet ("module not found").
@SuppressWarnings({"module", "requires-automatic"})
module dev.cutover.flags {
    requires transitive dev.cutover.common;
    requires org.slf4j;
    requires static dev.openfeature.sdk;
    requires static micrometer.core;

    exports dev.cutover.flags;
    exports dev.cutover.flags.micrometer;
    exports dev.cutover.flags.openfeature;
    exports dev.cutover.flags.internal to dev.cutover.dualwrite;

    // Dialects, in dev.cutover.common, reads this package's SQL scripts (postgresql.sql, ...).
    opens dev.cutover.flags to dev.cutover.common;
}
