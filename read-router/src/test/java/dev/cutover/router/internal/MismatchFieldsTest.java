package dev.cutover.router.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MismatchFieldsTest {
    @Test
    void fieldOf_leavesOutPositions_andMasksSegmentsThatAreData() {
        assertEquals("email", MismatchFields.fieldOf("email"));
        assertEquals("lines.price", MismatchFields.fieldOf("lines[2].price"));
        assertEquals("email", MismatchFields.fieldOf("[3].email"), "a list result's element fields");
        assertEquals(MismatchFields.RESULT, MismatchFields.fieldOf(""));
        assertEquals(MismatchFields.RESULT, MismatchFields.fieldOf("[7]"));
        assertEquals("*.email", MismatchFields.fieldOf("42.email"), "a map keyed by id");
        assertEquals("byMail.*.com.status", MismatchFields.fieldOf("byMail.ada@example.com.status"),
                "the address is split at its dots, and only its plain-name parts stay");
        assertEquals("*", MismatchFields.fieldOf("first name"));
        assertEquals("address_line2", MismatchFields.fieldOf("address_line2"));
    }

    @Test
    void theFirstFieldsAreCountedByName_laterOnesTogether_andWatchersHearEachNameOnce() {
        MismatchFields fields = new MismatchFields();
        List<String> heard = new ArrayList<>();
        fields.count(List.of("early"));
        fields.watch(heard::add);
        for (int i = 0; i < MismatchFields.LIMIT + 10; i++) {
            fields.count(List.of("f" + i, "early"));
        }
        Map<String, Long> counts = fields.snapshot();
        assertEquals(MismatchFields.LIMIT + 1, counts.size(), "the limit of names, plus the bucket for the rest");
        assertEquals(MismatchFields.LIMIT + 11, counts.get("early"));
        assertEquals(1, counts.get("f0"));
        assertEquals(1, counts.get("f" + (MismatchFields.LIMIT - 2)));
        assertEquals(null, counts.get("f" + (MismatchFields.LIMIT - 1)));
        assertEquals(11, counts.get(MismatchFields.OTHER));
        assertEquals(List.copyOf(counts.keySet()), heard);
    }
}
