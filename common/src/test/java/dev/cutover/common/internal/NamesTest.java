package dev.cutover.common.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NamesTest {
    /** The rule as it was written first; the check is now by hand, and must accept exactly the same names. */
    private static final Pattern RULE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    @Test
    void checkMigrationName_acceptsExactlyTheNamesOfTheRule() {
        for (char c = 0; c < 0x3000; c++) {
            for (String name : new String[] {String.valueOf(c), "m" + c, c + "m", "ab" + c + "cd"}) {
                assertEquals(RULE.matcher(name).matches(), accepted(name), "name with U+" + Integer.toHexString(c));
            }
        }
        for (int length = 0; length <= 66; length++) {
            String name = "m".repeat(length);
            assertEquals(RULE.matcher(name).matches(), accepted(name), "length " + length);
        }
        assertThrows(NullPointerException.class, () -> Names.checkMigrationName(null));
    }

    private static boolean accepted(String name) {
        try {
            return Names.checkMigrationName(name) == name;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
