package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.Dialect;
import dev.cutover.dualwrite.internal.Column;
import dev.cutover.dualwrite.internal.ColumnGroup;
import dev.cutover.dualwrite.internal.RowSql;
import dev.cutover.flags.Side;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
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
                assertThrows(CutoverConfigurationException.class,
                        () -> TableMapping.builder("e").key("id", Double.class)).getMessage());
        assertThrows(CutoverConfigurationException.class, () -> TableMapping.builder("e").sourceTable("a; DROP TABLE b"));
        assertThrows(CutoverConfigurationException.class, () -> TableMapping.builder("e").sourceTable("a.b.c"));
        assertThrows(CutoverConfigurationException.class, () -> TableMapping.builder("e").column("x").column("x"));
        assertEquals("e needs at least one key column: call key(column, type)",
                assertThrows(CutoverConfigurationException.class, () -> TableMapping.builder("e").sourceTable("t").column("x").build())
                        .getMessage());
    }

    @Test
    void builder_defaultsBothTablesToTheEntityName() {
        TableMapping mapping = TableMapping.builder("users").key("id", Long.class).columns("email", "name").build();
        assertEquals("users", mapping.sourceTable());
        assertEquals("users", mapping.targetTable());
        assertEquals(List.of(List.of("id"), List.of("email"), List.of("name")),
                mapping.groups().stream().map(ColumnGroup::sourceColumns).toList());
    }

    @Test
    void builder_putsKeyColumnsFirstAndDefaultsTheTargetTable() {
        TableMapping mapping = TableMapping.builder("e").sourceTable("legacy.t").column("x").key("id", "pk", Long.class).build();
        assertEquals(List.of("id", "x"), mapping.columnNames(Side.SOURCE));
        assertEquals(List.of("pk"), mapping.keyColumns().stream().map(Column::target).toList());
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

    /** Integer ids to UUIDs by arithmetic: the id map's shape without a database. */
    private static final KeyTranslation UUID_IDS = KeyTranslation.of(v -> v == null ? null : new UUID(7, (Integer) v),
            v -> v == null ? null : (int) ((UUID) v).getLeastSignificantBits());

    private static TableMapping heterogeneous() {
        return HeteroCustomers.mapping(UUID_IDS);
    }

    @Test
    void splitColumns_haveTheirOwnNamesAndWidthOnEachSide() {
        TableMapping mapping = heterogeneous();
        assertEquals(List.of("id", "name", "status", "email"), mapping.columnNames(Side.SOURCE));
        assertEquals(List.of("id", "first_name", "last_name", "status", "email"), mapping.columnNames(Side.TARGET));
        assertEquals(List.of("id"), mapping.keyColumnNames(Side.TARGET));
        assertEquals(4, mapping.groups().size());
        assertEquals(List.of("first_name", "last_name"), mapping.groups().get(1).columns(Side.TARGET));
        assertEquals(false, mapping.isIdentity(), "splits, codes and translated keys convert values");
        assertEquals(false, TableMapping.builder("e").sourceTable("t").key("id", "pk", Long.class, KeyTranslation.identity())
                .build().isIdentity(), "a key translation counts as a conversion, whatever it does");
    }

    @Test
    void convertRow_splitsTranslatesAndMapsCodes_andBack() {
        TableMapping mapping = heterogeneous();
        List<Object> target = mapping.convertRow(Side.SOURCE, Arrays.asList(42, "Ada King Lovelace", "S", null));
        assertEquals(Arrays.asList(new UUID(7, 42), "Ada King", "Lovelace", "suspended", null), target);
        assertEquals(Arrays.asList(42, "Ada King Lovelace", "S", null), mapping.convertRow(Side.TARGET, target));
        assertEquals(Arrays.asList(new UUID(7, 5), "Cher", null, "active", "c@x"),
                mapping.convertRow(Side.SOURCE, Arrays.asList(5, "Cher", "A", "c@x")));
        assertEquals(List.of(new UUID(7, 9)), mapping.convertKey(Side.SOURCE, mapping.keyValues("9")));
        assertEquals(List.of(9), mapping.convertKey(Side.TARGET, List.of(new UUID(7, 9))));
    }

    @Test
    void convertRow_checksTheWidthOfTheSideItReadsFrom() {
        TableMapping mapping = heterogeneous();
        assertEquals("customers maps 5 target columns, but the row has 4", assertThrows(IllegalArgumentException.class,
                () -> mapping.convertRow(Side.TARGET, Arrays.asList(new UUID(7, 1), "a", "active", null))).getMessage());
    }

    @Test
    void codeMap_rejectsUnknownValuesNamingTheColumnAndTheFix() {
        TableMapping mapping = heterogeneous();
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> mapping.convertRow(Side.SOURCE, Arrays.asList(1, "x", "Z", null)));
        assertTrue(unknown.getMessage().startsWith("Value 'Z' of customers.status on the source has no entry in its code map"),
                unknown.getMessage());
        assertTrue(unknown.getMessage().endsWith(": add it to the map"), unknown.getMessage());
    }

    @Test
    void codeMap_mustBeOneToOneAndFreeOfNulls() {
        Map<String, String> twoToOne = new java.util.LinkedHashMap<>();
        twoToOne.put("A", "active");
        twoToOne.put("B", "active");
        assertEquals("The code map of e.status maps both 'A' and 'B' to 'active', so a row copied back to the source"
                + " could not be converted: make it one to one", assertThrows(CutoverConfigurationException.class,
                        () -> TableMapping.builder("e").column("status", "status", twoToOne)).getMessage());
        Map<String, String> withNull = new HashMap<>();
        withNull.put("A", null);
        assertEquals("The code map of e.status holds a null (A -> null); nulls are kept as null without an entry",
                assertThrows(CutoverConfigurationException.class,
                        () -> TableMapping.builder("e").column("status", "status", withNull)).getMessage());
        assertEquals("The code map of e.status is empty", assertThrows(CutoverConfigurationException.class,
                () -> TableMapping.builder("e").column("status", "status", Map.of())).getMessage());
    }

    @Test
    void groups_mayNotOverlapOnEitherSide() {
        TableMapping.Builder builder = TableMapping.builder("e").key("id", Long.class).column("name", "full_name");
        assertEquals("Column name -> [first_name, last_name] of e overlaps the mapped column name -> full_name on the"
                + " source (name): map each column once", assertThrows(CutoverConfigurationException.class,
                        () -> builder.columns(List.of("name"), List.of("first_name", "last_name"), v -> v, v -> v))
                        .getMessage());
        assertEquals("Column [given, family] -> [ID, last] of e overlaps the mapped column id -> id on the target (ID):"
                + " map each column once", assertThrows(CutoverConfigurationException.class,
                        () -> builder.columns(List.of("given", "family"), List.of("ID", "last"), v -> v, v -> v))
                        .getMessage());
        assertEquals("Column A is named twice on the source in [a, A] -> [b] of e", assertThrows(
                CutoverConfigurationException.class, () -> builder.columns(List.of("a", "A"), List.of("b"), v -> v, v -> v))
                .getMessage());
        assertEquals("A column group of e needs at least one column on each side, but was [a] -> []", assertThrows(
                CutoverConfigurationException.class, () -> builder.columns(List.of("a"), List.of(), v -> v, v -> v))
                .getMessage());
        assertEquals("Column x -> full_name of e overlaps the mapped column name -> full_name on the target (full_name):"
                + " map each column once", assertThrows(CutoverConfigurationException.class,
                        () -> builder.column("x", "full_name")).getMessage());
    }

    @Test
    void groupFunction_returningTheWrongWidth_failsNamingTheGroup() {
        TableMapping mapping = TableMapping.builder("e").sourceTable("t").key("id", Long.class)
                .columns(List.of("name"), List.of("first_name", "last_name"), v -> List.of("only one"), v -> v.subList(0, 1))
                .build();
        assertEquals("The conversion of e [name] -> [first_name, last_name] to the target returned 1 value(s), but must"
                + " return 2: fix the function given to columns(...)", assertThrows(IllegalStateException.class,
                        () -> mapping.convertRow(Side.SOURCE, Arrays.asList(1L, "x"))).getMessage());
    }

    @Property(tries = 500)
    void convertRow_toTargetAndBack_isTheIdentityForValidRows(@ForAll("legacyRows") List<Object> row) {
        TableMapping mapping = heterogeneous();
        List<Object> target = mapping.convertRow(Side.SOURCE, row);
        assertEquals(mapping.columnNames(Side.TARGET).size(), target.size());
        assertEquals(row, mapping.convertRow(Side.TARGET, target));
        assertEquals(mapping.keyValues(mapping.key(row.get(0))),
                mapping.convertKey(Side.TARGET, mapping.convertKey(Side.SOURCE, List.of(row.get(0)))));
    }

    @Provide
    Arbitrary<List<Object>> legacyRows() {
        Arbitrary<Integer> ids = Arbitraries.integers();
        Arbitrary<String> names = Arbitraries.strings().ofMaxLength(12).withChars("ab .-é'").injectNull(0.1);
        Arbitrary<String> codes = Arbitraries.of("A", "S", "C");
        Arbitrary<String> emails = Arbitraries.strings().alpha().ofMaxLength(8).injectNull(0.3);
        return net.jqwik.api.Combinators.combine(ids, names, codes, emails).as(Arrays::<Object>asList);
    }
}
