package dev.cutover.dualwrite;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.function.BooleanSupplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.extension.HandleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the {@link Jdbi} behind a DAO made by {@code jdbi.onDemand(type)}, and tells whether a call
 * of it would join a transaction open on the calling thread. JDBI is optional: {@link RepositoryBuilder}
 * loads this class only for a DAO whose proxy's handler is a JDBI class, so repositories of plain
 * interfaces run without JDBI (only {@link JdbiCallerTransactions}, which the application creates
 * with its {@code Jdbi}, names JDBI's types too).
 */
final class JdbiDaos {
    private static final Logger LOG = LoggerFactory.getLogger(JdbiDaos.class);

    private JdbiDaos() {
    }

    /**
     * Resolves once, when the repository is built, what each call then asks: whether the DAO would
     * join a JDBI transaction open on the calling thread.
     *
     * <p>JDBI has no public way to get an on-demand DAO's {@code Jdbi} without opening a handle;
     * its on-demand proxy's handler (JDBI 3's {@code OnDemandExtensions}) holds it in a field, which
     * is read here. When the handler has no such field (another JDBI version, another class loader),
     * open transactions go unnoticed, as they did before, and this is logged at DEBUG.
     *
     * @param dao a JDBI proxy
     * @param side which side it writes, for the log
     * @return the probe, or null if the DAO's {@code Jdbi} cannot be found
     */
    static BooleanSupplier transactionProbe(Object dao, String side) {
        Jdbi jdbi = onDemandJdbi(dao);
        if (jdbi == null) {
            LOG.debug("The {} DAO ({}) is a JDBI proxy whose Jdbi could not be found: its calls inside an open JDBI"
                    + " transaction cannot be refused", side, dao.getClass().getName());
            return null;
        }
        return () -> transactionHandle(jdbi) != null;
    }

    private static Jdbi onDemandJdbi(Object dao) {
        InvocationHandler handler = Proxy.getInvocationHandler(dao);
        try {
            for (Field field : handler.getClass().getDeclaredFields()) {
                if (Jdbi.class.isAssignableFrom(field.getType()) && field.trySetAccessible()
                        && field.get(handler) instanceof Jdbi jdbi) {
                    return jdbi;
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("Cannot read the Jdbi of {}: {}", dao.getClass().getName(), e.toString());
        }
        return null;
    }

    /**
     * The handle a call of an on-demand DAO of {@code jdbi} would run on now, if it is in a
     * transaction. Such a call runs on the handle in {@code jdbi}'s handle scope when there is one,
     * so no handle means no transaction. Inside an on-demand call that has not used its handle yet
     * (a DAO's default method), the handle is opened here instead of by the DAO call that follows on
     * the same supplier, so the refusal check never takes a connection the call would not.
     *
     * @return the handle, or null if no transaction is open on it (or no handle)
     */
    static Handle transactionHandle(Jdbi jdbi) {
        HandleSupplier supplier = jdbi.getHandleScope().get();
        if (supplier == null) {
            return null;
        }
        Handle handle = supplier.getHandle();
        return handle != null && !handle.isClosed() && handle.isInTransaction() ? handle : null;
    }
}
