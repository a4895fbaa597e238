package dev.cutover.queue.internal;

import dev.cutover.queue.RetryQueueListener;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one queue: tells each of them about a migration once before its first event, and
 * keeps a failing listener from failing the queue. Thread-safe; free when nobody listens.
 */
public final class Listeners implements RetryQueueListener {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private final List<Registered> listeners = new CopyOnWriteArrayList<>();

    /**
     * Adds a listener.
     *
     * @param listener the listener
     * @return removes it again
     */
    public AutoCloseable add(RetryQueueListener listener) {
        Registered registered = new Registered(listener);
        listeners.add(registered);
        return () -> listeners.remove(registered);
    }

    @Override
    public void migrationSeen(String migration) {
        tell(migration, listener -> { });
    }

    @Override
    public void enqueued(String migration) {
        tell(migration, listener -> listener.enqueued(migration));
    }

    @Override
    public void replayed(String migration) {
        tell(migration, listener -> listener.replayed(migration));
    }

    @Override
    public void retried(String migration) {
        tell(migration, listener -> listener.retried(migration));
    }

    @Override
    public void parked(String migration) {
        tell(migration, listener -> listener.parked(migration));
    }

    @Override
    public void unreadable(String migration) {
        tell(migration, listener -> listener.unreadable(migration));
    }

    @Override
    public void claimConflicts(String migration, int count) {
        tell(migration, listener -> listener.claimConflicts(migration, count));
    }

    private void tell(String migration, Consumer<RetryQueueListener> event) {
        for (Registered registered : listeners) {
            try {
                if (registered.seen.add(migration)) {
                    registered.listener.migrationSeen(migration);
                }
                event.accept(registered.listener);
            } catch (RuntimeException e) {
                LOG.warn("Retry-queue listener {} failed on an event of migration {}; the queue goes on",
                        registered.listener, migration, e);
            }
        }
    }

    private static final class Registered {
        private final RetryQueueListener listener;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();

        Registered(RetryQueueListener listener) {
            this.listener = listener;
        }
    }
}
