package dev.cutover.dualwrite;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/** Test doubles that run a step before each call of an interface and then pass the call on. */
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
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }));
    }
}
