/** Actuator support: the {@code cutover} health indicator and the {@code /actuator/cutover} endpoint. */
package dev.cutover.spring.boot.actuate;
