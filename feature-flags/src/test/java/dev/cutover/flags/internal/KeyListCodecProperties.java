package dev.cutover.flags.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

class KeyListCodecProperties {

    @Property(tries = 1000)
    void anyKeys_roundTrip(@ForAll @Size(max = 6) Set<@StringLength(min = 1, max = 30) String> keys) {
        assertEquals(keys, new HashSet<>(KeyListCodec.decode(KeyListCodec.encode(keys))));
    }

    @Example
    void whitespaceKeys_roundTrip() {
        Set<String> keys = Set.of(" ", "\u2003", "\t", "a b", "\r", "ends with CR\r", "\r\n");
        assertEquals(keys, new HashSet<>(KeyListCodec.decode(KeyListCodec.encode(keys))));
    }

    @Example
    void handWrittenLists_toleratesBlankLinesAndWindowsLineEnds() {
        assertEquals(List.of("tenant-1", "tenant-2"), KeyListCodec.decode("tenant-1\r\n\ntenant-2"));
        assertEquals(List.of(), KeyListCodec.decode(""));
        assertEquals(List.of(), KeyListCodec.decode(null));
    }

    @Example
    void aStrayBackslash_isRejectedSayingWhatIsAllowed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyListCodec.decode("a\\b"));
        assertEquals("a backslash in a key list must be followed by \\, n or r, but was followed by 'b'", e.getMessage());
    }
}
