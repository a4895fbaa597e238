/**
 * Helpers the Cutover modules share; not part of the public API and free to change in any release.
 */
package dev.cutover.common.internal;
