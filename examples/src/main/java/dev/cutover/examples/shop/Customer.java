package dev.cutover.examples.shop;

import java.math.BigDecimal;

/** A shop customer with a prepaid balance. */
public record Customer(long id, String name, BigDecimal balance) {
}
