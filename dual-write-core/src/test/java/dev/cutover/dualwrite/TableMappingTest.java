package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cutover.common.Dialect;
import dev.cutover.dualwrite.internal.RowSql;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Validation, key encoding and the generated SQL of table mappings. */
class TableMappingTest {
    private static final List<String> COLUMNS = List.of("id", "name", "balance");
    private static final List<String> KEY = List.of("id");

    @Property(tries = 300)
    void key_ofCompositeValues_parsesBackToTheSameValues(@ForAll long id, @ForAll String name) {
        TableMapping mapping = TableMapping.builder("pairs").sourceTable("pair")
                .key("id", Long.class).key("name", String.class).build();
        assertEquals(List.of(id, name), mapping.keyValues(mapping.key(id, name)));
    }

    @Test
    void keyValues_parseEachDeclaredType() {
        UUID uuid = UUID.randomUUID();
        TableMapping mapping = TableMapping.builder("typed").sourceTable("typed")
                .key("a", Integer.class).key("b", UUID.class).key("c", String.class).build();
        assertEquals(List.of(5, uuid, "x"), mapping.keyValues(mapping.key(5, uuid, "x")));
        assertThrows(IllegalArgumentException.class, () -> mapping.keyValues("5," + uuid));
    }

    @Test
    void builder_rejectsBadNamesTypesAndMissingParts() {
        assertEquals("key type of id must be one of String, Long, Integer, UUID, but was java.lang.Double",
                assertThrows(IllegalArgumentException.class,
                        () -> TableMapping.builder("e").key("id", Double.class)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> TableMapping.builder("e").sourceTable("a; DROP TABLE b"));
        assertThrows(IllegalArgumentException.class, () -> TableMapping.builder("e").sourceTable("a.b.c"));
        assertThrows(IllegalArgumentException.class, () -> TableMapping.builder("e").column("x").column("x"));
        assertEquals("e needs at least one key column: call key(column, type)",
                assertThrows(IllegalStateException.class, () -> TableMapping.builder("e").sourceTable("t").column("x").build())
                        .getMessage());
        assertEquals("sourceTable of e must be set",
                assertThrows(IllegalStateException.class, () -> TableMapping.builder("e").key("id", Long.class).build())
                        .getMessage());
    }

    @Test
    void builder_putsKeyColumnsFirstAndDefaultsTheTargetTable() {
        TableMapping mapping = TableMapping.builder("e").sourceTable("legacy.t").column("x").key("id", "pk", Long.class).build();
        assertEquals(List.of("id", "x"), mapping.columns().stream().map(TableMapping.Column::source).toList());
        assertEquals(List.of("pk"), mapping.keyColumns().stream().map(TableMapping.Column::target).toList());
        assertEquals("legacy.t", mapping.targetTable());
    }

    @Test
    void isIdentity_holdsForRenamesAndNotForConversions() {
        TableMapping renamed = TableMapping.builder("e").sourceTable("t").key("id", "pk", Long.class).column("x", "y").build();
        TableMapping converted = TableMapping.builder("e").sourceTable("t").key("id", Long.class)
                .column("cents", "amount", v -> v == null ? null : ((Long) v) / 100.0, v -> v).build();
        assertEquals(true, renamed.isIdentity());
        assertEquals(false, converted.isIdentity());
    }

    @Test
    void upsert_isDialectSpecific() {
        assertEquals("INSERT INTO t (id, name, balance) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                + " name = EXCLUDED.name, balance = EXCLUDED.balance", RowSql.upsert(Dialect.POSTGRESQL, "t", COLUMNS, KEY));
        assertEquals("INSERT INTO t (id, name, balance) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE"
                + " name = VALUES(name), balance = VALUES(balance)", RowSql.upsert(Dialect.MARIADB, "t", COLUMNS, KEY));
        assertEquals(RowSql.upsert(Dialect.MARIADB, "t", COLUMNS, KEY), RowSql.upsert(Dialect.MYSQL, "t", COLUMNS, KEY));
        assertEquals("MERGE INTO t (id, name, balance) KEY (id) VALUES (?, ?, ?)", RowSql.upsert(Dialect.H2, "t", COLUMNS, KEY));
        assertEquals("INSERT INTO t (id) VALUES (?) ON CONFLICT (id) DO NOTHING",
                RowSql.upsert(Dialect.POSTGRESQL, "t", KEY, KEY));
    }

    @Test
    void selectAndDelete_addressTheRowByEveryKeyColumn() {
        assertEquals("SELECT a, b, c FROM t WHERE a = ? AND b = ? FOR UPDATE",
                RowSql.selectForUpdate("t", List.of("a", "b", "c"), List.of("a", "b")));
        assertEquals("DELETE FROM t WHERE a = ? AND b = ?", RowSql.deleteByKey("t", List.of("a", "b")));
    }
}
