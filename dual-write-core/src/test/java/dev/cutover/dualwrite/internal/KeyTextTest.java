package dev.cutover.dualwrite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
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

    @Provide
    Arbitrary<List<Object>> keys() {
        Arbitrary<Object> value = Arbitraries.oneOf(Arbitraries.longs().map(v -> (Object) v),
                Arbitraries.integers().map(v -> (Object) v),
                Arbitraries.strings().withChars("ab,\\:x ").ofMaxLength(6).map(v -> (Object) v));
        return value.list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<String>> parts() {
        return Arbitraries.strings().withChars("ab,\\").ofMaxLength(5).list().ofMinSize(1).ofMaxSize(4);
    }
}
