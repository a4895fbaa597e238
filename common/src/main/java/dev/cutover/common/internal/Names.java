package dev.cutover.common.internal;

import dev.cutover.common.CutoverConfigurationException;
import java.util.Objects;

/**
 * The one rule for migration names, which every module checks here and nowhere else: a name becomes
 * a key of flag rows, queue entries, checkpoints and meter tags, so it must fit all of them. A name
 * is refused the way {@link Checks} refuses a setting, with a {@link CutoverConfigurationException}
 * worded {@code migration name must be <rule>, but was '<name>': <fix>}, whether it came from a
 * builder or from a call that names a migration.
 */
public final class Names {
    /** Longest migration name: the width of the name columns of the flag, queue and checkpoint tables. */
    public static final int MAX_LENGTH = 64;

    private static final String RULE = "1 to " + MAX_LENGTH + " ASCII letters, digits, '_', '.' or '-'";

    private Names() {
    }

    /**
     * Checks a migration name.
     *
     * @param migration the name
     * @return the name
     * @throws NullPointerException if it is null
     * @throws CutoverConfigurationException if it is not 1 to 64 ASCII letters, digits, '_', '.' or '-'
     */
    public static String checkMigrationName(String migration) {
        Objects.requireNonNull(migration, "null migration");
        // By hand, not by a regular expression: every wrapped write checks its migration's name, and a
        // Matcher per write was most of the allocation of a write's dispatch.
        if (!isLegal(migration)) {
            throw new CutoverConfigurationException("migration name must be " + RULE + ", but was '" + migration + "'"
                    + (migration.length() > MAX_LENGTH ? " (" + migration.length() + " characters)" : "")
                    + ": name the migration with those characters only, such as '" + suggestion(migration) + "'");
        }
        return migration;
    }

    /**
     * Tells whether a name follows the rule, for code that reads names it did not choose (stored
     * rows) and skips the illegal ones instead of failing.
     *
     * @param migration the name, or null
     * @return whether {@link #checkMigrationName} accepts it
     */
    public static boolean isLegal(String migration) {
        if (migration == null) {
            return false;
        }
        int length = migration.length();
        if (length == 0 || length > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (!legal(migration.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean legal(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-';
    }

    /** The refused name with each run of illegal characters made one '-', cut to the longest length. */
    static String suggestion(String migration) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < migration.length() && name.length() < MAX_LENGTH; i++) {
            char c = migration.charAt(i);
            if (legal(c)) {
                name.append(c);
            } else if (name.length() > 0 && name.charAt(name.length() - 1) != '-') {
                name.append('-');
            }
        }
        while (name.length() > 0 && name.charAt(name.length() - 1) == '-') {
            name.setLength(name.length() - 1);
        }
        return name.length() == 0 ? "orders" : name.toString();
    }
}
