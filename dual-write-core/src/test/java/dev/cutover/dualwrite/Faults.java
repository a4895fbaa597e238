package dev.cutover.dualwrite;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * Injects failures into the connections of a data source: before a statement runs, after it ran
 * but before the commit, at the commit (applied or not), and as timeouts. Thread-safe.
 */
final class Faults {
    enum Kind { BEFORE_STATEMENT, AFTER_STATEMENT, COMMIT_LOST, COMMIT_APPLIED, TIMEOUT }

    private static final Set<String> EXECUTES = Set.of("execute", "executeQuery", "executeUpdate", "executeBatch",
            "executeLargeUpdate");

    private final AtomicReference<Random> random = new AtomicReference<>();
    private volatile double probability;
    private final AtomicInteger injected = new AtomicInteger();

    /** Starts injecting: each statement and commit fails with the given probability. */
    void enable(long seed, double probability) {
        random.set(new Random(seed));
        this.probability = probability;
    }

    void disable() {
        probability = 0;
    }

    int injected() {
        return injected.get();
    }

    DataSource wrap(DataSource dataSource) {
        return (DataSource) Proxy.newProxyInstance(Faults.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(dataSource, method, args);
                    if (method.getName().equals("getConnection")) {
                        if (draw(Kind.BEFORE_STATEMENT) != null) {
                            ((Connection) result).close();
                            throw new SQLTransientConnectionException("injected: connection refused");
                        }
                        return connection((Connection) result);
                    }
                    return result;
                });
    }

    private Connection connection(Connection real) {
        return (Connection) Proxy.newProxyInstance(Faults.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit")) {
                        Kind kind = draw(Kind.COMMIT_LOST, Kind.COMMIT_APPLIED, Kind.TIMEOUT);
                        if (kind == Kind.COMMIT_LOST) {
                            real.rollback();
                            throw new SQLException("injected: commit lost");
                        }
                        if (kind == Kind.TIMEOUT) {
                            Thread.sleep(20);
                            real.rollback();
                            throw new SQLTimeoutException("injected: commit timed out");
                        }
                        real.commit();
                        if (kind == Kind.COMMIT_APPLIED) {
                            throw new SQLException("injected: commit applied, acknowledgement lost");
                        }
                        return null;
                    }
                    Object result = invoke(real, method, args);
                    if (result instanceof Statement statement) {
                        return statement(statement, method.getReturnType());
                    }
                    return result;
                });
    }

    private Object statement(Statement real, Class<?> type) {
        return Proxy.newProxyInstance(Faults.class.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (!EXECUTES.contains(method.getName())) {
                return invoke(real, method, args);
            }
            Kind before = draw(Kind.BEFORE_STATEMENT, Kind.TIMEOUT);
            if (before == Kind.BEFORE_STATEMENT) {
                throw new SQLException("injected: statement failed");
            }
            if (before == Kind.TIMEOUT) {
                Thread.sleep(20);
                throw new SQLTimeoutException("injected: statement timed out");
            }
            Object result = invoke(real, method, args);
            if (draw(Kind.AFTER_STATEMENT) != null) {
                throw new SQLException("injected: failure after the statement ran");
            }
            return result;
        });
    }

    /** @return one of the kinds, chosen with the configured probability, or null for no fault */
    private Kind draw(Kind... kinds) {
        double p = probability;
        Random r = random.get();
        if (p <= 0 || r == null) {
            return null;
        }
        synchronized (r) {
            if (r.nextDouble() >= p) {
                return null;
            }
            injected.incrementAndGet();
            return kinds[r.nextInt(kinds.length)];
        }
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
