package dev.cutover.dualwrite;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Records every prepared statement, commit and rollback on the connections of the data sources it
 * wraps, with time, thread, connection and parameters, so that a rare oracle violation of a
 * property test can be explained from what each side really ran. For chasing violations only
 * ({@code -Dcutover.oracle.trace=true}): it keeps everything in memory.
 */
final class StatementTrace {
    private record Event(long nanos, String thread, String side, int connection, String what) {
    }

    /** The trace the workload's notes go to, or null when no try is traced. */
    static volatile StatementTrace active;

    private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    private final AtomicInteger connections = new AtomicInteger();

    void clear() {
        events.clear();
    }

    DataSource wrap(DataSource dataSource, String side) {
        return (DataSource) Proxy.newProxyInstance(StatementTrace.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (p, method, args) -> {
                    Object result = invoke(dataSource, method, args);
                    return result instanceof Connection c ? connection(c, side, connections.incrementAndGet()) : result;
                });
    }

    private Connection connection(Connection real, String side, int id) {
        return (Connection) Proxy.newProxyInstance(StatementTrace.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (p, method, args) -> {
                    String name = method.getName();
                    if (name.equals("commit") || name.equals("rollback") && (args == null || args.length == 0)) {
                        try {
                            Object result = invoke(real, method, args);
                            record(side, id, name);
                            return result;
                        } catch (Throwable e) {
                            record(side, id, name + " failed: " + e);
                            throw e;
                        }
                    }
                    Object result = invoke(real, method, args);
                    if (name.equals("prepareStatement") && result instanceof PreparedStatement statement) {
                        return statement(statement, (String) args[0], side, id);
                    }
                    return result;
                });
    }

    private PreparedStatement statement(PreparedStatement real, String sql, String side, int id) {
        TreeMap<Integer, Object> parameters = new TreeMap<>();
        return (PreparedStatement) Proxy.newProxyInstance(StatementTrace.class.getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, (p, method, args) -> {
                    String name = method.getName();
                    if (name.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer index) {
                        parameters.put(index, args[1]);
                    }
                    if (!name.startsWith("execute")) {
                        return invoke(real, method, args);
                    }
                    String what = sql + " " + parameters.values();
                    try {
                        Object result = invoke(real, method, args);
                        if (result instanceof ResultSet rs) {
                            return resultSet(rs, side, id, what);
                        }
                        record(side, id, what + " -> " + result);
                        return result;
                    } catch (Throwable e) {
                        record(side, id, what + " failed: " + e);
                        throw e;
                    }
                });
    }

    private ResultSet resultSet(ResultSet real, String side, int id, String what) {
        List<Object> first = new ArrayList<>();
        return (ResultSet) Proxy.newProxyInstance(StatementTrace.class.getClassLoader(),
                new Class<?>[] {ResultSet.class}, (p, method, args) -> {
                    Object result = invoke(real, method, args);
                    if (method.getName().startsWith("get") && args != null && args.length == 1 && first.size() < 8) {
                        first.add(result);
                    }
                    if (method.getName().equals("close")) {
                        record(side, id, what + " read " + first);
                    }
                    return result;
                });
    }

    /** Records a note (a flip, a call's start and end) in the active trace, if any; notes always show. */
    static void note(String what) {
        StatementTrace trace = active;
        if (trace != null) {
            trace.record("note", 0, what);
        }
    }

    private void record(String side, int connection, String what) {
        events.add(new Event(System.nanoTime(), Thread.currentThread().getName(), side, connection, what));
    }

    /**
     * @param key a key value as the statements bind it
     * @return the events of every connection that ran a statement with that parameter, in time order
     */
    String describe(long key) {
        Set<String> touching = new HashSet<>();
        List<Event> all = new ArrayList<>(events);
        for (Event event : all) {
            if (event.what().matches("(?s).*[\\[ ,]" + key + "[\\],].*") && !event.what().startsWith("commit")
                    && !event.what().startsWith("rollback")) {
                touching.add(event.side() + event.connection());
            }
        }
        all.sort((a, b) -> Long.compare(a.nanos(), b.nanos()));
        long start = all.isEmpty() ? 0 : all.get(0).nanos();
        StringBuilder out = new StringBuilder();
        for (Event event : all) {
            if (touching.contains(event.side() + event.connection()) || event.side().equals("note")
                    && (event.what().startsWith("flip") || event.what().startsWith("target") || event.what().matches("(?s).*\\b" + key + "\\b.*"))) {
                out.append(String.format("%9.3f ms %-22s %s#%d %s%n", (event.nanos() - start) / 1e6, event.thread(),
                        event.side(), event.connection(), event.what()));
            }
        }
        return out.toString();
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
