package dev.cutover.verifier.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/** Temporal values compare by their stored fields, whatever the JVM's zone. */
class ValuesTest {
    private final Values values = new Values(ChronoUnit.MICROS);

    @Test
    void wallTimes_compareByTheirFields_andInstantsByTheInstant_underEuropeBerlin() {
        TimeZone original = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
        try {
            LocalDateTime inGap = LocalDateTime.parse("2021-03-28T02:30:00");
            assertFalse(values.same(inGap, inGap.plusHours(1)));
            assertTrue(values.same(inGap, LocalDateTime.parse("2021-03-28T02:30:00.0000004")));
            assertTrue(values.same(OffsetDateTime.parse("2021-10-31T00:30:00Z"), OffsetDateTime.parse("2021-10-31T02:30:00+02:00")));
            assertFalse(values.same(OffsetDateTime.parse("2021-10-31T00:30:00Z"), OffsetDateTime.parse("2021-10-31T01:30:00Z")));
            // An instant against a wall time: the instant's wall time in the JVM's zone, where a copy places it.
            assertTrue(values.same(OffsetDateTime.parse("2021-03-28T01:30:00Z"), LocalDateTime.parse("2021-03-28T03:30:00")));
            assertTrue(values.same(LocalDateTime.parse("2021-06-01T14:00:00"), OffsetDateTime.parse("2021-06-01T12:00:00Z")));
            assertFalse(values.same(LocalDateTime.parse("2021-06-01T12:00:00"), OffsetDateTime.parse("2021-06-01T12:00:00Z")));
            assertTrue(values.same(LocalTime.parse("02:30:00.123456"), LocalTime.parse("02:30:00.123456")));
            assertFalse(values.same(LocalTime.parse("02:30:00.123456"), LocalTime.parse("02:30:00.123")));
        } finally {
            TimeZone.setDefault(original);
        }
    }
}
