package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.cutover.flags.Side;
import dev.cutover.queue.EntryStatus;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.NonRetryableReplayException;
import dev.cutover.queue.ReplayMode;
import dev.cutover.queue.RetryEntry;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The replay handler copies in the direction an entry names and parks what it cannot replay. */
class CopyReplayHandlerTest {
    private TestDatabase source;
    private TestDatabase target;
    private CopyReplayHandler handler;

    @BeforeEach
    void setUp() {
        source = TestDatabases.create(Engine.H2, "replaysrc");
        target = TestDatabases.create(Engine.H2, "replaytgt");
        JdbcLedger.createTables(source, target);
        RowCopier resync = RowCopier.builder(source.dataSource(2), target.dataSource(2)).mapping(JdbcLedger.mapping()).build();
        handler = CopyReplayHandler.of(Map.of("ledger", resync));
    }

    @AfterEach
    void tearDown() {
        source.close();
        target.close();
    }

    @Test
    void replay_copiesFailedMirrorsAndIntentsInTheDirectionTheEntryNames() throws Exception {
        source.execute("INSERT INTO account VALUES (1, 'from source', 1, 1, NULL)");
        target.execute("INSERT INTO accounts VALUES (2, 'from target', 2, 2, NULL)");

        handler.replay(entry(CopyReplayHandler.entry("ledger", "accounts", "1", Side.SOURCE)), NullNode.getInstance());
        handler.replay(entry(CopyReplayHandler.entry("ledger", "accounts", "2", Side.TARGET)), NullNode.getInstance());
        handler.replay(entry(NewRetryEntry.resync("ledger", "accounts", "1")), NullNode.getInstance());
        source.execute("UPDATE account SET version = 5 WHERE id = 1");
        handler.replay(entry(CopyReplayHandler.intent("ledger", "accounts", "1", Side.SOURCE)), NullNode.getInstance());

        assertEquals(List.of(List.of(1L, "from source", 1L, 5L, "null"), List.of(2L, "from target", 2L, 2L, "null")),
                RowCopierTest.rows(target, "SELECT " + LedgerFixture.TARGET_COLUMNS + " FROM accounts ORDER BY account_id"));
        assertEquals(RowCopierTest.rows(target, "SELECT " + LedgerFixture.TARGET_COLUMNS + " FROM accounts ORDER BY account_id"),
                RowCopierTest.rows(source, "SELECT " + LedgerFixture.SOURCE_COLUMNS + " FROM account ORDER BY id"));
    }

    @Test
    void replay_parksEntriesItCannotReplay() {
        assertEquals("#7 other/accounts/1: migration other has no RowCopier here; known migrations are [ledger]",
                parkReason(new NewRetryEntry("other", "accounts", "1", ReplayMode.RESYNC, "resync", NullNode.getInstance())));
        assertEquals("#7 ledger/orders/1: entity orders is not mapped; mapped entities are [accounts]",
                parkReason(new NewRetryEntry("ledger", "orders", "1", ReplayMode.RESYNC, "resync", NullNode.getInstance())));
        assertEquals("#7 ledger/accounts/1 has operation 'upsert', expected 'resync' or 'resync-to-source'",
                parkReason(new NewRetryEntry("ledger", "accounts", "1", ReplayMode.RESYNC, "upsert", NullNode.getInstance())));
        assertEquals("#7 ledger/accounts/1 has operation 'deposit', expected 'resync' or 'resync-to-source'",
                parkReason(new NewRetryEntry("ledger", "accounts", "1", ReplayMode.REPLAY, "deposit", NullNode.getInstance())));
        assertEquals("#7 ledger/accounts/x: Key part 'x' of accounts is not a valid Long for key column id",
                parkReason(NewRetryEntry.resync("ledger", "accounts", "x")));
    }

    @Test
    void declaresTheMigrationsItCanReplay_soThatAQueueClaimsOnlyTheirEntries() {
        assertEquals(Optional.of(Set.of("ledger")), handler.migrations());
    }

    private String parkReason(NewRetryEntry entry) {
        return assertThrows(NonRetryableReplayException.class, () -> handler.replay(entry(entry), NullNode.getInstance()))
                .getMessage();
    }

    private static RetryEntry entry(NewRetryEntry entry) {
        Instant now = Instant.now();
        return new RetryEntry(7, entry.migration(), entry.entity(), entry.key(), entry.mode(), entry.operation(), "null",
                EntryStatus.PENDING, 0, now, null, now, null, null);
    }
}
