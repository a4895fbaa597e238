package dev.cutover.router.internal;

import dev.cutover.router.MismatchEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The latest mismatches, at most a fixed number; the oldest make room. Thread-safe. */
public final class RecentMismatches {
    private final int capacity;
    private final ArrayDeque<MismatchEvent> events;

    /**
     * Creates an empty sample.
     *
     * @param capacity the most events kept, at least 1
     */
    public RecentMismatches(int capacity) {
        this.capacity = capacity;
        this.events = new ArrayDeque<>(capacity);
    }

    /**
     * Adds an event, dropping the oldest when full.
     *
     * @param event the event
     */
    public synchronized void add(MismatchEvent event) {
        if (events.size() == capacity) {
            events.removeFirst();
        }
        events.addLast(event);
    }

    /** @return a copy of the kept events, newest first */
    public synchronized List<MismatchEvent> newestFirst() {
        List<MismatchEvent> copy = new ArrayList<>(events);
        Collections.reverse(copy);
        return List.copyOf(copy);
    }
}
