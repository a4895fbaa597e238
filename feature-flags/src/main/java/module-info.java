/**
 * Migration stages and read percentages, flipped at runtime and shared by every instance, with an
 * optional OpenFeature adapter and Micrometer binder.
 */
// OpenFeature and Micrometer ship only an Automatic-Module-Name; dev.cutover.router and
// dev.cutover.dualwrite are built after this module, so javac cannot see them yet ("module not found").
@SuppressWarnings({"module", "requires-automatic"})
module dev.cutover.flags {
    requires transitive dev.cutover.common;
    requires org.slf4j;
    requires static dev.openfeature.sdk;
    requires static micrometer.core;

    exports dev.cutover.flags;
    exports dev.cutover.flags.micrometer;
    exports dev.cutover.flags.openfeature;
    // The read router decides each read's side through Routing; the dual-write core takes write
    // permits and registers handover steps through Handovers.
    exports dev.cutover.flags.internal to dev.cutover.router, dev.cutover.dualwrite;

    // Dialects, in dev.cutover.common, reads this package's SQL scripts (postgresql.sql, ...).
    opens dev.cutover.flags to dev.cutover.common;
}
