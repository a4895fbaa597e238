package dev.cutover.testsupport;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The bar for a dual-write path: nothing acknowledged is lost, on either side. "Source equals
 * target" cannot see a write lost on both sides, or lost on one side and then overwritten by a copy
 * from the other; this oracle can.
 *
 * <p>The test records every write it makes: the keys it touches and, per key, its {@link Effect} on
 * that key's state (a delta, an insert, a delete...). It calls {@link #begin} just before the call
 * and {@link Write#acknowledged()} or {@link Write#failed(Throwable)} just after it. At the end,
 * {@link #check} reads both sides' state of every key and demands that each side equals the state
 * left by <em>some</em> order of the key's writes in which
 * <ul>
 *   <li>every acknowledged write takes effect exactly once, between its call's start and its return
 *       (an order consistent with real time: a write that returned before another started comes first);
 *   <li>each write that threw, or never returned (a killed process), takes effect whole or not at all,
 *       also within its call (or up to a while after its return, with {@link #failedWritesMayLandWithin});
 *   <li>every write's effect is possible in the state it meets (an acknowledged insert met no row).
 * </ul>
 * That is linearizability of each key's writes, so effects need not commute: increments, deletes
 * and re-inserts of the same row by concurrent writers can all be checked. Concurrent writes to one
 * key can be taken in any order among themselves, so the search is exponential only in the number
 * of writes that overlap in time, which the number of writer threads bounds.
 *
 * <p>A write over several keys (a transfer) is checked key by key: each key's state must be
 * explained by its own projection of the writes. Thread-safe; recording is a lock-free append.
 *
 * @param <K> the key type (equals and hashCode, e.g. {@code Long})
 * @param <S> a key's state: an immutable value with equals, e.g. a record; one value stands for "no row"
 */
public final class AcknowledgedWriteOracle<K, S> {
    /** How many search states one key may visit before the check gives up (and fails). */
    private static final int SEARCH_LIMIT = 2_000_000;

    private final S absent;
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<Write> writes = new ConcurrentLinkedQueue<>();
    private volatile long lateLandingNanos;

    /**
     * @param absent the state of a key that has no row, which is also every key's state before its first write
     */
    public AcknowledgedWriteOracle(S absent) {
        this.absent = Objects.requireNonNull(absent, "null absent");
    }

    /**
     * Lets a write that threw take effect up to a while after its return, not only before it: for
     * network faults, where the database may still commit a transaction whose client already saw its
     * connection fail (a commit in flight when the connection was reset). Unbounded late landings
     * would make every failed write a candidate at every later point, which the search cannot afford.
     *
     * @param window how long after its return a failed write may still land
     * @return this oracle
     */
    public AcknowledgedWriteOracle<K, S> failedWritesMayLandWithin(java.time.Duration window) {
        lateLandingNanos = window.toNanos();
        return this;
    }

    /**
     * A write's effect on one key's state.
     *
     * @param <S> the state type
     */
    @FunctionalInterface
    public interface Effect<S> {
        /**
         * @param state the key's state before the write, possibly the oracle's "absent" state
         * @return the state after it (the same state if the write changes nothing there, e.g. an
         *     update of a missing row)
         */
        S apply(S state);

        /**
         * @param state the key's state before the write
         * @return whether the write can succeed in that state; an insert cannot where the row exists
         */
        default boolean possibleIn(S state) {
            return true;
        }

        /**
         * @param precondition when the write can succeed
         * @param effect the state after it
         * @param <S> the state type
         * @return an effect that is possible only where the precondition holds
         */
        static <S> Effect<S> requiring(Predicate<S> precondition, UnaryOperator<S> effect) {
            return new Effect<>() {
                @Override
                public S apply(S state) {
                    return effect.apply(state);
                }

                @Override
                public boolean possibleIn(S state) {
                    return precondition.test(state);
                }
            };
        }
    }

    /** What the call of a write reported. */
    public enum Outcome {
        /** Not returned yet; a write still in flight at the check (a killed process) counts as maybe. */
        IN_FLIGHT,
        /** Returned normally: its effect must be on both sides. */
        ACKNOWLEDGED,
        /** Threw: its effect may be there or not, but whole. */
        FAILED
    }

    /** One recorded write; complete it with {@link #acknowledged()} or {@link #failed(Throwable)}. */
    public final class Write {
        private final long id;
        private final String description;
        private final String thread;
        private final Map<K, Effect<S>> effects;
        private final long started;
        private final long startedNanos;
        private volatile long returned = Long.MAX_VALUE;
        private volatile long returnedNanos;
        private volatile Outcome outcome = Outcome.IN_FLIGHT;
        private volatile String failure;

        private Write(String description, Map<K, Effect<S>> effects) {
            this.id = ids.incrementAndGet();
            this.description = description;
            this.thread = Thread.currentThread().getName();
            this.effects = effects;
            this.started = clock.incrementAndGet();
            this.startedNanos = System.nanoTime();
        }

        /** Records that the call returned normally; call it right after the call, before anything else. */
        public void acknowledged() {
            complete(Outcome.ACKNOWLEDGED, null);
        }

        /**
         * Records that the call threw.
         *
         * @param error what it threw
         */
        public void failed(Throwable error) {
            complete(Outcome.FAILED, String.valueOf(error));
        }

        private synchronized void complete(Outcome result, String error) {
            if (outcome != Outcome.IN_FLIGHT) {
                throw new IllegalStateException("write #" + id + " was already completed as " + outcome);
            }
            returnedNanos = System.nanoTime();
            returned = clock.incrementAndGet();
            failure = error;
            outcome = result;
        }

        /** @return this write's outcome so far */
        public Outcome outcome() {
            return outcome;
        }

        /** @return the order in which writes began, from 1 */
        public long id() {
            return id;
        }

        @Override
        public String toString() {
            long end = returned;
            return "#" + id + " " + description + " [" + thread + ", t" + started + "-"
                    + (end == Long.MAX_VALUE ? "?" : "t" + end) + "] " + outcome
                    + (failure == null ? "" : " (" + failure + ")");
        }
    }

    /**
     * A call the oracle wraps: {@link #call} records it as acknowledged when it returns and as
     * failed when it throws.
     *
     * @param <E> what the call may throw
     */
    @FunctionalInterface
    public interface Call<E extends Exception> {
        /** @throws E when the call fails */
        void run() throws E;
    }

    /**
     * Records the start of a write of one key; call it right before the call.
     *
     * @param key the key written
     * @param description what the write does, for failure messages, e.g. {@code "deposit(3, +25)"}
     * @param effect its effect on the key's state
     * @return the write, to complete when the call returns or throws
     */
    public Write begin(K key, String description, Effect<S> effect) {
        return begin(description, Map.of(key, effect));
    }

    /**
     * Records the start of a write of several keys in one transaction; call it right before the call.
     *
     * @param description what the write does, for failure messages
     * @param effects its effect on each key it writes
     * @return the write, to complete when the call returns or throws
     */
    public Write begin(String description, Map<K, Effect<S>> effects) {
        if (effects.isEmpty()) {
            throw new IllegalArgumentException("a write must name the keys it writes: " + description);
        }
        Write write = new Write(description, Map.copyOf(effects));
        writes.add(write);
        return write;
    }

    /**
     * Records a write of one key around its call.
     *
     * @param key the key written
     * @param description what the write does
     * @param effect its effect on the key's state
     * @param call the call
     * @param <E> what the call throws
     * @throws E what the call threw, after it was recorded as failed
     */
    public <E extends Exception> void call(K key, String description, Effect<S> effect, Call<E> call) throws E {
        call(description, Map.of(key, effect), call);
    }

    /**
     * Records a write of several keys around its call.
     *
     * @param description what the write does
     * @param effects its effect on each key it writes
     * @param call the call
     * @param <E> what the call throws
     * @throws E what the call threw, after it was recorded as failed
     */
    public <E extends Exception> void call(String description, Map<K, Effect<S>> effects, Call<E> call) throws E {
        Write write = begin(description, effects);
        try {
            call.run();
        } catch (Exception | Error e) {
            write.failed(e);
            throw e;
        }
        write.acknowledged();
    }

    /** @return every key any recorded write touched */
    public Set<K> keys() {
        Set<K> keys = new LinkedHashSet<>();
        for (Write write : writes) {
            keys.addAll(write.effects.keySet());
        }
        return keys;
    }

    /** @return how many writes were acknowledged */
    public long acknowledged() {
        return writes.stream().filter(w -> w.outcome == Outcome.ACKNOWLEDGED).count();
    }

    /** @return how many writes threw or are still in flight */
    public long maybe() {
        return writes.stream().filter(w -> w.outcome != Outcome.ACKNOWLEDGED).count();
    }

    /**
     * Checks both sides against the recorded writes and fails with every violating key.
     *
     * @param source the source's state of each key; a key it does not contain is absent there
     * @param target the target's state of each key, in the same terms
     * @throws AssertionError naming, for each violating key, both sides' states, the state the
     *     acknowledged writes leave in the order they started, and the key's writes
     */
    public void check(Map<K, S> source, Map<K, S> target) {
        List<String> violations = violations(source, target);
        if (!violations.isEmpty()) {
            throw new AssertionError(violations.size() + " key(s) lost or invented a write (" + acknowledged()
                    + " acknowledged and " + maybe() + " failed or unfinished writes recorded):\n" + String.join("\n", violations));
        }
    }

    /**
     * The check without the assertion.
     *
     * @param source the source's state of each key; a key it does not contain is absent there
     * @param target the target's state of each key
     * @return one message per violating key, empty if none
     */
    public List<String> violations(Map<K, S> source, Map<K, S> target) {
        Set<K> keys = keys();
        keys.addAll(source.keySet());
        keys.addAll(target.keySet());
        Map<K, List<Write>> byKey = new LinkedHashMap<>();
        for (Write write : writes) {
            for (K key : write.effects.keySet()) {
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(write);
            }
        }
        Timeline timeline = new Timeline(List.copyOf(writes));
        List<String> violations = new ArrayList<>();
        for (K key : keys) {
            // A row no recorded write touched (an invented row) has no writes: a fresh list, sorted like the others.
            List<Write> keyWrites = byKey.getOrDefault(key, new ArrayList<>());
            keyWrites.sort(Comparator.comparingLong(w -> w.started));
            S sourceState = source.getOrDefault(key, absent);
            S targetState = target.getOrDefault(key, absent);
            Verdict sourceVerdict = explains(key, keyWrites, sourceState, timeline);
            Verdict targetVerdict = sourceState.equals(targetState) ? sourceVerdict
                    : explains(key, keyWrites, targetState, timeline);
            if (sourceVerdict == Verdict.EXPLAINED && targetVerdict == Verdict.EXPLAINED
                    && sourceState.equals(targetState)) {
                continue;
            }
            violations.add(describe(key, keyWrites, sourceState, sourceVerdict, targetState, targetVerdict));
        }
        return violations;
    }

    private enum Verdict { EXPLAINED, UNEXPLAINED, UNDECIDED }

    /** One operation of a key's history, as the search sees it. */
    private final class Op {
        final Effect<S> effect;
        final long started;
        final long latestLanding;
        final boolean required;

        Op(Write write, K key, long latestLanding) {
            this.effect = write.effects.get(key);
            this.started = write.started;
            this.required = write.outcome == Outcome.ACKNOWLEDGED;
            this.latestLanding = latestLanding;
        }
    }

    /**
     * A point of the search: the writes that took effect so far, of those still open at the
     * watermark, and the state they left. The watermark is the latest start among the writes taken:
     * a write that landed before it cannot come next, so whether it was taken no longer matters and
     * it is left out, which lets orders that differ only in the past meet in one node.
     */
    private record Node<S>(int watermark, BitSet taken, S state) {
    }

    /**
     * Maps a wall-clock deadline to the logical clock: the last logical event (a start or a return)
     * that happened by it. Built once per check, so that each lookup is a binary search.
     */
    private final class Timeline {
        private final long[] nanos;
        private final long[] latestStamp;

        Timeline(List<Write> all) {
            List<long[]> events = new ArrayList<>();
            for (Write write : all) {
                events.add(new long[] {write.startedNanos, write.started});
                if (write.outcome != Outcome.IN_FLIGHT) {
                    events.add(new long[] {write.returnedNanos, write.returned});
                }
            }
            events.sort((x, y) -> Long.compare(x[0], y[0]));
            nanos = new long[events.size()];
            latestStamp = new long[events.size()];
            long latest = 0;
            for (int i = 0; i < events.size(); i++) {
                nanos[i] = events.get(i)[0];
                latest = Math.max(latest, events.get(i)[1]);
                latestStamp[i] = latest;
            }
        }

        /**
         * @return the logical time by which the write's effect, if any, was in place: its return; for
         *     a failed write with a late-landing window, the last event within that window after its
         *     return; for a write still in flight, never
         */
        long latestLanding(Write write) {
            Outcome outcome = write.outcome;
            if (outcome == Outcome.IN_FLIGHT) {
                return Long.MAX_VALUE;
            }
            long window = lateLandingNanos;
            if (outcome == Outcome.ACKNOWLEDGED || window == 0) {
                return write.returned;
            }
            long deadline = write.returnedNanos + window;
            int low = 0;
            int high = nanos.length - 1;
            int found = -1;
            while (low <= high) {
                int mid = (low + high) >>> 1;
                if (nanos[mid] <= deadline) {
                    found = mid;
                    low = mid + 1;
                } else {
                    high = mid - 1;
                }
            }
            return found < 0 ? write.returned : Math.max(write.returned, latestStamp[found]);
        }
    }

    /**
     * Searches for an order of the key's writes that ends in the observed state. A write that threw
     * and is never taken simply does not take effect, so the search only chooses the next write to
     * take: any write not yet taken that can still land after the watermark (the latest start among
     * the writes taken) and that started before every acknowledged write still to come returned.
     *
     * <p>Nodes are expanded fewest failed writes taken first: under faults a key has dozens of failed
     * writes, each of which may have landed, but an observed state is mostly explained by a handful
     * of them, and the subsets of a few failed writes are far fewer than all subsets. Among equals,
     * the node with more writes taken goes first, to reach a complete order soon. Visited nodes are
     * remembered, so each is expanded once.
     */
    private Verdict explains(K key, List<Write> keyWrites, S observed, Timeline timeline) {
        int n = keyWrites.size();
        List<Op> ops = new ArrayList<>(n);
        for (Write write : keyWrites) {
            ops.add(new Op(write, key, timeline.latestLanding(write)));
        }
        Set<Node<S>> seen = new HashSet<>();
        PriorityQueue<Pending<S>> queue = new PriorityQueue<>();
        Node<S> start = new Node<>(-1, new BitSet(n), absent);
        seen.add(start);
        queue.add(new Pending<>(start, 0, 0, 0));
        long sequence = 0;
        while (!queue.isEmpty()) {
            Pending<S> pending = queue.poll();
            Node<S> node = pending.node();
            long watermark = node.watermark() < 0 ? Long.MIN_VALUE : ops.get(node.watermark()).started;
            // Writes that started after the watermark are all still to come; of the others, only
            // those still open at it and not taken. An acknowledged write that could not land after
            // the watermark was taken, or the node would not exist.
            boolean requiredLeft = false;
            long firstRequiredReturn = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                Op op = ops.get(i);
                if (op.required && !node.taken().get(i) && op.latestLanding >= watermark) {
                    requiredLeft = true;
                    firstRequiredReturn = Math.min(firstRequiredReturn, op.latestLanding);
                }
            }
            if (!requiredLeft && node.state().equals(observed)) {
                return Verdict.EXPLAINED;
            }
            for (int i = 0; i < n; i++) {
                Op op = ops.get(i);
                if (op.started > firstRequiredReturn) {
                    break;
                }
                if (node.taken().get(i) || op.latestLanding < watermark || !op.effect.possibleIn(node.state())) {
                    continue;
                }
                int nextWatermark = op.started > watermark ? i : node.watermark();
                long nextStamp = ops.get(nextWatermark).started;
                BitSet taken = new BitSet(n);
                for (int j = node.taken().nextSetBit(0); j >= 0; j = node.taken().nextSetBit(j + 1)) {
                    if (ops.get(j).latestLanding >= nextStamp) {
                        taken.set(j);
                    }
                }
                taken.set(i);
                Node<S> child = new Node<>(nextWatermark, taken, op.effect.apply(node.state()));
                if (seen.add(child)) {
                    if (seen.size() > SEARCH_LIMIT) {
                        return Verdict.UNDECIDED;
                    }
                    queue.add(new Pending<>(child, pending.failedTaken() + (op.required ? 0 : 1),
                            pending.depth() + 1, ++sequence));
                }
            }
        }
        return Verdict.UNEXPLAINED;
    }

    /** A node waiting to be expanded, with what orders the expansion. */
    private record Pending<S>(Node<S> node, int failedTaken, int depth, long sequence)
            implements Comparable<Pending<S>> {
        @Override
        public int compareTo(Pending<S> other) {
            if (failedTaken != other.failedTaken) {
                return Integer.compare(failedTaken, other.failedTaken);
            }
            if (depth != other.depth) {
                return Integer.compare(other.depth, depth);
            }
            return Long.compare(other.sequence, sequence);
        }
    }

    private String describe(K key, List<Write> keyWrites, S sourceState, Verdict sourceVerdict, S targetState,
            Verdict targetVerdict) {
        S folded = absent;
        List<String> lines = new ArrayList<>();
        for (Write write : keyWrites) {
            Effect<S> effect = write.effects.get(key);
            if (write.outcome == Outcome.ACKNOWLEDGED) {
                folded = effect.possibleIn(folded) ? effect.apply(folded) : folded;
            }
            lines.add("    " + write);
        }
        return "key " + key + ": source " + sourceState + " (" + word(sourceVerdict) + "), target " + targetState
                + " (" + word(targetVerdict) + ")" + (sourceState.equals(targetState) ? "" : ", the sides differ")
                + "; the acknowledged writes in the order they started fold to " + folded + "; its "
                + keyWrites.size() + " writes:\n" + String.join("\n", lines);
    }

    private static String word(Verdict verdict) {
        return switch (verdict) {
            case EXPLAINED -> "explained by the writes";
            case UNEXPLAINED -> "no order of the acknowledged writes, with any of the failed ones, ends there";
            case UNDECIDED -> "undecided: the search exceeded " + SEARCH_LIMIT + " states";
        };
    }

    /** @return the recorded writes, in the order they started */
    public List<Write> writes() {
        List<Write> list = new ArrayList<>(writes);
        list.sort(Comparator.comparingLong(w -> w.started));
        return Collections.unmodifiableList(list);
    }
}
