/**
 * Types every Cutover module shares: {@link dev.cutover.common.CutoverException}, the root of
 * Cutover's unchecked exceptions, and {@link dev.cutover.common.Dialect}, the supported databases.
 */
package dev.cutover.common;
