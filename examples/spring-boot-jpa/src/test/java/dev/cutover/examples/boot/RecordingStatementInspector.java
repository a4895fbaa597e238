package dev.cutover.examples.boot;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.hibernate.resource.jdbc.spi.StatementInspector;

/**
 * Records every SQL text Hibernate prepares, with how often: the tests log the list, so that each
 * statement the sample sends through Cutover's DataSource is on record beside the verdict that none
 * was refused and no acknowledged write was lost.
 */
public final class RecordingStatementInspector implements StatementInspector {
    private static final Map<String, LongAdder> STATEMENTS = new ConcurrentHashMap<>();

    @Override
    public String inspect(String sql) {
        STATEMENTS.computeIfAbsent(sql, s -> new LongAdder()).increment();
        return sql;
    }

    static void reset() {
        STATEMENTS.clear();
    }

    /** @return each distinct statement with how often it was sent, sorted by text */
    static Map<String, Long> statements() {
        Map<String, Long> sorted = new TreeMap<>();
        STATEMENTS.forEach((sql, count) -> sorted.put(sql, count.sum()));
        return sorted;
    }
}
