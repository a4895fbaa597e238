package dev.cutover.dualwrite.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Key values as text and back, with their Java types, for a backfill's checkpoint: a resumed chunk
 * binds its bound with the type it was read with, so that a {@code BIGINT} key is compared with a
 * {@code BIGINT} (a {@code NUMERIC} bound would keep PostgreSQL off the key's index). Each value is a
 * type letter, a colon and its text; values are joined with {@code ','}, and {@code ','} and
 * {@code '\'} in a value are escaped with a backslash.
 */
public final class KeyText {
    private static final TypeLabels<Character> TAGS = TypeLabels.of(Map.entry(Long.class, 'L'),
            Map.entry(Integer.class, 'I'), Map.entry(Short.class, 'H'), Map.entry(BigInteger.class, 'B'),
            Map.entry(BigDecimal.class, 'D'), Map.entry(UUID.class, 'U'), Map.entry(String.class, 'S'));

    private KeyText() {
    }

    /**
     * @param values key values as a driver returned them
     * @return their text
     * @throws IllegalArgumentException if a value is null or of a type a key is never read as
     */
    public static String encode(List<Object> values) {
        List<String> parts = new ArrayList<>(values.size());
        for (Object value : values) {
            parts.add(tag(value) + ":" + value);
        }
        return KeyParts.join(parts);
    }

    /**
     * @param text a text {@link #encode} made
     * @return the values, of the types they were encoded with
     * @throws IllegalArgumentException if the text is malformed
     */
    public static List<Object> decode(String text) {
        List<Object> values = new ArrayList<>();
        for (String part : KeyParts.split(text)) {
            values.add(value(part, text));
        }
        return values;
    }

    private static char tag(Object value) {
        return TAGS.labelOf(value).orElseThrow(() -> new IllegalArgumentException(
                "A backfill checkpoints keys of types Long, Integer, Short, BigInteger,"
                + " BigDecimal, UUID and String, but a key value is "
                + (value == null ? "null" : "a " + value.getClass().getName())));
    }

    private static Object value(String part, String text) {
        if (part.length() < 2 || part.charAt(1) != ':') {
            throw new IllegalArgumentException("Malformed backfill checkpoint key (" + text.length() + " characters)");
        }
        String body = part.substring(2);
        return switch (part.charAt(0)) {
            case 'L' -> Long.valueOf(body);
            case 'I' -> Integer.valueOf(body);
            case 'H' -> Short.valueOf(body);
            case 'B' -> new BigInteger(body);
            case 'D' -> new BigDecimal(body);
            case 'U' -> UUID.fromString(body);
            case 'S' -> body;
            default -> throw new IllegalArgumentException("Malformed backfill checkpoint key: unknown type '"
                    + part.charAt(0) + "'");
        };
    }
}
