/**
 * The Cutover runtime, what an application requires: {@code dev.cutover.Cutover} and
 * {@code dev.cutover.Migration}, and through them every other Cutover module's public packages.
 */
// Micrometer ships only an Automatic-Module-Name.
@SuppressWarnings("requires-automatic")
module dev.cutover {
    requires transitive dev.cutover.dualwrite;
    requires transitive dev.cutover.verifier;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.cutover;
}
