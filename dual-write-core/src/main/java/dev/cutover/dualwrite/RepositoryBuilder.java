package dev.cutover.dualwrite;

import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.common.internal.Names;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.queue.RetryQueue;
import dev.cutover.queue.RetryStore;
import dev.cutover.router.ReadRouter;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a dual-writing proxy of a repository interface; get one from {@link DualWrite#repository(Class)}.
 *
 * <h2>Classification</h2>
 * Every abstract method is classified once, in {@link #build()}: JDBI's {@code @SqlQuery} makes a
 * read; {@code @SqlUpdate}, {@code @SqlBatch} and {@code @SqlCall} make a write; Cutover's
 * {@link Read} and {@link Write} mark the others and override JDBI's. The routing key comes from
 * the parameter marked {@link RoutingKey}, or from a function given to
 * {@link #routingKey(String, Function)}, which takes precedence. Default methods run their own body
 * on the proxy, so the methods they call are dual-written too; {@code equals} is identity,
 * {@code hashCode} the identity hash, {@code toString} names the type and migration.
 *
 * <h2>Writes, per stage</h2>
 * <ul>
 *   <li>{@code SOURCE_ONLY}: the source DAO only. {@code TARGET_ONLY}: the target DAO only.
 *   <li>{@code DUAL_WRITE}, {@code SHIFT_READS}: the source DAO is called; its exception fails the
 *       call. Then each key the call named is mirrored to the target with {@link RowCopier}: the
 *       source row is copied under the source's row lock. The target DAO is never called for writes.
 *   <li>{@code TARGET_PRIMARY}: the same with the roles swapped: the target DAO is called, and each
 *       key is copied from the target to the source, so that a rollback finds the source complete.
 * </ul>
 * A mirror never fails the call: when the copy fails (or the mirror circuit breaker is open) a
 * {@code RESYNC} entry for the key goes to the retry-queue and is counted in {@link DualWriteCounters}.
 * When the queue already holds entries for the key, no direct copy is made: the key is queued
 * behind them. When the primary call fails, its keys are queued too, because a failure reported at
 * commit may hide a write that did commit; the replay copies the primary's committed row, so a
 * write that did not commit never reaches the other side. The stage is read once per call, so a
 * flip takes effect on the next call.
 *
 * <h2>Guarantees and limits</h2>
 * Every copy carries the sending side's latest committed row of the key and is made under that
 * row's lock, and every write whose copy could not be made leaves a queue entry that copies the key
 * again later; so once writes stop and the queue drains, both sides hold the same rows, whatever
 * the interleaving of threads and instances (the zero-divergence property test checks this with
 * faults and flips). The guarantee is convergence, not atomicity: until its entry is replayed, a
 * key can be behind on the mirror side. In the default mode a process killed between the primary's
 * commit and the copy leaves the mirror behind for that key until it is written again or verified;
 * {@link #crashSafe(RetryStore, Duration)} closes that gap with durable write-ahead intents. Moving the
 * primary ({@code SHIFT_READS} to {@code TARGET_PRIMARY} or back) is a fenced handover: every write
 * takes a write permit from its {@link MigrationFlags}, copies only within its primary's
 * copy window, and after a move the migration's writes pause until every write and queued copy of the
 * old primary is done and the new primary's sequences are advanced; a write whose copy misses its
 * window fails with {@link LateWriteException}. The proxy registers the drain of its queue and
 * the sequence update of its resync as handover steps of the migration; build the queue's handler with
 * {@link CopyReplayHandler#of(String, RowCopier, MigrationFlags)}.
 *
 * <h2>Reads</h2>
 * Go through {@link ReadRouter#read(String, String, dev.cutover.router.ReadCall, dev.cutover.router.ReadCall)}
 * with the method's name as the operation and the call's routing key (null for a read without
 * {@link RoutingKey}, or whose key names several rows): the router picks the side, may fall back to
 * the source or shadow-read the other side. When the target DAO speaks another model (a
 * heterogeneous migration: other ids, split columns, other codes), {@link #targetRead} translates
 * the call's arguments for the target and the target's answer back, so that callers and shadow
 * comparisons see the source's model on both sides.
 *
 * <p>DAO calls must commit on their own (JDBI {@code onDemand} outside a transaction, auto-commit or
 * a transaction per method) unless the caller's transactions are given to
 * {@link #callerTransactions}: the mirror copy runs after the call in a connection of its own, which
 * does not see the rows a caller's still-open transaction wrote (an insert would reach one side only)
 * and waits for the locks it holds until the copy times out. So a write whose DAO is a JDBI
 * on-demand DAO that would join a JDBI transaction open on the calling thread is refused before the
 * DAO is called, with {@link UnknownTransactionException}, in every stage, unless
 * {@link CallerTransactions#active()}. The DAO's {@code Jdbi} is found once, here; each write then
 * only looks at the handle already open on the thread. Other DAOs (hand-written JDBC, JPA) are not
 * checked: their calls inside a transaction the runtime does not know go unnoticed.
 *
 * <p>The builder is not thread-safe; the built proxy is.
 *
 * @param <T> the repository type
 */
public final class RepositoryBuilder<T> {
    private static final Logger LOG = LoggerFactory.getLogger(RepositoryBuilder.class);
    private static final Set<String> JDBI_READS = Set.of("org.jdbi.v3.sqlobject.statement.SqlQuery");
    private static final Set<String> JDBI_WRITES = Set.of("org.jdbi.v3.sqlobject.statement.SqlUpdate",
            "org.jdbi.v3.sqlobject.statement.SqlBatch", "org.jdbi.v3.sqlobject.statement.SqlCall");

    private final Class<T> type;
    private final Map<String, Function<Object[], ?>> keyFunctions = new LinkedHashMap<>();
    private final Map<String, TargetRead> targetReads = new LinkedHashMap<>();
    private T source;
    private T target;
    private String migration;
    private MigrationFlags flags;
    private ReadRouter router;
    private RetryQueue retryQueue;
    private RowCopier resync;
    private String entity;
    private DualWriteCounters stats;
    private CircuitBreaker circuitBreaker;
    private RetryStore intentStore;
    private Duration intentDelay;
    private CallerTransactions callerTransactions;

    RepositoryBuilder(Class<T> type) {
        this.type = Objects.requireNonNull(type, "null type");
        if (!type.isInterface()) {
            throw new RepositoryDefinitionException(type.getName() + " is not an interface: Cutover wraps repository"
                    + " interfaces; declare the DAO's methods in an interface and wrap that");
        }
    }

    /**
     * Sets the repository on the source database.
     *
     * @param dao the source DAO, e.g. {@code sourceJdbi.onDemand(CustomerDao.class)}; required
     * @return this builder
     */
    public RepositoryBuilder<T> source(T dao) {
        this.source = Objects.requireNonNull(dao, "null source");
        return this;
    }

    /**
     * Sets the repository on the target database.
     *
     * @param dao the target DAO; required
     * @return this builder
     */
    public RepositoryBuilder<T> target(T dao) {
        this.target = Objects.requireNonNull(dao, "null target");
        return this;
    }

    /**
     * Sets the migration whose flags decide the stage.
     *
     * @param migration the migration's name; required
     * @return this builder
     * @throws CutoverConfigurationException if the name is not a valid migration name
     */
    public RepositoryBuilder<T> migration(String migration) {
        this.migration = Names.checkMigrationName(migration);
        return this;
    }

    /**
     * Sets the flags read on every call.
     *
     * @param flags the application's flags; required
     * @return this builder
     */
    public RepositoryBuilder<T> flags(MigrationFlags flags) {
        this.flags = Objects.requireNonNull(flags, "null flags");
        return this;
    }

    /**
     * Sets the router that serves reads.
     *
     * @param router the router, built for the same flags and migration; required when the
     *     repository has reads
     * @return this builder
     */
    public RepositoryBuilder<T> router(ReadRouter router) {
        this.router = Objects.requireNonNull(router, "null router");
        return this;
    }

    /**
     * Sets the queue that takes mirror copies which could not be made at once; its replay handler
     * should be a {@link CopyReplayHandler} over the same {@link RowCopier}.
     *
     * @param queue the queue; required when the repository has writes
     * @return this builder
     */
    public RepositoryBuilder<T> retryQueue(RetryQueue queue) {
        this.retryQueue = Objects.requireNonNull(queue, "null queue");
        return this;
    }

    /**
     * Sets how written keys are copied to the other side, and the entity writes change unless
     * {@link Write#entity()} names another.
     *
     * @param rowCopier copies rows by key
     * @param entity a mapped entity of {@code rowCopier}
     * @return this builder
     * @throws IllegalArgumentException if the entity is not mapped by {@code rowCopier}
     */
    public RepositoryBuilder<T> rowCopier(RowCopier rowCopier, String entity) {
        this.resync = Objects.requireNonNull(rowCopier, "null rowCopier");
        rowCopier.mapping(entity);
        this.entity = entity;
        return this;
    }

    /**
     * Computes the routing key of every method of a name (all overloads), instead of or in addition
     * to a {@link RoutingKey} parameter.
     *
     * @param methodName the method's name
     * @param keyFunction from the call's arguments to the key: a value rendered with
     *     {@code String.valueOf}, or an {@link Iterable} or array of them for a batch; must be
     *     thread-safe and free of side effects
     * @return this builder
     */
    public RepositoryBuilder<T> routingKey(String methodName, Function<Object[], ?> keyFunction) {
        keyFunctions.put(Objects.requireNonNull(methodName, "null methodName"),
                Objects.requireNonNull(keyFunction, "null keyFunction"));
        return this;
    }

    /**
     * Translates the reads of every method of a name (all overloads) that the target DAO serves, for
     * a target DAO that speaks the target's model: the call's arguments are translated before the
     * target DAO is called, and its result is translated back before it reaches the caller or a
     * shadow comparison. The source DAO and the routing key always see the caller's arguments.
     * Writes take no transform: they reach the other side as rows, through the {@link TableMapping}.
     *
     * <p>An exception thrown by a transform counts as a failure of the target read: while the
     * source is primary the source answers instead.
     *
     * @param methodName the name of a read method
     * @param argsToTarget from a copy of the caller's arguments to the target DAO's arguments (the
     *     same number, of the method's parameter types); must be thread-safe
     * @param resultToSource from the target DAO's result (possibly null) to the result in the
     *     source's model; must be thread-safe
     * @return this builder
     */
    public RepositoryBuilder<T> targetRead(String methodName, UnaryOperator<Object[]> argsToTarget,
            UnaryOperator<Object> resultToSource) {
        targetReads.put(Objects.requireNonNull(methodName, "null methodName"),
                new TargetRead(Objects.requireNonNull(argsToTarget, "null argsToTarget"),
                        Objects.requireNonNull(resultToSource, "null resultToSource")));
        return this;
    }

    /**
     * Sets the counters this repository adds to.
     *
     * @param stats counters, possibly shared by the repositories of one migration; default a new
     *     instance, readable only through a shared one, so pass one to observe it
     * @return this builder
     */
    public RepositoryBuilder<T> counters(DualWriteCounters stats) {
        this.stats = Objects.requireNonNull(stats, "null stats");
        return this;
    }

    /**
     * Sets the circuit breaker around direct mirror copies. While it is open, written keys go
     * straight to the retry-queue, so that an unreachable mirror side does not slow every write by
     * its connection timeout.
     *
     * @param circuitBreaker the breaker; default one per repository named
     *     {@code cutover-mirror-<migration>} that opens when 3 of the last 5 copies failed (so after 3
     *     failed copies in a row) or took over half the copy budget, and lets one copy through after
     *     2 seconds
     * @return this builder
     */
    public RepositoryBuilder<T> mirrorCircuitBreaker(CircuitBreaker circuitBreaker) {
        this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "null circuitBreaker");
        return this;
    }

    private CircuitBreaker defaultBreaker() {
        return Mirror.defaultBreaker(migration, resync == null ? Duration.ofSeconds(5) : resync.copyBudget());
    }

    /**
     * Makes writes survive a crash of the process between the primary's commit and the mirror copy
     * (the default mode loses the copy then, until the key is written again or verified).
     *
     * <p>Before the primary call, each key's copy is recorded in the durable store as a write-ahead
     * intent ({@link CopyReplayHandler#intent}), due {@code intentDelay} later; after the call the
     * key is copied directly as usual, and a failed copy records the intent again, due at once (a
     * slow write's intent may already have been replayed, below; coalesced like any intent). So every write that may have committed leaves a
     * durable entry that copies its key after it committed, even if the process dies at once. If the
     * intent cannot be recorded, the call fails with a {@link dev.cutover.common.CutoverException}
     * before anything is written.
     *
     * <p>Costs one insert into the store per key and write (an update instead while the key's newest
     * entry is a pending intent of the same direction, which the new intent is coalesced into: it
     * becomes due after the latest write, so a key written many times while the target is down keeps
     * one intent), and one extra copy per intent when it replays. A primary call that runs longer than
     * {@code intentDelay} may have its intent replayed before it commits; its copy, or the intent
     * recorded again when the copy fails, still covers it while the process lives, but a crash right after
     * such a call's commit leaves the key behind: choose a delay well above the slowest write. Due
     * times use the system clock.
     *
     * @param durableStore the store the retry-queue drains, e.g. {@link RetryStore#jdbc}
     * @param intentDelay how long after the write an intent becomes due, 100 ms to 1 hour
     * @return this builder
     * @throws CutoverConfigurationException if the delay is out of range
     */
    public RepositoryBuilder<T> crashSafe(RetryStore durableStore, Duration intentDelay) {
        this.intentDelay = Mirror.requireEntryDelay("intentDelay", intentDelay);
        this.intentStore = Objects.requireNonNull(durableStore, "null durableStore");
        return this;
    }

    /**
     * Lets writes made inside the caller's open transaction be copied once it commits. Without it,
     * a write's copy runs inside the call, which cannot see the rows the caller's transaction wrote and
     * would wait on its locks; a JDBI on-demand DAO's write inside an open JDBI transaction is then
     * refused ({@link UnknownTransactionException}).
     *
     * <p>With it, while {@link CallerTransactions#active()} on the calling thread, a write calls the
     * primary's DAO and returns; the keys are copied after
     * the transaction commits, before the commit returns (copy, else queue, as usual; with
     * {@link #crashSafe} the intents are recorded before the call, as usual, and cover a failed copy).
     * The transaction takes one write permit at its first write of the migration and holds it until
     * it ends, so it is rolled back instead of committed when its primary's copy window is closing,
     * and its commit fails with a {@link LateWriteException} after the fact when the copies miss the
     * window. A rollback copies nothing; without intents its keys are queued, which copies each row
     * as the primary has it, unchanged by the rollback, and covers a DAO that committed outside the
     * transaction. Reads of a key the transaction wrote are served by the primary's DAO until it
     * ends. The DAOs must take part in the caller's transaction (Spring's {@code JdbcTemplate},
     * {@code DataSourceUtils}, JPA, Jdbi's Spring module, or JDBI's own with
     * {@link JdbiCallerTransactions}): the copy reads the row as committed. The same holds in the
     * {@link MirrorMode#ASYNC} mode: its copier, off the caller's thread, could run before the commit
     * and would not see an uncommitted insert on PostgreSQL, so a transaction's keys are copied at its
     * commit, on the committing thread, as in the synchronous mode.
     *
     * @param transactions the application's transaction manager, as seen from the calling thread
     * @return this builder
     */
    public RepositoryBuilder<T> callerTransactions(CallerTransactions transactions) {
        this.callerTransactions = Objects.requireNonNull(transactions, "null transactions");
        return this;
    }

    /**
     * Classifies every method and builds the proxy.
     *
     * @return a {@code T} that dual-writes and routes reads; thread-safe
     * @throws RepositoryDefinitionException listing every method that cannot be classified or has no
     *     routing key, a routing-key function for a method that does not exist, a read transform for
     *     a method that does not exist or is not a read, and missing parts
     */
    public T build() {
        List<String> problems = new ArrayList<>();
        require(source, "source(dao)", problems);
        require(target, "target(dao)", problems);
        require(migration, "migration(name)", problems);
        require(flags, "flags(migrationFlags)", problems);
        Map<Method, MethodPlan> plans = new LinkedHashMap<>();
        List<String> methodProblems = new ArrayList<>();
        boolean writes = false;
        boolean reads = false;
        for (Method method : type.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            writes |= !method.isDefault() && isWrite(method);
            reads |= !method.isDefault() && isRead(method);
            MethodPlan plan = classify(method, methodProblems);
            if (plan != null) {
                plans.put(method, plan);
            }
        }
        for (String name : keyFunctions.keySet()) {
            if (Arrays.stream(type.getMethods()).noneMatch(m -> m.getName().equals(name))) {
                methodProblems.add("routingKey(\"" + name + "\", ...) names no method of " + type.getSimpleName());
            }
        }
        targetReads.forEach((name, read) -> applyTargetRead(name, read, plans, methodProblems));
        methodProblems.sort(null);
        problems.addAll(methodProblems);
        if (reads && router == null) {
            problems.add(type.getSimpleName() + " has reads: call router(readRouter)");
        }
        if (router != null && migration != null && !router.migration().equals(migration)) {
            problems.add("router(readRouter) routes migration " + router.migration() + ", not " + migration
                    + ": build the router for " + migration);
        }
        if (writes && retryQueue == null) {
            problems.add(type.getSimpleName() + " has writes: call retryQueue(queue)");
        }
        if (!problems.isEmpty()) {
            throw new RepositoryDefinitionException("Cannot wrap " + type.getName() + ":\n  " + String.join("\n  ", problems));
        }
        // Declared so that operators can flip it from this process before its first flip is stored.
        flags.declare(migration);
        RepositoryHandler handler = new RepositoryHandler(type, source, target, migration, flags, router, retryQueue,
                resync, plans, stats == null ? new DualWriteCounters() : stats,
                circuitBreaker == null ? defaultBreaker() : circuitBreaker, intentStore, intentDelay,
                callerTransactions, writes ? transactionProbe(source, "source") : null,
                writes ? transactionProbe(target, "target") : null);
        for (Method method : plans.keySet()) {
            if (!method.trySetAccessible() && !Modifier.isPublic(method.getDeclaringClass().getModifiers())) {
                throw new RepositoryDefinitionException("Cannot call " + MethodPlan.signature(method)
                        + " reflectively: make " + method.getDeclaringClass().getName() + " public");
            }
        }
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }

    /**
     * @return whether a call of {@code dao} would join a JDBI transaction open on the calling thread,
     *     or null when that cannot be told (not a JDBI on-demand DAO)
     */
    private static BooleanSupplier transactionProbe(Object dao, String side) {
        // By the handler's class name, so that JdbiDaos, which names JDBI's types, loads only when JDBI is there.
        if (!Proxy.isProxyClass(dao.getClass())
                || !Proxy.getInvocationHandler(dao).getClass().getName().startsWith("org.jdbi.v3.")) {
            return null;
        }
        try {
            return JdbiDaos.transactionProbe(dao, side);
        } catch (LinkageError e) {
            // JDBI is loaded by the application but not readable from here (another class loader or module layer).
            LOG.debug("Cannot see JDBI's classes for the {} DAO ({}): its calls inside an open JDBI transaction cannot"
                    + " be refused: {}", side, dao.getClass().getName(), e.toString());
            return null;
        }
    }

    private MethodPlan classify(Method method, List<String> problems) {
        if (method.isDefault()) {
            return new MethodPlan(method, MethodPlan.Kind.DEFAULT, null, null);
        }
        String signature = MethodPlan.signature(method);
        boolean read = method.isAnnotationPresent(Read.class);
        Write write = method.getAnnotation(Write.class);
        if (read && write != null) {
            problems.add(signature + " is both @Read and @Write: keep one");
            return null;
        }
        if (!read && write == null) {
            read = hasAnnotation(method, JDBI_READS);
            boolean jdbiWrite = hasAnnotation(method, JDBI_WRITES);
            if (!read && !jdbiWrite) {
                problems.add(signature + " is neither @SqlQuery nor @SqlUpdate: annotate it @Read or @Write");
                return null;
            }
        }
        int problemsBefore = problems.size();
        Function<Object[], ?> keyFunction = keyFunction(method, signature, problems);
        if (problems.size() > problemsBefore) {
            return null;
        }
        if (read) {
            // The repository's entity, whose queued keys the read must not take from the other side.
            return new MethodPlan(method, MethodPlan.Kind.READ, entity, keyFunction);
        }
        String writeEntity = write == null || write.entity().isEmpty() ? entity : write.entity();
        if (resync == null) {
            problems.add(signature + " is a write: call rowCopier(rowCopier, entity) so that its rows can be mirrored");
            return null;
        }
        if (!resync.entities().contains(writeEntity)) {
            problems.add(signature + " writes entity '" + writeEntity + "', which the RowCopier does not map: add its"
                    + " TableMapping or fix @Write(entity)");
            return null;
        }
        if (keyFunction == null) {
            problems.add(signature + " is a write without a routing key: annotate the parameter that names the row"
                    + " @RoutingKey, or register routingKey(\"" + method.getName() + "\", args -> ...) on the builder");
            return null;
        }
        return new MethodPlan(method, MethodPlan.Kind.WRITE, writeEntity, keyFunction);
    }

    private void applyTargetRead(String name, TargetRead read, Map<Method, MethodPlan> plans, List<String> problems) {
        String call = "targetRead(\"" + name + "\", ...)";
        if (Arrays.stream(type.getMethods()).noneMatch(m -> m.getName().equals(name))) {
            problems.add(call + " names no method of " + type.getSimpleName() + ": use a read method's name");
            return;
        }
        for (Method method : type.getMethods()) {
            if (!method.getName().equals(name) || Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            if (method.isDefault()) {
                problems.add(call + " names " + MethodPlan.signature(method) + ", a default method that runs on the"
                        + " proxy: put the transform on the reads it calls");
            } else if (isWrite(method)) {
                problems.add(call + " names " + MethodPlan.signature(method) + ", a write: writes reach the other"
                        + " side as rows, so map their columns and keys in the TableMapping and remove the transform");
            } else {
                plans.computeIfPresent(method, (m, plan) -> plan.withTargetRead(read.argsToTarget(), read.resultToSource()));
            }
        }
    }

    private record TargetRead(UnaryOperator<Object[]> argsToTarget, UnaryOperator<Object> resultToSource) {
    }

    private Function<Object[], ?> keyFunction(Method method, String signature, List<String> problems) {
        Function<Object[], ?> registered = keyFunctions.get(method.getName());
        if (registered != null) {
            return registered;
        }
        Annotation[][] annotations = method.getParameterAnnotations();
        int keyParameter = -1;
        for (int i = 0; i < annotations.length; i++) {
            for (Annotation annotation : annotations[i]) {
                if (annotation instanceof RoutingKey) {
                    if (keyParameter >= 0) {
                        problems.add(signature + " has @RoutingKey on more than one parameter: keep it on the one"
                                + " that names the row, or register routingKey(\"" + method.getName() + "\", args -> ...)");
                        return null;
                    }
                    keyParameter = i;
                }
            }
        }
        if (keyParameter < 0) {
            return null;
        }
        int index = keyParameter;
        return args -> args[index];
    }

    private static boolean isRead(Method method) {
        return method.isAnnotationPresent(Read.class)
                || !method.isAnnotationPresent(Write.class) && hasAnnotation(method, JDBI_READS);
    }

    private static boolean isWrite(Method method) {
        return method.isAnnotationPresent(Write.class)
                || !method.isAnnotationPresent(Read.class) && hasAnnotation(method, JDBI_WRITES);
    }

    private static boolean hasAnnotation(Method method, Set<String> names) {
        for (Annotation annotation : method.getAnnotations()) {
            if (names.contains(annotation.annotationType().getName())) {
                return true;
            }
        }
        return false;
    }

    private static void require(Object value, String call, List<String> problems) {
        if (value == null) {
            problems.add("missing " + call);
        }
    }
}
