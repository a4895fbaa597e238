package dev.cutover.examples.flags;

/**
 * A profile row, mapped by JDBI's constructor mapper.
 *
 * @param id the key
 * @param name the display name
 * @param visits how often the profile was visited
 */
public record Profile(long id, String name, long visits) {
}
