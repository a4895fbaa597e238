package dev.cutover.spring.boot.internal;

import dev.cutover.Cutover;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the retry-queue's workers while the application context runs: they start once every bean is
 * wired and stop before any bean is destroyed. Its phase puts it outside the web server's: the
 * workers start before the server takes requests and stop only after it has stopped, so that copies
 * queued by the last requests still get a worker on this instance.
 */
public final class CutoverLifecycle implements SmartLifecycle {
    /**
     * Below Spring Boot's web server phases (graceful shutdown at {@code DEFAULT_PHASE - 1024}, the
     * server at {@code DEFAULT_PHASE - 2048}): started before, stopped after them.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final Cutover cutover;

    /**
     * Creates the lifecycle of a runtime built with {@code startQueueWorkers(false)}.
     *
     * @param cutover the runtime
     */
    public CutoverLifecycle(Cutover cutover) {
        this.cutover = cutover;
    }

    @Override
    public void start() {
        cutover.startQueueWorkers();
    }

    @Override
    public void stop() {
        cutover.stopQueueWorkers();
    }

    @Override
    public boolean isRunning() {
        return cutover.queueWorkersRunning();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
