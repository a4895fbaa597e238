package dev.cutover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.JdbcFlagStore;
import dev.cutover.queue.RetryStore;
import dev.cutover.verifier.CheckpointStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** Every store Cutover creates tables for puts them under one default prefix, without being told one. */
class TablePrefixDefaultsTest {

    @Test
    void everyStore_namesItsTablesWithTheSameDefaultPrefix() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:prefixes;DB_CLOSE_DELAY=-1");
        assertEquals("cutover_retry_entry", RetryStore.jdbc(h2).tableName());
        assertEquals("cutover_verifier_checkpoint", CheckpointStore.jdbc(h2).tableName());
        JdbcFlagStore.create(h2).createTables();
        try (Connection c = h2.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM cutover_flag_state")) {
            assertTrue(rs.next());
        }
    }
}
