package dev.cutover.common.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
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
                assertEquals(RULE.matcher(name).matches(), Names.isLegal(name), "name with U+" + Integer.toHexString(c));
            }
        }
        for (int length = 0; length <= 66; length++) {
            String name = "m".repeat(length);
            assertEquals(RULE.matcher(name).matches(), accepted(name), "length " + length);
            assertEquals(RULE.matcher(name).matches(), Names.isLegal(name), "length " + length);
        }
        assertThrows(NullPointerException.class, () -> Names.checkMigrationName(null));
        assertFalse(Names.isLegal(null));
    }

    @Test
    void anIllegalName_isAConfigurationErrorNamingTheRuleTheNameAndALegalOne() {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> Names.checkMigrationName("shop orders!"));
        assertEquals("migration name must be 1 to 64 ASCII letters, digits, '_', '.' or '-', but was 'shop orders!':"
                + " name the migration with those characters only, such as 'shop-orders'", e.getMessage());

        String tooLong = "m".repeat(70);
        e = assertThrows(CutoverConfigurationException.class, () -> Names.checkMigrationName(tooLong));
        assertTrue(e.getMessage().contains("but was '" + tooLong + "' (70 characters): "), e.getMessage());
        assertTrue(e.getMessage().endsWith("such as '" + "m".repeat(64) + "'"), e.getMessage());

        e = assertThrows(CutoverConfigurationException.class, () -> Names.checkMigrationName(""));
        assertTrue(e.getMessage().contains("but was '': "), e.getMessage());
    }

    @Test
    void theSuggestedName_isAlwaysLegal() {
        for (String refused : new String[] {"", " ", "ü", "a b", "--", "  orders  ", "x".repeat(200), "a;b;c", "ä".repeat(70)}) {
            String suggestion = Names.suggestion(refused);
            assertTrue(Names.isLegal(suggestion), "'" + suggestion + "' suggested for '" + refused + "'");
        }
        assertEquals("orders", Names.suggestion("  orders  "));
        assertEquals("a-b-c", Names.suggestion("a;b;;c"));
    }

    private static boolean accepted(String name) {
        try {
            return Names.checkMigrationName(name) == name;
        } catch (CutoverConfigurationException e) {
            return false;
        }
    }
}
