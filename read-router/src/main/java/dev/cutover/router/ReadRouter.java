package dev.cutover.router;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.common.internal.Redaction;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.MigrationState;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.flags.internal.Routing;
import dev.cutover.router.internal.AutoRollback;
import dev.cutover.router.internal.NamedDaemonThreads;
import dev.cutover.router.internal.RateLimitedLog;
import dev.cutover.router.internal.RouterInternals;
import dev.cutover.router.internal.ShadowAdmission;
import dev.cutover.router.internal.ShadowComparison;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes the reads of one migration to the source or the target, protects callers from a
 * misbehaving target, and compares shadow reads.
 *
 * <h2>Routing</h2>
 * Each {@link #read} picks its side from the current {@link MigrationState}: {@link Stage#SOURCE_ONLY}
 * reads the source and {@link Stage#TARGET_ONLY} the target. In the stages that write both sides,
 * canary keys go to their forced side (a key in both lists goes to the source, the safe side);
 * otherwise {@link Stage#DUAL_WRITE} reads the source, {@link Stage#TARGET_PRIMARY} the target, and
 * {@link Stage#SHIFT_READS} the target when the key's sticky bucket is within
 * {@link MigrationState#targetReadPercent()}. Keyless reads are split at random unless
 * {@link ReadRouterConfig#requireRoutingKey()} is set. {@link #route(String)} tells where a key
 * would go.
 *
 * <p>The bucket is MurmurHash3 (x86, 32-bit, seed 0) of the UTF-8 bytes of
 * {@code migration + '\0' + key}, taken unsigned modulo 10,000; a key reads the target when its
 * bucket is below the percentage in hundredths. So a key stays on its side while the percentage
 * holds, raising the percentage only moves keys from source to target, and every instance and
 * release agrees on the side.
 *
 * <h2>Fallback</h2>
 * While the source is primary, a read routed to the target runs on the router's target executor
 * with a time limit ({@link ReadRouterConfig.TargetReads#targetTimeout()}); when it throws, times out, finds all
 * target threads busy, or the circuit breaker is open, the source answers instead. Such fallbacks are
 * counted and logged once per burst. The per-migration Resilience4j circuit breaker opens when the
 * failure rate of target reads crosses its threshold and, after its wait, lets a few probe reads
 * through (half-open) to decide whether to close. When the target is primary there is no fallback:
 * the target read runs on the caller's thread and its exception reaches the caller, because the
 * source may be stale. Because a time-limited target read runs on another thread, it must not
 * depend on state bound to the caller's thread, such as an open transaction: such reads belong in
 * {@link #readPrimary}.
 *
 * <h2>Shadow reads</h2>
 * When a read is drawn for shadowing (with probability {@link MigrationState#shadowReadPercent()}, in
 * the stages that write both sides), the caller gets the answer of the side it
 * was routed to, and the other side's read and the comparison run later on the shadow executor; the
 * caller never waits for shadow work. Every shadow read the router takes on is compared. What keeps
 * memory bounded is admission, decided on the caller's thread without blocking: at most
 * {@link ReadRouterConfig.ShadowReads#shadowThreads()} + {@link ReadRouterConfig.ShadowReads#shadowQueueCapacity()} shadow
 * reads are admitted and unfinished at once, and once that backlog passes half the limit a growing
 * share of the drawn reads is not shadowed at all. Those are counted as
 * {@linkplain ReadRouterCounts#shadowThrottled() throttled}, and the back-pressure state is reported
 * ({@link ReadRouterCounts#shadowBackPressure()}, and a WARN line when it starts and ends) until the
 * backlog has drained. Shadow reads have no time limit of the router's: a hung one holds its shadow
 * thread and back-pressure lowers the shadow share. Reads the target answered are compared at
 * {@link ReadRouterConfig.ShadowReads#targetServedComparePercent()} when set.
 *
 * <p>A comparison is meaningful only while both sides are written: one that would start, or confirm a
 * difference, after the stage stopped writing both sides (for instance {@code TARGET_PRIMARY} moved
 * to {@code TARGET_ONLY} while it waited) is {@linkplain ReadRouterCounts#abandoned() abandoned}, not
 * reported. Mismatches become {@link MismatchEvent}s for the listeners, the {@link #recentMismatches()
 * recent sample}, per-field counts ({@link #mismatchesByField()}) and a rate-limited WARN line naming
 * the paths (values only at DEBUG and only when revealed).
 *
 * <h2>Automatic rollback</h2>
 * With {@link ReadRouterConfig.Rollback#autoRollback()} the router sets the target read percentage to 0 when
 * the target's read error rate or the mismatch rate crosses its limit over a window of reads.
 *
 * <p>Thread-safe: one router serves every thread reading the migration. Build it once per migration
 * and {@link #close()} it on shutdown.
 */
public final class ReadRouter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReadRouter.class);

    static {
        RouterInternals.install(router -> router.shadows.mismatchFields());
    }

    private final MigrationFlags flags;
    private final String migration;
    private final ReadRouterConfig config;
    private final CircuitBreaker breaker;
    private final ThreadPoolExecutor targetExecutor;
    private final AutoRollback autoRollback;
    private final ShadowComparison shadows;
    private final RateLimitedLog fallbackLog;
    private final LongAdder sourceReads = new LongAdder();
    private final LongAdder targetReads = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private volatile boolean closed;

    private ReadRouter(Builder b) {
        this.flags = b.flags;
        this.migration = b.migration;
        this.config = b.config;
        this.breaker = CircuitBreaker.of("cutover-read-" + migration, config.target().circuitBreaker());
        breaker.getEventPublisher().onStateTransition(event -> {
            CircuitBreaker.State to = event.getStateTransition().getToState();
            if (breakerKeepsReadsOff(to)) {
                LOG.warn("Migration {}: read circuit breaker {} (target reads {})", migration,
                        event.getStateTransition(), breakerMeaning(to));
            } else {
                LOG.info("Migration {}: read circuit breaker {} (target reads {})", migration,
                        event.getStateTransition(), breakerMeaning(to));
            }
        });
        // No queue: a target read that waited for a thread would spend its time limit waiting.
        int targetConcurrency = config.target().targetConcurrency();
        this.targetExecutor = new ThreadPoolExecutor(targetConcurrency, targetConcurrency,
                30, TimeUnit.SECONDS, new SynchronousQueue<>(), new NamedDaemonThreads("cutover-target-read-" + migration));
        targetExecutor.allowCoreThreadTimeOut(true);
        ReadRouterConfig.Rollback rollback = config.rollback();
        this.autoRollback = new AutoRollback(rollback.autoRollback(), flags, migration, rollback.autoRollbackWindow(),
                rollback.autoRollbackMaxErrorPercent(), rollback.autoRollbackMaxMismatchPercent());
        this.shadows = new ShadowComparison(flags, migration, config, b.comparator, b.listeners, b.shadowExecutor,
                autoRollback);
        this.fallbackLog = new RateLimitedLog(config.target().fallbackLogInterval());
    }

    /**
     * Starts building the router of one migration.
     *
     * @param flags the application's flags
     * @param migration the migration name
     * @return a builder with the default configuration and comparator
     * @throws CutoverConfigurationException if the migration name is illegal
     */
    public static Builder builder(MigrationFlags flags, String migration) {
        return new Builder(flags, migration);
    }

    /**
     * Runs one read on the side the flags choose, protected and maybe shadowed as the class comment
     * describes, and returns the answer the caller should use.
     *
     * @param operation the method name or SQL text, for logs and mismatch events
     * @param routingKey the key that pins the read to one side (tenant, entity id), or {@code null}
     * @param source the read against the source
     * @param target the read against the target
     * @param <T> the result type
     * @return the answer of the side that served the read
     * @throws Exception the exception of the side that answered, unchanged; when the source answers a
     *     read the target failed, the target's failure is attached as suppressed
     * @throws MissingRoutingKeyException if the key is null and the configuration requires one
     * @throws InterruptedException if interrupted while waiting for a time-limited target read
     * @throws IllegalStateException if the router is closed
     */
    public <T> T read(String operation, String routingKey, ReadCall<T> source, ReadCall<T> target) throws Exception {
        Objects.requireNonNull(operation, "null operation");
        Objects.requireNonNull(source, "null source");
        Objects.requireNonNull(target, "null target");
        requireOpen();
        requireKeyIfConfigured(operation, routingKey);
        return read(operation, routingKey, flags.state(migration), source, target);
    }

    /**
     * {@link #read(String, String, ReadCall, ReadCall)} with the routing key as a value (an id, say),
     * rendered with {@code String.valueOf} only when the decision needs its text: in a stage that reads
     * one side only it does not, and a read of such a stage makes no key text at all.
     *
     * @param operation the method name or SQL text, for logs and mismatch events
     * @param routingKey the key that pins the read to one side, or {@code null}
     * @param source the read against the source
     * @param target the read against the target
     * @param <T> the result type
     * @return the answer of the side that served the read
     * @throws Exception as {@link #read(String, String, ReadCall, ReadCall)} throws
     * @throws MissingRoutingKeyException if the key is null and the configuration requires one
     * @throws InterruptedException if interrupted while waiting for a time-limited target read
     * @throws IllegalStateException if the router is closed
     */
    public <T> T read(String operation, Object routingKey, ReadCall<T> source, ReadCall<T> target) throws Exception {
        Objects.requireNonNull(operation, "null operation");
        Objects.requireNonNull(source, "null source");
        Objects.requireNonNull(target, "null target");
        requireOpen();
        requireKeyIfConfigured(operation, routingKey);
        MigrationState state = flags.state(migration);
        // SOURCE_ONLY and TARGET_ONLY route, and never shadow, whatever the key.
        String key = routingKey == null || !state.stage().dualWrites() ? null : String.valueOf(routingKey);
        return read(operation, key, state, source, target);
    }

    private <T> T read(String operation, String routingKey, MigrationState state, ReadCall<T> source, ReadCall<T> target)
            throws Exception {
        Side side = Routing.readSide(state, routingKey);
        if (side == Side.SOURCE) {
            T answer = source.call();
            sourceReads.increment();
            if (Routing.shadowRead(state)) {
                shadows.submit(operation, routingKey, state.stage(), Side.SOURCE, answer, source, target);
            }
            return answer;
        }
        if (state.stage().primary() == Side.SOURCE) {
            return readTargetWithFallback(operation, routingKey, state, source, target);
        }
        T answer = target.call();
        targetReads.increment();
        if (compareTargetServed(state)) {
            shadows.submit(operation, routingKey, state.stage(), Side.TARGET, answer, target, source);
        }
        return answer;
    }

    /**
     * Runs a read inside a transaction that has written: on the stage's primary side only, so that it
     * sees the transaction's own writes. No fallback, no time limit, no shadow.
     *
     * @param operation the method name or SQL text, for reporting
     * @param source the read against the source
     * @param target the read against the target
     * @param <T> the result type
     * @return the primary side's answer
     * @throws Exception the primary side's exception, unchanged
     * @throws IllegalStateException if the router is closed
     */
    public <T> T readPrimary(String operation, ReadCall<T> source, ReadCall<T> target) throws Exception {
        Objects.requireNonNull(operation, "null operation");
        Objects.requireNonNull(source, "null source");
        Objects.requireNonNull(target, "null target");
        requireOpen();
        if (flags.state(migration).stage().primary() == Side.SOURCE) {
            T answer = source.call();
            sourceReads.increment();
            return answer;
        }
        T answer = target.call();
        targetReads.increment();
        return answer;
    }

    /**
     * The side a read with this key would be sent to now: the flags' choice, turned to the source
     * while the source is primary and the circuit breaker is open. A half-open breaker may still
     * turn the read itself away when its probe reads are taken.
     *
     * @param routingKey the routing key, or {@code null}
     * @return the side
     * @throws MissingRoutingKeyException if the key is null and the configuration requires one
     */
    public Side route(String routingKey) {
        requireKeyIfConfigured("route", routingKey);
        MigrationState state = flags.state(migration);
        Side side = Routing.readSide(state, routingKey);
        if (side == Side.TARGET && state.stage().primary() == Side.SOURCE && !breakerLetsReadsThrough()) {
            return Side.SOURCE;
        }
        return side;
    }

    /** @return the migration this router serves */
    public String migration() {
        return migration;
    }

    /** @return the configuration */
    public ReadRouterConfig config() {
        return config;
    }

    /** @return the circuit breaker's state: {@code OPEN} while target reads go to the source */
    public CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    /** @return the counts since the router was built */
    public ReadRouterCounts counts() {
        ShadowAdmission admission = shadows.admission();
        return new ReadRouterCounts(sourceReads.sum(), targetReads.sum(), fallbacks.sum(), shadows.compared(),
                shadows.matched(), shadows.mismatched(), shadows.settled(), shadows.abandoned(), shadows.errors(),
                shadows.dropped(), admission.throttled(), admission.backlog(), admission.backPressure(),
                autoRollback.rollbacks());
    }

    /**
     * Mismatches counted per field, for telling a systematic mapping bug (one field, every time) from
     * noise. Each mismatch counts once for every field it names ({@link MismatchEvent#fields()}). The
     * first 50 distinct fields are counted under their own names, later ones together under
     * {@code "(other)"}, so that the counts can be meter tags.
     *
     * @return the counts since the router was built, by field, in the order the fields first differed
     */
    public Map<String, Long> mismatchesByField() {
        return shadows.mismatchFields().snapshot();
    }

    /**
     * The latest mismatches, at most {@link ReadRouterConfig.ShadowReads#recentMismatchCapacity()}, for
     * inspection by operators and tests.
     *
     * @return the mismatches, newest first, values masked unless revealed
     */
    public List<MismatchEvent> recentMismatches() {
        return shadows.recentMismatches();
    }

    /**
     * Stops the router's own target and shadow threads; shadow reads still waiting are dropped and
     * counted in {@link ReadRouterCounts#shadowDropped()}. A shadow executor given to the builder is
     * left running. Later reads fail with {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        targetExecutor.shutdownNow();
        shadows.close();
    }

    private <T> T readTargetWithFallback(String operation, String routingKey, MigrationState state, ReadCall<T> source,
                                         ReadCall<T> target) throws Exception {
        if (!breaker.tryAcquirePermission()) {
            return fallback(operation, "the circuit breaker is " + breaker.getState(), null, source);
        }
        long start = breaker.getCurrentTimestamp();
        Future<T> future;
        try {
            future = targetExecutor.submit(target::call);
        } catch (RejectedExecutionException e) {
            breaker.releasePermission();
            return fallback(operation, "all " + config.target().targetConcurrency() + " target read threads are busy", null, source);
        }
        T answer;
        try {
            answer = future.get(config.target().targetTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable failure = e.getCause();
            breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), failure);
            autoRollback.recordTargetRead(true);
            return fallback(operation, "the target failed: " + Redaction.describe(failure, config.revealValues()), failure,
                    source);
        } catch (TimeoutException e) {
            future.cancel(true);
            breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), e);
            autoRollback.recordTargetRead(true);
            return fallback(operation, "the target took longer than " + config.target().targetTimeout(), e, source);
        } catch (InterruptedException e) {
            future.cancel(true);
            breaker.releasePermission();
            throw e;
        }
        breaker.onSuccess(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit());
        autoRollback.recordTargetRead(false);
        targetReads.increment();
        if (compareTargetServed(state)) {
            shadows.submit(operation, routingKey, state.stage(), Side.TARGET, answer, target, source);
        }
        return answer;
    }

    private <T> T fallback(String operation, String why, Throwable targetFailure, ReadCall<T> source) throws Exception {
        fallbacks.increment();
        long held = fallbackLog.tryLog();
        if (held >= 0) {
            LOG.warn("Migration {}: read {} routed to the target is answered by the source because {}{}", migration,
                    operation, why, held > 0 ? " (" + held + " more fallbacks since the last report)" : "");
        }
        T answer;
        try {
            answer = source.call();
        } catch (Exception e) {
            if (targetFailure != null && targetFailure != e) {
                e.addSuppressed(targetFailure);
            }
            throw e;
        }
        sourceReads.increment();
        return answer;
    }

    private boolean compareTargetServed(MigrationState state) {
        if (!state.stage().dualWrites()) {
            return false;
        }
        OptionalDouble percent = config.shadow().targetServedComparePercent();
        if (percent.isPresent()) {
            return ThreadLocalRandom.current().nextDouble(100) < percent.getAsDouble();
        }
        return Routing.shadowRead(state);
    }

    private boolean breakerLetsReadsThrough() {
        return !breakerKeepsReadsOff(breaker.getState());
    }

    private static boolean breakerKeepsReadsOff(CircuitBreaker.State state) {
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }

    private static String breakerMeaning(CircuitBreaker.State state) {
        switch (state) {
            case OPEN:
            case FORCED_OPEN:
                return "are answered by the source";
            case HALF_OPEN:
                return "are probed";
            default:
                return "go to the target again";
        }
    }

    private void requireKeyIfConfigured(String operation, Object routingKey) {
        if (routingKey == null && config.requireRoutingKey()) {
            throw new MissingRoutingKeyException(migration, operation);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("The read router of migration " + migration + " is closed");
        }
    }

    /** Builds a {@link ReadRouter}; not thread-safe. */
    public static final class Builder {
        private final MigrationFlags flags;
        private final String migration;
        private ReadRouterConfig config = ReadRouterConfig.ofDefaults();
        private ResultComparator comparator = ValueComparator.ofDefaults();
        private final List<MismatchListener> listeners = new ArrayList<>();
        private Executor shadowExecutor;

        private Builder(MigrationFlags flags, String migration) {
            this.flags = Objects.requireNonNull(flags, "null flags");
            this.migration = Names.checkMigrationName(migration);
        }

        /**
         * Sets the configuration.
         *
         * @param config default {@link ReadRouterConfig#ofDefaults()}
         * @return this builder
         */
        public Builder config(ReadRouterConfig config) {
            this.config = Objects.requireNonNull(config, "null config");
            return this;
        }

        /**
         * Sets how shadow answers are compared.
         *
         * @param comparator default {@link ValueComparator#ofDefaults()}
         * @return this builder
         */
        public Builder comparator(ResultComparator comparator) {
            this.comparator = Objects.requireNonNull(comparator, "null comparator");
            return this;
        }

        /**
         * Adds a listener told of every mismatch; may be called several times.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder mismatchListener(MismatchListener listener) {
            listeners.add(Objects.requireNonNull(listener, "null listener"));
            return this;
        }

        /**
         * Runs shadow reads on the given executor instead of one the router creates. The router still
         * admits at most {@link ReadRouterConfig.ShadowReads#shadowThreads()} +
         * {@link ReadRouterConfig.ShadowReads#shadowQueueCapacity()} unfinished shadow reads at once (see the class
         * comment); the executor should accept that many, because work it rejects
         * ({@link RejectedExecutionException}) is dropped and counted in
         * {@link ReadRouterCounts#shadowDropped()}. The router does not shut it down.
         *
         * @param executor the executor
         * @return this builder
         */
        public Builder shadowExecutor(Executor executor) {
            this.shadowExecutor = Objects.requireNonNull(executor, "null executor");
            return this;
        }

        /** @return the router, with its threads started on demand */
        public ReadRouter build() {
            // Declared so that operators can flip it from this process before its first flip is stored.
            flags.declare(migration);
            return new ReadRouter(this);
        }
    }
}
