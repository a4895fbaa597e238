package dev.cutover.dualwrite.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Side;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The row copier, the JDBC proxy and the verifier reach a mapping's conversions only through {@link Mappings}. */
class MappingsTest {

    @Test
    void convertsRowsAndKeysAsTheMappingDoes() {
        TableMapping mapping = TableMapping.builder("customer").key("id", Long.class)
                .column("status", "status", Map.of("A", "active", "S", "suspended")).build();
        assertEquals(List.of(7L, "active"), Mappings.convertRow(mapping, Side.SOURCE, List.of(7L, "A")));
        assertEquals(List.of(7L, "S"), Mappings.convertRow(mapping, Side.TARGET, List.of(7L, "suspended")));
        assertEquals(List.of(7L), Mappings.convertKey(mapping, Side.SOURCE, List.of(7L)));
        assertEquals(List.of("id"), Mappings.keyColumns(mapping).stream().map(Column::source).toList());
        assertEquals(2, Mappings.groups(mapping).size());
        assertFalse(Mappings.isIdentity(mapping), "a code map converts values");
        assertTrue(Mappings.isIdentity(TableMapping.builder("plain").key("id", Long.class).column("a", "b").build()),
                "a rename converts nothing");
    }

    @Test
    void onlyTableMappingInstallsTheAccess_once() {
        TableMapping.builder("loaded").key("id", Long.class).column("a", "b").build();
        Mappings.Access impostor = new Mappings.Access() {
            @Override
            public List<ColumnGroup> groups(TableMapping mapping) {
                return List.of();
            }

            @Override
            public List<Column> keyColumns(TableMapping mapping) {
                return List.of();
            }

            @Override
            public boolean isIdentity(TableMapping mapping) {
                return true;
            }

            @Override
            public List<Object> convertRow(TableMapping mapping, Side from, List<Object> row) {
                return row;
            }

            @Override
            public List<Object> convertKey(TableMapping mapping, Side from, List<Object> keyValues) {
                return keyValues;
            }
        };
        assertThrows(IllegalStateException.class, () -> Mappings.install(impostor));
    }
}
