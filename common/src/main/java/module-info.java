/**
 * Types every Cutover module shares: the root exception, {@code @Beta} and SQL dialect detection.
 * {@code dev.cutover.common.internal} is exported only to the Cutover modules that use it.
 */
// Qualified exports name modules built after this one, which javac cannot see yet ("module not found").
@SuppressWarnings("module")
module dev.cutover.common {
    requires transitive java.sql;
    requires org.slf4j;

    exports dev.cutover.common;
    // dev.cutover.spring.boot is the starter's Automatic-Module-Name: it opens pools with NetworkTimeouts.
    exports dev.cutover.common.internal to
            dev.cutover.flags,
            dev.cutover.queue,
            dev.cutover.router,
            dev.cutover.dualwrite,
            dev.cutover.verifier,
            dev.cutover,
            dev.cutover.spring.boot;
}
