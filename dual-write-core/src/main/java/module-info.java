/**
 * Dual writes: repository interfaces or a {@code DataSource} wrapped so that writes reach both sides
 * by stage, key resync and the chunked backfill, with optional Micrometer binders.
 * {@code dev.cutover.dualwrite.internal} is exported only to the verifier, which shares its table mappings.
 */
// Resilience4j, Micrometer and JDBI ship only an Automatic-Module-Name; dev.cutover.verifier is built after
// this module, so javac cannot see it yet ("module not found").
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module dev.cutover.dualwrite {
    requires transitive dev.cutover.flags;
    requires transitive dev.cutover.queue;
    requires transitive dev.cutover.router;
    requires transitive io.github.resilience4j.circuitbreaker;
    requires java.sql.rowset;
    requires net.sf.jsqlparser;
    requires com.github.benmanes.caffeine;
    requires org.slf4j;
    requires static micrometer.core;
    requires static org.jdbi.v3.core;

    exports dev.cutover.dualwrite;
    exports dev.cutover.dualwrite.micrometer;
    exports dev.cutover.dualwrite.internal to dev.cutover.verifier;
}
