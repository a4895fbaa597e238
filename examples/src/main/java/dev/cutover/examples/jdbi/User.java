package dev.cutover.examples.jdbi;

/**
 * A user row, mapped by JDBI's constructor mapper.
 *
 * @param id the key
 * @param email the e-mail address
 * @param name the display name
 * @param karma a counter the application increments in SQL
 */
public record User(long id, String email, String name, int karma) {
}
