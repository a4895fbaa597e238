package dev.cutover.verifier.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes key values read from a database into checkpoint text and back, keeping each value's Java
 * type so that it binds to the key columns as it did when read: a JSON array of {@code "T:value"}.
 */
public final class KeyCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyCodec() {
    }

    /**
     * Encodes key values.
     *
     * @param values the values, or null
     * @return the text, or null for null
     */
    public static String encode(List<Object> values) {
        if (values == null) {
            return null;
        }
        ArrayNode array = JSON.createArrayNode();
        for (Object value : values) {
            array.add(tag(value) + ":" + value);
        }
        return array.toString();
    }

    /**
     * Decodes key values.
     *
     * @param text what {@link #encode} wrote, or null
     * @return the values, or null for null
     * @throws IllegalArgumentException if the text is not such an encoding
     */
    public static List<Object> decode(String text) {
        if (text == null) {
            return null;
        }
        try {
            List<Object> values = new ArrayList<>();
            for (JsonNode node : JSON.readTree(text)) {
                String s = node.asText();
                String v = s.substring(2);
                switch (s.charAt(0)) {
                    case 'L': values.add(Long.valueOf(v)); break;
                    case 'I': values.add(Integer.valueOf(v)); break;
                    case 'U': values.add(UUID.fromString(v)); break;
                    case 'D': values.add(new BigDecimal(v)); break;
                    case 'T': values.add(LocalDateTime.parse(v.replace(' ', 'T'))); break;
                    case 'A': values.add(LocalDate.parse(v)); break;
                    default: values.add(v); break;
                }
            }
            return values;
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException("Malformed checkpoint key '" + text + "'", e);
        }
    }

    private static char tag(Object value) {
        if (value instanceof Long) {
            return 'L';
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return 'I';
        }
        if (value instanceof UUID) {
            return 'U';
        }
        if (value instanceof BigDecimal) {
            return 'D';
        }
        if (value instanceof LocalDateTime) {
            return 'T';
        }
        if (value instanceof LocalDate) {
            return 'A';
        }
        return 'S';
    }
}
