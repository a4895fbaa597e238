package dev.cutover.dualwrite;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLRecoverableException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * Drops, after {@link #arm()}, the first target connection that commits an upsert: its commit
 * throws as a reset connection would, every later call on it fails, and the transaction stays open
 * on the server until {@link #commitLate()} commits it, as the held {@code COMMIT} arriving.
 */
final class AbandonedCommit {
    private final AtomicBoolean armed = new AtomicBoolean();
    private final AtomicReference<Connection> held = new AtomicReference<>();
    private final CountDownLatch atCommit = new CountDownLatch(1);
    private volatile CountDownLatch dropWhen;

    void arm() {
        armed.set(true);
    }

    /** Like {@link #arm()}, but the commit waits for {@link #drop()} before it fails. */
    void armAndHold() {
        dropWhen = new CountDownLatch(1);
        armed.set(true);
    }

    /** @return once the armed commit is being held */
    void awaitCommit() throws InterruptedException {
        assertTrue(atCommit.await(30, TimeUnit.SECONDS), "no copy committed on the target");
    }

    void drop() {
        dropWhen.countDown();
    }

    boolean holding() {
        return held.get() != null;
    }

    /**
     * Closes an account on another instance while the held transaction is open, gives the close
     * 1.5 s, then commits the held transaction, as its {@code COMMIT} arriving late, and waits for
     * the close, which must be acknowledged.
     *
     * @return whether the close had finished while the held transaction was still open
     */
    boolean closeWhileHeld(Ledger closer, long account) throws Exception {
        AtomicReference<Exception> closeFailure = new AtomicReference<>();
        Thread closing = new Thread(() -> {
            try {
                closer.close(account);
            } catch (Exception e) {
                closeFailure.set(e);
            }
        }, "closer");
        closing.start();
        closing.join(1_500);
        boolean closedWhileOpen = !closing.isAlive();
        commitLate();
        closing.join();
        assertNull(closeFailure.get(), "the close is acknowledged");
        return closedWhileOpen;
    }

    void commitLate() throws Exception {
        Connection connection = held.getAndSet(null);
        connection.commit();
        connection.close();
    }

    void rollbackIfHeld() throws Exception {
        Connection connection = held.getAndSet(null);
        if (connection != null) {
            connection.rollback();
            connection.close();
        }
    }

    DataSource wrap(DataSource dataSource) {
        return Interpose.connections(dataSource, this::wrap);
    }

    private Connection wrap(Connection connection) {
        AtomicBoolean upserted = new AtomicBoolean();
        AtomicBoolean dropped = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(AbandonedCommit.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (p, method, args) -> {
                    String name = method.getName();
                    if (dropped.get()) {
                        if (name.equals("close") || name.equals("isClosed")) {
                            return name.equals("isClosed") ? Boolean.TRUE : null;
                        }
                        throw reset();
                    }
                    if (name.equals("prepareStatement") && ((String) args[0]).contains("INSERT INTO account")
                            && ((String) args[0]).contains("ON CONFLICT")) {
                        upserted.set(true);
                    }
                    if (name.equals("commit") && upserted.get() && armed.compareAndSet(true, false)) {
                        dropped.set(true);
                        held.set(connection);
                        atCommit.countDown();
                        CountDownLatch when = dropWhen;
                        if (when != null) {
                            when.await();
                        }
                        throw reset();
                    }
                    if (name.equals("commit") || name.equals("rollback")) {
                        upserted.set(false);
                    }
                    return Interpose.call(connection, method, args);
                });
    }

    private static SQLRecoverableException reset() {
        return new SQLRecoverableException("simulated: the connection was reset while its commit was on the wire",
                "08006");
    }
}
