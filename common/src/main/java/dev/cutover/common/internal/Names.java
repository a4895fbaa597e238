package dev.cutover.common.internal;

import java.util.Objects;

/**
 * The one rule for migration names, which every module checks the same way: a name becomes a key of
 * flag rows, queue entries, checkpoints and meter tags, so it must fit all of them.
 */
public final class Names {
    private static final int MAX_LENGTH = 64;

    private Names() {
    }

    /**
     * Checks a migration name.
     *
     * @param migration the name
     * @return the name
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if it is not 1 to 64 ASCII letters, digits, '_', '.' or '-'
     */
    public static String checkMigrationName(String migration) {
        Objects.requireNonNull(migration, "null migration");
        // By hand, not by a regular expression: every wrapped write checks its migration's name, and a
        // Matcher per write was most of the allocation of a write's dispatch.
        if (!legal(migration)) {
            throw new IllegalArgumentException("migration name must be 1 to 64 ASCII letters, digits, '_', '.' or '-',"
                    + " but was '" + migration + "'");
        }
        return migration;
    }

    private static boolean legal(String migration) {
        int length = migration.length();
        if (length == 0 || length > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = migration.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
