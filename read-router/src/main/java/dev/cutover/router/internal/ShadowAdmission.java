package dev.cutover.router.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides up front which shadow reads a router takes on, so that every one it takes on is compared
 * and the work waiting for comparison stays bounded.
 *
 * <p>The backlog counts admitted shadow reads not finished yet. Below half the limit every read is
 * admitted; from there the chance of admission falls linearly to zero at the limit (random early
 * detection), so that a slow comparison pool lowers the effective shadow share smoothly and spreads
 * the reads it leaves out over time instead of cutting off whole bursts. A read left out is counted
 * as throttled and turns the back-pressure state on; the state turns off once the backlog has drained
 * to a quarter of the limit. Both transitions are logged at WARN by the shadow threads, never by the
 * reading thread, at most one entry line per interval (a left-out entry also leaves out its exit).
 *
 * <p>{@link #tryAdmit()} runs on the reading thread and never blocks; {@link #finished()} runs once per
 * admitted read, after its comparison. Thread-safe.
 */
public final class ShadowAdmission {
    private static final Logger LOG = LoggerFactory.getLogger("dev.cutover.router.ReadRouter");

    private final String migration;
    private final int limit;
    private final int alwaysBelow;
    private final int releaseAt;
    private final AtomicInteger backlog = new AtomicInteger();
    private final AtomicBoolean pressed = new AtomicBoolean();
    private final AtomicBoolean announced = new AtomicBoolean();
    private final LongAdder throttled = new LongAdder();
    private final RateLimitedLog entryLog;
    private volatile boolean entryLogged;
    private volatile long throttledAtEntry;

    /**
     * Creates an admission with an empty backlog.
     *
     * @param migration the migration, for log lines
     * @param limit the most shadow reads admitted and not finished at once, at least 2
     * @param logInterval the least time between two lines announcing back-pressure
     */
    public ShadowAdmission(String migration, int limit, Duration logInterval) {
        if (limit < 2) {
            throw new IllegalArgumentException("limit must be at least 2, but was " + limit);
        }
        this.migration = migration;
        this.limit = limit;
        this.alwaysBelow = limit / 2;
        this.releaseAt = alwaysBelow / 2;
        this.entryLog = new RateLimitedLog(logInterval);
    }

    /**
     * Admits one shadow read or leaves it out (counted as throttled). Never blocks.
     *
     * @return whether the read is admitted; if so, {@link #finished()} must follow exactly once
     */
    public boolean tryAdmit() {
        while (true) {
            int now = backlog.get();
            if (now >= alwaysBelow
                    && (now >= limit || ThreadLocalRandom.current().nextInt(limit - alwaysBelow) < now - alwaysBelow)) {
                throttled.increment();
                if (!pressed.get()) {
                    pressed.set(true);
                }
                return false;
            }
            if (backlog.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Ends one admitted read, and logs a change of the back-pressure state. */
    public void finished() {
        int now = backlog.decrementAndGet();
        if (!pressed.get()) {
            return;
        }
        if (announced.compareAndSet(false, true)) {
            long held = entryLog.tryLog();
            entryLogged = held >= 0;
            throttledAtEntry = throttled.sum();
            if (entryLogged) {
                LOG.warn("Migration {}: shadow comparisons fall behind ({} of at most {} waiting or running); back-pressure"
                                + " on: fewer reads are shadowed until the backlog drains, none admitted is dropped{}",
                        migration, now, limit, held > 0 ? " (" + held + " more back-pressure episodes since the last report)" : "");
            }
        }
        if (now <= releaseAt && pressed.compareAndSet(true, false)) {
            boolean logExit = entryLogged;
            long left = throttled.sum() - throttledAtEntry;
            announced.set(false);
            if (logExit) {
                LOG.warn("Migration {}: shadow comparison backlog drained to {}; back-pressure off after leaving about {}"
                        + " more reads unshadowed", migration, now, left);
            }
        }
    }

    /** @return admitted shadow reads not finished yet */
    public int backlog() {
        return backlog.get();
    }

    /** @return the most shadow reads admitted and not finished at once */
    public int limit() {
        return limit;
    }

    /** @return whether back-pressure currently lowers the shadow share */
    public boolean backPressure() {
        return pressed.get();
    }

    /** @return reads drawn for shadowing that were left out because the backlog was high */
    public long throttled() {
        return throttled.sum();
    }
}
