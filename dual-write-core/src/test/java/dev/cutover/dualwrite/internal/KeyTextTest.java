package dev.cutover.dualwrite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class KeyTextTest {
    @Property(tries = 500)
    void decode_ofEncode_givesTheSameValuesOfTheSameTypes(@ForAll("keys") List<Object> values) {
        assertEquals(values, KeyText.decode(KeyText.encode(values)));
    }

    @Property(tries = 300)
    void split_ofJoin_givesTheSameParts(@ForAll("parts") List<String> parts) {
        assertEquals(parts, KeyParts.split(KeyParts.join(parts)));
    }

    @Test
    void decode_refusesATextWithoutTypes() {
        assertThrows(IllegalArgumentException.class, () -> KeyText.decode("12,a"));
    }

    @Test
    void encode_refusesAValueOfAnotherType_namingIt() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> KeyText.encode(List.of(1L, 2.5)));
        assertEquals("A backfill checkpoints keys of types Long, Integer, Short, BigInteger, BigDecimal, UUID and"
                + " String, but a key value is a java.lang.Double", refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeyText.encode(Arrays.asList(1L, null)));
    }

    @Provide
    Arbitrary<List<Object>> keys() {
        Arbitrary<Object> value = Arbitraries.oneOf(Arbitraries.longs().map(v -> (Object) v),
                Arbitraries.integers().map(v -> (Object) v), Arbitraries.shorts().map(v -> (Object) v),
                Arbitraries.bigIntegers().map(v -> (Object) v), Arbitraries.bigDecimals().map(v -> (Object) v),
                Arbitraries.create(UUID::randomUUID).map(v -> (Object) v),
                Arbitraries.strings().withChars("ab,\\:x ").ofMaxLength(6).map(v -> (Object) v));
        return value.list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<String>> parts() {
        return Arbitraries.strings().withChars("ab,\\").ofMaxLength(5).list().ofMinSize(1).ofMaxSize(4);
    }
}
