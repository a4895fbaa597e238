/**
 * Implementation of the dual-write core: the repository proxy, method classification and the SQL
 * that copies rows by key. Not an API: anything here may change in any release.
 */
package dev.cutover.dualwrite.internal;
