package dev.cutover.dualwrite;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/** Test doubles that step into the calls of an interface and then pass them on. */
final class Interpose {
    private Interpose() {
    }

    /** A step run before each call of the interposed object, by method name; it may wait or throw. */
    interface BeforeCall {
        void run(String method) throws Exception;
    }

    /**
     * @return an implementation of {@code type} that runs {@code before} and then calls {@code delegate},
     *     rethrowing the delegate's own exception unwrapped
     */
    static <T> T before(Class<T> type, T delegate, BeforeCall before) {
        return type.cast(Proxy.newProxyInstance(Interpose.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> {
                    before.run(method.getName());
                    return call(delegate, method, args);
                }));
    }

    /** @return {@code dataSource}, but each connection it hands out is first passed through {@code wrap} */
    static DataSource connections(DataSource dataSource, UnaryOperator<Connection> wrap) {
        return (DataSource) Proxy.newProxyInstance(Interpose.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = call(dataSource, method, args);
                    return result instanceof Connection connection ? wrap.apply(connection) : result;
                });
    }

    /** Calls {@code method} on {@code target}, rethrowing the target's own exception unwrapped. */
    static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
