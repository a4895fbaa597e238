package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cutover.flags.Stage;
import dev.cutover.queue.NewRetryEntry;
import dev.cutover.queue.RetryStore;
import dev.cutover.queue.internal.OwnRetryStore;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A crash-safe write whose write-ahead intents are recorded only after the primary moved cannot be
 * fenced by the handover, so it is refused before its primary write, with the exception an
 * application retries on ({@link LateWriteException}). It was a plain {@code CutoverException}, which
 * the acknowledged-write property's writers (like an application that retries late writes) took for
 * an unexpected failure under load.
 */
class LateIntentTest {
    @Test
    void intentsRecordedPastTheCopyWindow_failTheCallAsLate_andWriteNothing() throws Exception {
        try (TestDatabase source = TestDatabases.create(Engine.H2, "lisrc");
                TestDatabase target = TestDatabases.create(Engine.H2, "litgt")) {
            LedgerFixture fixture = LedgerFixture.create(source, target, 4, true);
            try {
                fixture.moveTo(Stage.SHIFT_READS);
                fixture.ledger.open(1, "ada");
                fixture.queue.drain(Duration.ofSeconds(10));
                List<List<Object>> before = fixture.sourceRows();

                CountDownLatch intentStarted = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                RetryStore stallingIntents = stallingCoalescedIntents(RetryStore.inMemory(), intentStarted, release);
                Ledger stalled = DualWrite.repository(Ledger.class)
                        .source(JdbcLedger.source(source.dataSource(2)))
                        .target(JdbcLedger.target(target.dataSource(2)))
                        .migration(LedgerFixture.MIGRATION)
                        .flags(fixture.flags)
                        .router(fixture.router)
                        .retryQueue(fixture.queue)
                        .rowCopier(fixture.resync, "accounts")
                        .routingKey("transfer", args -> List.of(args[0], args[1]))
                        .crashSafe(stallingIntents, Duration.ofMillis(100))
                        .build();

                AtomicReference<Exception> failure = new AtomicReference<>();
                Thread depositing = new Thread(() -> {
                    try {
                        stalled.deposit(1, 10);
                    } catch (Exception e) {
                        failure.set(e);
                    }
                }, "depositor");
                depositing.start();
                assertTrue(intentStarted.await(10, TimeUnit.SECONDS), "the deposit never recorded its intent");
                fixture.flags.moveTo(LedgerFixture.MIGRATION, Stage.TARGET_PRIMARY, "test", "move the primary");
                // The deposit's copy window ends at most one handover pause after the move was stored.
                Thread.sleep(LedgerFixture.REFRESH.plus(LedgerFixture.HANDOVER_MARGIN).multipliedBy(3).toMillis());
                release.countDown();
                depositing.join(10_000);

                assertInstanceOf(LateWriteException.class, failure.get(), "the deposit is refused as late");
                assertTrue(failure.get().getMessage().contains("the write was not made"), failure.get().getMessage());
                assertTrue(fixture.queue.drain(Duration.ofSeconds(10)), "the queue drains");
                assertEquals(before, fixture.sourceRows(),
                        "nothing of the refused deposit reached the old primary");
            } finally {
                fixture.close();
            }
        }
    }

    /** A store whose first coalescing enqueue waits for {@code release}; everything else passes through. */
    private static RetryStore stallingCoalescedIntents(RetryStore store, CountDownLatch started, CountDownLatch release) {
        return (RetryStore) Proxy.newProxyInstance(RetryStore.class.getClassLoader(), new Class<?>[] {OwnRetryStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("enqueueCoalescing") && args[0] instanceof NewRetryEntry
                            && started.getCount() > 0) {
                        started.countDown();
                        release.await(10, TimeUnit.SECONDS);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
