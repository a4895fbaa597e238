/**
 * The JDBC wrappers behind {@code CutoverDataSource}: connections and statements as dynamic proxies
 * that classify each SQL text with JSqlParser, route reads, find the keys writes touch and hand them
 * to the dual-write core's mirror. Not an API: anything here may change in any release.
 */
package dev.cutover.dualwrite.internal.jdbc;
