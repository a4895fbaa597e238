package dev.cutover.verifier;

import dev.cutover.dualwrite.RoutingKey;
import dev.cutover.dualwrite.Write;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/** The writes of the concurrent-writers test, wrapped by the dual-write proxy. */
public interface ItemRepository {
    /** Renames an item and moves its amount and timestamp, in one transaction. */
    @Write
    void touch(@RoutingKey long id, String name) throws SQLException;

    /** Deletes an item. */
    @Write
    void remove(@RoutingKey long id) throws SQLException;

    /** The plain JDBC repository over one side's {@code item} table, whose name column is {@code nameColumn}. */
    static ItemRepository jdbc(DataSource dataSource, String nameColumn) {
        return new ItemRepository() {
            @Override
            public void touch(long id, String name) throws SQLException {
                update("UPDATE item SET " + nameColumn + " = ?, amount = amount + 1, created = LOCALTIMESTAMP WHERE id = ?", name, id);
            }

            @Override
            public void remove(long id) throws SQLException {
                update("DELETE FROM item WHERE id = ?", id);
            }

            private void update(String sql, Object... args) throws SQLException {
                try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
                    for (int i = 0; i < args.length; i++) {
                        s.setObject(i + 1, args[i]);
                    }
                    s.executeUpdate();
                }
            }
        };
    }
}
