package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ValueComparatorTest {
    record Address(String city, String zip) {
    }

    record Customer(long id, String name, Address address, List<String> tags, BigDecimal balance) {
    }

    record Line(String sku, BigDecimal price) {
    }

    record Order(String id, List<Line> lines, Instant updatedAt) {
    }

    /** A plain bean read through its getters. */
    public static final class Account {
        private final String owner;
        private final boolean active;

        Account(String owner, boolean active) {
            this.owner = owner;
            this.active = active;
        }

        public String getOwner() {
            return owner;
        }

        public boolean isActive() {
            return active;
        }
    }

    /** A class without getters, read through its fields. */
    static final class Point {
        private final int x;
        private final int y;

        Point(int x, int y) {
            this.x = x;
            this.y = y;
        }
    }

    private final ValueComparator defaults = ValueComparator.ofDefaults();

    private static Customer customer(String city) {
        return new Customer(7, "Ada", new Address(city, "1000"), List.of("vip", "early"), new BigDecimal("10.50"));
    }

    private static ValueDifference only(List<ValueDifference> differences) {
        assertEquals(1, differences.size(), () -> "expected one difference but got " + differences);
        return differences.get(0);
    }

    @Test
    void equalRecords_haveNoDifferences() {
        assertEquals(List.of(), defaults.compare(customer("Paris"), customer("Paris")));
    }

    @Test
    void recordComponent_isReportedAtItsNestedPath_withBothValues() {
        ValueDifference d = only(defaults.compare(customer("Paris"), customer("Lyon")));
        assertEquals(new ValueDifference("address.city", "Paris", "Lyon"), d);
    }

    @Test
    void mapEntries_areComparedByKey_andAnAbsentKeyEqualsNull() {
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("id", 1);
        source.put("email", "a@x");
        source.put("note", null);
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("id", 1L);
        target.put("email", "b@x");
        assertEquals(new ValueDifference("email", "a@x", "b@x"), only(defaults.compare(source, target)));
    }

    @Test
    void listElements_areReportedByPosition_andExtraElementsAgainstNull() {
        List<ValueDifference> differences = defaults.compare(List.of("a", "b"), List.of("a", "c", "d"));
        assertEquals(List.of(new ValueDifference("[1]", "b", "c"), new ValueDifference("[2]", null, "d")), differences);
    }

    @Test
    void listOrder_mattersByDefault() {
        assertEquals(2, defaults.compare(List.of(1, 2), List.of(2, 1)).size());
    }

    @Test
    void unorderedLists_ignoreOrder_butStillReportAChangedElementAtItsField() {
        ValueComparator unordered = ValueComparator.custom().unorderedLists(true).build();
        List<Line> source = List.of(new Line("a", BigDecimal.ONE), new Line("b", BigDecimal.TEN));
        List<Line> reversed = List.of(source.get(1), source.get(0));
        assertEquals(List.of(), unordered.compare(source, reversed));

        List<Line> changed = List.of(new Line("b", BigDecimal.TEN), new Line("a", new BigDecimal("2")));
        assertEquals(new ValueDifference("[0].price", BigDecimal.ONE, new BigDecimal("2")), only(unordered.compare(source, changed)));
    }

    @Test
    void unorderedLists_reportMissingAndExtraElements() {
        ValueComparator unordered = ValueComparator.custom().unorderedLists(true).build();
        List<ValueDifference> differences = unordered.compare(List.of("a", "b", "c"), List.of("c", "a"));
        assertEquals(List.of(new ValueDifference("[1]", "b", null)), differences);
    }

    @Test
    void sets_areComparedWithoutOrder_whateverTheirImplementation() {
        assertEquals(List.of(), defaults.compare(Set.of("x", "y", "z"), new TreeSet<>(List.of("z", "y", "x"))));
        assertEquals(1, defaults.compare(Set.of("x", "y"), Set.of("x", "q")).size());
    }

    @Test
    void optionals_compareTheirContent() {
        assertEquals(List.of(), defaults.compare(Optional.of(new BigDecimal("1.0")), Optional.of(BigDecimal.ONE)));
        assertEquals(new ValueDifference("", "a", null), only(defaults.compare(Optional.of("a"), Optional.empty())));
        assertEquals(new ValueDifference("city", "A", "B"),
                only(defaults.compare(Optional.of(new Address("A", "1")), Optional.of(new Address("B", "1")))));
    }

    @Test
    void arrays_areComparedByElement_includingPrimitiveArraysAgainstLists() {
        assertEquals(List.of(), defaults.compare(new int[] {1, 2, 3}, new int[] {1, 2, 3}));
        assertEquals(new ValueDifference("[2]", 3, 4), only(defaults.compare(new int[] {1, 2, 3}, new int[] {1, 2, 4})));
        assertEquals(List.of(), defaults.compare(new String[] {"a"}, List.of("a")));
        assertEquals(List.of(), defaults.compare(new byte[] {1, 2}, new byte[] {1, 2}));
    }

    @Test
    void numbers_areComparedByValueAcrossTypes() {
        assertEquals(List.of(), defaults.compare(5, 5L));
        assertEquals(List.of(), defaults.compare(BigInteger.valueOf(5), (short) 5));
        assertEquals(List.of(), defaults.compare(new BigDecimal("5.00"), 5));
        assertEquals(1, defaults.compare(5, 6L).size());
    }

    @Test
    void numericScale_isIgnoredByDefault_andComparedWhenAsked() {
        assertEquals(List.of(), defaults.compare(new BigDecimal("1.50"), new BigDecimal("1.5")));
        ValueComparator strict = ValueComparator.custom().ignoreNumericScale(false).build();
        assertEquals(1, strict.compare(new BigDecimal("1.50"), new BigDecimal("1.5")).size());
        assertEquals(List.of(), strict.compare(new BigDecimal("1.50"), new BigDecimal("1.50")));
    }

    @Test
    void doubles_areExactByDefault_andWithinEpsilonWhenConfigured() {
        assertEquals(1, defaults.compare(0.1 + 0.2, 0.3).size());
        assertEquals(List.of(), defaults.compare(Double.NaN, Double.NaN));
        ValueComparator tolerant = ValueComparator.custom().doubleEpsilon(1e-9).build();
        assertEquals(List.of(), tolerant.compare(0.1 + 0.2, 0.3));
        assertEquals(List.of(), tolerant.compare(1.0f, new BigDecimal("1.0000000001")));
        assertEquals(1, tolerant.compare(0.3, 0.31).size());
    }

    @Test
    void timestamps_areExactByDefault_andEqualWithinTheConfiguredPrecision() {
        LocalDateTime micros = LocalDateTime.of(2026, 1, 2, 3, 4, 5, 123_456_000);
        LocalDateTime millisTruncated = LocalDateTime.of(2026, 1, 2, 3, 4, 5, 123_000_000);
        LocalDateTime millisRounded = LocalDateTime.of(2026, 1, 2, 3, 4, 5, 124_000_000);
        assertEquals(1, defaults.compare(micros, millisTruncated).size());

        ValueComparator millis = ValueComparator.custom().timestampPrecision(ChronoUnit.MILLIS).build();
        assertEquals(List.of(), millis.compare(micros, millisTruncated));
        assertEquals(List.of(), millis.compare(micros, millisRounded));
        assertEquals(1, millis.compare(micros, millisRounded.plusNanos(1_000_000)).size());
        assertEquals(List.of(), millis.compare(Timestamp.valueOf(micros), millisTruncated),
                "JDBC timestamps are compared as LocalDateTime");
    }

    @Test
    void zonedValues_areComparedAsInstants_unlessNormalisationIsOff() {
        OffsetDateTime paris = OffsetDateTime.of(2026, 5, 1, 12, 0, 0, 0, ZoneOffset.ofHours(2));
        OffsetDateTime utc = OffsetDateTime.of(2026, 5, 1, 10, 0, 0, 0, ZoneOffset.UTC);
        assertEquals(List.of(), defaults.compare(paris, utc));
        assertEquals(List.of(), defaults.compare(paris, utc.toInstant()));
        assertEquals(List.of(), defaults.compare(ZonedDateTime.ofInstant(utc.toInstant(), ZoneId.of("Asia/Tokyo")), utc));

        ValueComparator strictZones = ValueComparator.custom().normaliseTimeZones(false).build();
        assertEquals(1, strictZones.compare(paris, utc).size());
        assertEquals(List.of(), strictZones.compare(utc, utc));
    }

    @Test
    void dates_andOtherJdkValues_useEquals() {
        assertEquals(List.of(), defaults.compare(LocalDate.of(2026, 1, 1), java.sql.Date.valueOf("2026-01-01")));
        assertEquals(1, defaults.compare("a", "b").size());
        assertEquals(1, defaults.compare(ChronoUnit.DAYS, ChronoUnit.HOURS).size());
        assertEquals(new ValueDifference("", "a", 1), only(defaults.compare("a", 1)));
    }

    @Test
    void beans_areComparedByGetters() {
        assertEquals(List.of(), defaults.compare(new Account("ada", true), new Account("ada", true)));
        assertEquals(new ValueDifference("active", true, false),
                only(defaults.compare(new Account("ada", true), new Account("ada", false))));
    }

    @Test
    void objectsWithoutGetters_areComparedByFields() {
        assertEquals(List.of(), defaults.compare(new Point(1, 2), new Point(1, 2)));
        assertEquals(new ValueDifference("y", 2, 3), only(defaults.compare(new Point(1, 2), new Point(1, 3))));
    }

    @Test
    void ignoredName_isLeftOutAtAnyDepth() {
        ValueComparator ignoring = ValueComparator.custom().ignoreFields("city").build();
        assertEquals(List.of(), ignoring.compare(customer("Paris"), customer("Lyon")));
        assertEquals(List.of(), ignoring.compare(Map.of("city", 1), Map.of("city", 2)));
    }

    @Test
    void ignoredPath_isLeftOutOnlyThere_acrossListPositions() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        Order source = new Order("o1", List.of(new Line("a", BigDecimal.ONE), new Line("b", BigDecimal.ONE)), now);
        Order target = new Order("o1", List.of(new Line("a", BigDecimal.TEN), new Line("b", BigDecimal.ONE)), now.plusSeconds(1));
        ValueComparator ignoring = ValueComparator.custom().ignoreFields("lines[].price").build();
        assertEquals(List.of("updatedAt"), ignoring.compare(source, target).stream().map(ValueDifference::path).toList());

        ValueComparator ignoringOtherPath = ValueComparator.custom().ignoreFields("other.price").build();
        assertEquals(2, ignoringOtherPath.compare(source, target).size());
    }

    @Test
    void nullAgainstValue_isADifference_andNullAgainstNullIsNot() {
        assertEquals(List.of(), defaults.compare(null, null));
        assertEquals(new ValueDifference("", null, "x"), only(defaults.compare(null, "x")));
    }

    @Test
    void maskedDifference_hidesValuesButKeepsNulls() {
        ValueDifference masked = new ValueDifference("email", "a@x", null).masked();
        assertEquals(new ValueDifference("email", ValueDifference.MASK, null), masked);
    }

    @Test
    void illegalOptions_areRejectedNamingTheFieldAndAllowedValues() {
        CutoverConfigurationException e = assertThrows(CutoverConfigurationException.class,
                () -> ValueComparator.custom().timestampPrecision(ChronoUnit.DAYS));
        assertTrue(e.getMessage().contains("timestampPrecision") && e.getMessage().contains("MICROS"), e.getMessage());
        e = assertThrows(CutoverConfigurationException.class, () -> ValueComparator.custom().doubleEpsilon(-1));
        assertTrue(e.getMessage().startsWith("doubleEpsilon"), e.getMessage());
        assertThrows(CutoverConfigurationException.class, () -> ValueComparator.custom().ignoreFields(" "));
    }
}
