package dev.cutover.examples.heterogeneous;

/**
 * A customer as the application knows it: the legacy model, with the legacy id as text, one name
 * and a one-letter status ({@code A} active, {@code S} suspended, {@code C} closed).
 *
 * @param id the legacy id, e.g. {@code "42"}; on the new schema's own reads, the UUID
 * @param name the full name, possibly null
 * @param status the status code; on the new schema's own reads, the status word
 * @param email the e-mail address, possibly null
 */
public record Customer(String id, String name, String status, String email) {
}
