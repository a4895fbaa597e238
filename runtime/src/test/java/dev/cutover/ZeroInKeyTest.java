package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A 0 in a key column on a MariaDB primary: in an {@code AUTO_INCREMENT} column the database stores
 * a new value instead, so the insert is refused before it writes; in any other key column (the
 * position of a list element, as Spring Data JDBC writes a list's first element) it is an ordinary key
 * and the row is mirrored.
 */
class ZeroInKeyTest {
    @Test
    void aZeroIsRefusedInAnAutoIncrementKeyOnly() throws Exception {
        try (TestDatabase sourceDb = TestDatabases.create(Engine.MARIADB, "zerosrc");
             TestDatabase targetDb = TestDatabases.create(Engine.POSTGRESQL, "zerotgt")) {
            sourceDb.execute("CREATE TABLE members (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
                    "CREATE TABLE loans (member_id BIGINT NOT NULL, pos INT NOT NULL, title VARCHAR(40) NOT NULL,"
                            + " PRIMARY KEY (member_id, pos))");
            targetDb.execute("CREATE TABLE members (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
                    "CREATE TABLE loans (member_id BIGINT NOT NULL, pos INT NOT NULL, title VARCHAR(40) NOT NULL,"
                            + " PRIMARY KEY (member_id, pos))");
            DataSource source = sourceDb.defaultPool(4);
            DataSource target = targetDb.defaultPool(4);
            try (Cutover cutover = Cutover.builder(source, target).build()) {
                Migration library = cutover.migration("library",
                        TableMapping.builder("members").key("id", Long.class).columns("name").build(),
                        TableMapping.builder("loans").key("member_id", Long.class).key("pos", Integer.class)
                                .columns("title").build());
                library.moveTo(Stage.DUAL_WRITE, "test", "mirror");
                DataSource application = library.dataSource();

                try (Connection c = application.getConnection()) {
                    c.setAutoCommit(false);
                    try (Statement statement = c.createStatement()) {
                        statement.executeUpdate("INSERT INTO members (id, name) VALUES (1, 'Ada')");
                    }
                    try (PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO `loans` (`member_id`, `pos`, `title`) VALUES (?, ?, ?)")) {
                        for (int pos = 0; pos < 2; pos++) {
                            insert.setLong(1, 1);
                            insert.setInt(2, pos);
                            insert.setString(3, "book " + pos);
                            insert.addBatch();
                        }
                        insert.executeBatch();
                    }
                    c.commit();
                }
                for (TestDatabase side : List.of(sourceDb, targetDb)) {
                    assertEquals(List.of("1/0/book 0", "1/1/book 1"),
                            side.rows("SELECT member_id, pos, title FROM loans ORDER BY pos"));
                }

                SQLException refused = assertThrows(SQLException.class, () -> {
                    try (Connection c = application.getConnection(); Statement statement = c.createStatement()) {
                        statement.executeUpdate("INSERT INTO members (id, name) VALUES (0, 'Zero')");
                    }
                });
                assertTrue(refused.getMessage().contains("inserts 0 into the key column id, which is AUTO_INCREMENT"),
                        refused.getMessage());
                for (TestDatabase side : List.of(sourceDb, targetDb)) {
                    assertEquals(List.of("1/Ada"), side.rows("SELECT id, name FROM members ORDER BY id"),
                            "the refused insert wrote nothing");
                }
                assertTrue(library.verify().isClean(), "the verifier finds both sides equal");
            }
        }
    }
}
