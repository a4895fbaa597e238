package dev.cutover.examples.heterogeneous;

import dev.cutover.dualwrite.KeyTranslation;
import dev.cutover.dualwrite.RepositoryBuilder;
import dev.cutover.dualwrite.TableMapping;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How a legacy {@code customer} row becomes a new {@code customers} row and back: the one place
 * that knows both models. Every conversion has an inverse, because while the new schema is primary
 * its rows are copied back to the legacy table, so that a rollback finds it complete.
 */
final class CustomerMapping {
    /** Legacy status codes and the words the new schema stores; one to one, or the copy back could not choose. */
    static final Map<String, String> STATUS_WORDS = Map.of("A", "active", "S", "suspended", "C", "closed");
    private static final Map<String, String> STATUS_CODES = Map.of("active", "A", "suspended", "S", "closed", "C");

    private CustomerMapping() {
    }

    /**
     * The table mapping {@link dev.cutover.dualwrite.RowCopier} copies rows with.
     *
     * @param ids legacy ids to UUIDs, through the id map on the new database
     * @return {@code customer(id, name, status, email)} to
     *     {@code customers(id, first_name, last_name, status, email)}
     */
    static TableMapping mapping(KeyTranslation ids) {
        return TableMapping.builder("customers")
                .sourceTable("customer").targetTable("customers")
                // The routing key stays the legacy id; the target row is addressed by its UUID.
                .key("id", "id", Integer.class, ids)
                // One column becomes two: both directions, since rows also travel back.
                .columns(List.of("name"), List.of("first_name", "last_name"),
                        values -> splitName((String) values.get(0)),
                        values -> Arrays.asList(joinName((String) values.get(0), (String) values.get(1))))
                // 'A' <-> 'active'; the builder checks that the map is one to one.
                .column("status", "status", STATUS_WORDS)
                .column("email")
                .build();
    }

    /**
     * Lets the new schema's {@link Customers#find} answer for the legacy model: the legacy id goes
     * in as the customer's UUID, and the answer comes back with the legacy id and status code. With
     * it, a shadow read compares like with like; without it, every comparison would differ.
     *
     * @param builder the repository's builder
     * @param ids the id translation of the mapping
     * @return the builder
     */
    static RepositoryBuilder<Customers> translateReads(RepositoryBuilder<Customers> builder, KeyTranslation ids) {
        return builder.targetRead("find",
                args -> new Object[] {ids.toTarget(Integer.valueOf((String) args[0])).toString()},
                result -> {
                    if (result == null) {
                        return null;
                    }
                    Customer c = (Customer) result;
                    Object legacyId = ids.toSource(UUID.fromString(c.id()));
                    return new Customer(String.valueOf(legacyId), c.name(), STATUS_CODES.get(c.status()), c.email());
                });
    }

    /**
     * Splits a full name at its last space: {@code "Mary Ann Evans"} to {@code ["Mary Ann", "Evans"]};
     * a name without a space has no last name. {@link #joinName} undoes it for every string.
     *
     * @param name the full name, possibly null
     * @return first and last name, either possibly null
     */
    static List<Object> splitName(String name) {
        if (name == null) {
            return Arrays.asList(null, null);
        }
        int space = name.lastIndexOf(' ');
        return space < 0 ? Arrays.asList(name, null) : Arrays.asList(name.substring(0, space), name.substring(space + 1));
    }

    /**
     * Joins first and last name back into the legacy full name.
     *
     * @param first the first name, possibly null
     * @param last the last name, possibly null
     * @return the full name
     */
    static String joinName(String first, String last) {
        if (last == null) {
            return first;
        }
        return (first == null ? "" : first) + " " + last;
    }

    /**
     * @param code a legacy status code
     * @return its word on the new schema
     * @throws IllegalArgumentException if the code is unknown
     */
    static String word(String code) {
        String word = STATUS_WORDS.get(code);
        if (word == null) {
            throw new IllegalArgumentException("Unknown status code '" + code + "'; known codes are " + STATUS_WORDS.keySet());
        }
        return word;
    }
}
