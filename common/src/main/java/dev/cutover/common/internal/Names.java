package dev.cutover.common.internal;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one rule for migration names, which every module checks the same way: a name becomes a key of
 * flag rows, queue entries, checkpoints and meter tags, so it must fit all of them.
 */
public final class Names {
    private static final Pattern MIGRATION = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

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
        if (!MIGRATION.matcher(migration).matches()) {
            throw new IllegalArgumentException("migration name must be 1 to 64 ASCII letters, digits, '_', '.' or '-',"
                    + " but was '" + migration + "'");
        }
        return migration;
    }
}
