/**
 * Implementation details of the feature-flags module; not an API, may change in any release.
 */
package dev.cutover.flags.internal;
