package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cutover.dualwrite.LedgerFixture.Style;
import dev.cutover.flags.Stage;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The synchronous mirror copies the keys one call or transaction wrote of one table together, in one
 * locking read and one upsert, as the asynchronous copier does: a transfer between two accounts
 * borrows the target once, not once per account, and both sides end equal.
 */
class BatchedCopyTest {

    @ParameterizedTest(name = "{0} style")
    @EnumSource(Style.class)
    void theKeysOfOneWrite_areCopiedInOneBatch(Style style) throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.POSTGRESQL, "batchsrc");
             TestDatabase target = TestDatabases.create(Engine.POSTGRESQL, "batchtgt")) {
            LedgerFixture.createTables(source, target, style);
            AtomicInteger targetBorrows = new AtomicInteger();
            DataSource targetPool = Interpose.before(DataSource.class, target.dataSource(4), method -> {
                if (method.equals("getConnection")) {
                    targetBorrows.incrementAndGet();
                }
            });
            try (LedgerFixture fixture = new LedgerFixture(source, target, source.dataSource(4), targetPool, false, style)) {
                fixture.moveTo(Stage.DUAL_WRITE);
                fixture.ledger.openWithDeposit(1, "ann", 100);
                fixture.ledger.openWithDeposit(2, "bob", 100);
                long mirrored = fixture.stats.mirrored();
                int borrowsBefore = targetBorrows.get();

                fixture.ledger.transfer(1, 2, 30);

                assertEquals(1, targetBorrows.get() - borrowsBefore, "one copy for both accounts");
                assertEquals(mirrored + 2, fixture.stats.mirrored(), "both keys counted as mirrored");
                assertEquals(0, fixture.stats.enqueued(), "nothing was queued");
                fixture.queue.drain(Duration.ofSeconds(10));
                assertEquals(fixture.sourceRows(), fixture.targetRows());
            }
        }
    }
}
