/** Internals of the Spring Boot starter; not an API, may change in any release. */
package dev.cutover.spring.boot.internal;
