package dev.cutover.dualwrite.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The routing keys of one {@link dev.cutover.dualwrite.TableMapping}: key values rendered as the text
 * that names a row, and that text parsed back into values of the key columns' declared types. A
 * single key column's key is its value as text; a composite key's parts are joined by
 * {@link KeyParts}. Routing keys are always in the source's terms.
 */
public final class RoutingKeyCodec {
    private final String entity;
    private final List<Column> keyColumns;

    /**
     * @param entity the mapping's entity, for the messages
     * @param keyColumns the key columns, in key order, each with its source type
     */
    public RoutingKeyCodec(String entity, List<Column> keyColumns) {
        this.entity = Objects.requireNonNull(entity, "null entity");
        this.keyColumns = List.copyOf(keyColumns);
    }

    /**
     * @param values one value per key column, in key order; rendered with {@code String.valueOf}
     * @return the routing key
     * @throws IllegalArgumentException if the number of values does not match the key columns
     * @throws NullPointerException if a value is null
     */
    public String render(Object... values) {
        Objects.requireNonNull(values, "null values");
        requireKeyCount(entity, keyColumns.size(), values.length);
        if (values.length == 1) {
            return String.valueOf(Objects.requireNonNull(values[0], "null key value"));
        }
        List<String> parts = new ArrayList<>(values.length);
        for (Object value : values) {
            parts.add(String.valueOf(Objects.requireNonNull(value, "null key value")));
        }
        return KeyParts.join(parts);
    }

    /**
     * @param key a routing key, as {@link #render} makes them
     * @return one value per key column, of the column's declared type
     * @throws IllegalArgumentException if the key has the wrong number of parts or a part does not
     *     parse as its column's type
     */
    public List<Object> parse(String key) {
        Objects.requireNonNull(key, "null key");
        // A single key's text is taken whole: its value may hold the separator or the escape.
        List<String> parts = keyColumns.size() == 1 ? List.of(key) : KeyParts.split(key);
        if (parts.size() != keyColumns.size()) {
            throw new IllegalArgumentException("Key '" + key + "' of " + entity + " has " + parts.size()
                    + " part(s), but the entity has " + keyColumns.size() + " key column(s)");
        }
        List<Object> values = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            values.add(parsePart(parts.get(i), keyColumns.get(i)));
        }
        return values;
    }

    private Object parsePart(String text, Column column) {
        try {
            if (column.keyType() == Long.class) {
                return Long.valueOf(text);
            }
            if (column.keyType() == Integer.class) {
                return Integer.valueOf(text);
            }
            if (column.keyType() == UUID.class) {
                return UUID.fromString(text);
            }
            return text;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Key part '" + text + "' of " + entity + " is not a valid "
                    + column.keyType().getSimpleName() + " for key column " + column.source(), e);
        }
    }

    /**
     * Shared with {@link RowConverter#convertKey}, so that rendering and converting a key of the
     * wrong width fail alike.
     */
    static void requireKeyCount(String entity, int keyColumns, int values) {
        if (values != keyColumns) {
            throw new IllegalArgumentException(entity + " has " + keyColumns + " key column(s), but "
                    + values + " value(s) were given");
        }
    }
}
