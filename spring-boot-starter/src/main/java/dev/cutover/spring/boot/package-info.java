/**
 * Spring Boot starter of Cutover: {@link dev.cutover.spring.boot.CutoverAutoConfiguration} builds the
 * runtime from {@code cutover.*} properties ({@link dev.cutover.spring.boot.CutoverProperties}) and
 * the migrations of {@link dev.cutover.spring.boot.CutoverMappings} beans, and makes the
 * application's primary DataSource a {@link dev.cutover.dualwrite.CutoverDataSource}.
 */
package dev.cutover.spring.boot;
