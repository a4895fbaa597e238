package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.flags.Side;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Binary and large text columns copy as their bytes and characters between engines. MariaDB's
 * driver (like H2's) returns a BLOB as a {@code java.sql.Blob}, and PostgreSQL's driver binds a
 * {@code Blob} as a new large object's id: every copy of a MariaDB BLOB into a PostgreSQL BYTEA
 * failed with "column is of type bytea but expression is of type bigint", the write's key stayed
 * queued, and the backfill of such a table stopped at its first chunk.
 */
class BinaryCopyTest {
    private static final byte[] BYTES = {0, (byte) 0xFF, 7, '\'', '\\', (byte) 0x80};
    private static final String TEXT = "Grüße 🚀 ' \\ trailing  ";

    static Stream<Arguments> enginePairs() {
        List<Arguments> pairs = new ArrayList<>();
        pairs.add(Arguments.of(Engine.H2, Engine.POSTGRESQL));
        if (TestDatabases.serverEngines().anyMatch(e -> e == Engine.MARIADB)) {
            pairs.add(Arguments.of(Engine.MARIADB, Engine.POSTGRESQL));
            pairs.add(Arguments.of(Engine.POSTGRESQL, Engine.MARIADB));
            pairs.add(Arguments.of(Engine.MARIADB, Engine.MARIADB));
        }
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0} <-> {1}")
    @MethodSource("enginePairs")
    void blobsAndClobsCopyAsBytesAndTextBothWays(Engine sourceEngine, Engine targetEngine) throws Exception {
        try (TestDatabase source = TestDatabases.create(sourceEngine, "binsrc");
                TestDatabase target = TestDatabases.create(targetEngine, "bintgt")) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute(switch (db.engine()) {
                    case POSTGRESQL -> "CREATE TABLE doc (id BIGINT PRIMARY KEY, data BYTEA, small BYTEA, body TEXT)";
                    case MARIADB -> "CREATE TABLE doc (id BIGINT PRIMARY KEY, data LONGBLOB, small VARBINARY(16), body LONGTEXT)"
                            + " DEFAULT CHARSET=utf8mb4";
                    default -> "CREATE TABLE doc (id BIGINT PRIMARY KEY, data BLOB, small VARBINARY(16), body CLOB)";
                });
            }
            insert(source, 1, BYTES, TEXT);
            insert(source, 2, null, null);
            insert(target, 3, BYTES, TEXT);
            TableMapping mapping = TableMapping.builder("docs").sourceTable("doc").key("id", Long.class)
                    .columns("data", "small", "body").build();
            RowCopier copier = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(mapping).build();
            copier.copy("docs", "1", Side.SOURCE);
            copier.copy("docs", "2", Side.SOURCE);
            copier.copy("docs", "3", Side.TARGET);

            String hex = HexFormat.of().formatHex(BYTES);
            List<String> expected = List.of("1 " + hex + " " + hex + " " + TEXT, "2 null null null");
            assertEquals(expected, read(target, 1, 2), "source -> target");
            assertEquals(List.of("3 " + hex + " " + hex + " " + TEXT), read(source, 3, 3), "target -> source");
        }
    }

    private static void insert(TestDatabase db, long id, byte[] bytes, String text) throws Exception {
        try (Connection c = db.connect();
                PreparedStatement p = c.prepareStatement("INSERT INTO doc (id, data, small, body) VALUES (?, ?, ?, ?)")) {
            p.setLong(1, id);
            p.setBytes(2, bytes);
            p.setBytes(3, bytes);
            p.setString(4, text);
            p.executeUpdate();
        }
    }

    private static List<String> read(TestDatabase db, long from, long to) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, data, small, body FROM doc WHERE id BETWEEN " + from + " AND " + to
                        + " ORDER BY id")) {
            while (rs.next()) {
                byte[] data = rs.getBytes(2);
                byte[] small = rs.getBytes(3);
                rows.add(rs.getLong(1) + " " + (data == null ? null : HexFormat.of().formatHex(data)) + " "
                        + (small == null ? null : HexFormat.of().formatHex(small)) + " " + rs.getString(4));
            }
        }
        return rows;
    }
}
