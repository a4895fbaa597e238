package dev.cutover.flags.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Canary key lists as one text value: one key per line, sorted, with {@code \} written as
 * {@code \\} and line breaks inside a key as {@code \n} / {@code \r}. Line-per-key keeps hand edits
 * easy ({@code 'tenant-1' || chr(10) || 'tenant-2'}) while any key survives the round trip.
 */
public final class KeyListCodec {
    private KeyListCodec() {
    }

    /**
     * Encodes keys.
     *
     * @param keys the keys
     * @return the text; empty for no keys
     */
    public static String encode(Collection<String> keys) {
        StringBuilder text = new StringBuilder();
        for (String key : new TreeSet<>(keys)) {
            if (text.length() > 0) {
                text.append('\n');
            }
            for (int i = 0; i < key.length(); i++) {
                char c = key.charAt(i);
                switch (c) {
                    case '\\' -> text.append("\\\\");
                    case '\n' -> text.append("\\n");
                    case '\r' -> text.append("\\r");
                    default -> text.append(c);
                }
            }
        }
        return text.toString();
    }

    /**
     * Decodes keys; empty lines and a trailing carriage return of a hand-written line are ignored.
     *
     * @param text the text, or null for no keys
     * @return the keys in stored order
     * @throws IllegalArgumentException if a backslash is followed by anything but {@code \ n r}
     */
    public static List<String> decode(String text) {
        List<String> keys = new ArrayList<>();
        if (text == null) {
            return keys;
        }
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                char next = i + 1 < text.length() ? text.charAt(++i) : ' ';
                switch (next) {
                    case '\\' -> key.append('\\');
                    case 'n' -> key.append('\n');
                    case 'r' -> key.append('\r');
                    default -> throw new IllegalArgumentException("a backslash in a key list must be followed by"
                            + " \\, n or r, but was followed by '" + next + "'");
                }
            } else if (c == '\n') {
                addKey(keys, key);
            } else if (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) == '\n')) {
                // A hand-written line's Windows line end. Only a raw one: an escaped \r at the end of
                // a key is part of the key.
                continue;
            } else {
                key.append(c);
            }
        }
        addKey(keys, key);
        return keys;
    }

    private static void addKey(List<String> keys, StringBuilder key) {
        if (key.length() > 0) {
            keys.add(key.toString());
        }
        key.setLength(0);
    }
}
