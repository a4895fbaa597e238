package dev.cutover.dualwrite.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The one text form of a key of several parts: parts joined with {@code ','}, and {@code ','} and
 * {@code '\'} inside a part escaped with a backslash. Routing keys of composite keys and a backfill's
 * checkpointed keys both use it, so that one reads back what the other wrote.
 */
public final class KeyParts {
    private KeyParts() {
    }

    /**
     * @param parts the parts' texts
     * @return them joined
     */
    public static String join(List<String> parts) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(parts.get(i).replace("\\", "\\\\").replace(",", "\\,"));
        }
        return text.toString();
    }

    /**
     * @param text a text {@link #join} made
     * @return its parts, unescaped; one empty part for an empty text
     */
    public static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                part.append(text.charAt(++i));
            } else if (c == ',') {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        return parts;
    }
}
