package dev.cutover.flags;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sticky percentage bucketing: puts each routing key of a migration into one of
 * {@value #BUCKETS} buckets, so that a key lands on the same side for a given percentage and
 * raising the percentage only ever moves keys from source to target.
 *
 * <p>The bucket is MurmurHash3 (x86, 32-bit, seed 0) of the UTF-8 bytes of
 * {@code migration + '\0' + key}, taken unsigned modulo {@value #BUCKETS}; a key goes to the
 * target when its bucket is below the percentage in hundredths. Murmur3 is what Unleash and
 * other flag systems use for the same job: fast, well mixed, and stable across JVMs and releases,
 * which matters because the buckets of running instances must agree.
 *
 * <p>Stateless and thread-safe.
 */
public final class Bucketing {
    /** Buckets per migration: one per hundredth of a percent. */
    public static final int BUCKETS = 10_000;

    private Bucketing() {
    }

    /**
     * The bucket of a routing key.
     *
     * @param migration the migration name
     * @param key the routing key
     * @return a bucket in {@code [0, BUCKETS)}
     */
    public static int bucket(String migration, String key) {
        Objects.requireNonNull(migration, "null migration");
        Objects.requireNonNull(key, "null key");
        // The hash of the UTF-8 bytes of migration + '\0' + key, encoded on the fly: a routing
        // decision runs on every read, and concatenating and encoding allocated two objects per read.
        long state = 0;
        int length = 0;
        int total = migration.length() + 1 + key.length();
        for (int i = 0; i < total; i++) {
            char c = charAt(migration, key, i);
            if (c < 0x80) {
                state = push(state, length++, c);
            } else if (c < 0x800) {
                state = push(state, length++, 0xc0 | c >> 6);
                state = push(state, length++, 0x80 | c & 0x3f);
            } else if (!Character.isSurrogate(c)) {
                state = push(state, length++, 0xe0 | c >> 12);
                state = push(state, length++, 0x80 | c >> 6 & 0x3f);
                state = push(state, length++, 0x80 | c & 0x3f);
            } else {
                char low = i + 1 < total ? charAt(migration, key, i + 1) : 0;
                // A pair split by the separator is two unpaired halves, as in the concatenated string.
                boolean paired = Character.isHighSurrogate(c) && Character.isLowSurrogate(low) && i != migration.length() - 1;
                if (!paired) {
                    // What String.getBytes(UTF_8) writes for a lone surrogate.
                    state = push(state, length++, '?');
                    continue;
                }
                int codePoint = Character.toCodePoint(c, low);
                i++;
                state = push(state, length++, 0xf0 | codePoint >> 18);
                state = push(state, length++, 0x80 | codePoint >> 12 & 0x3f);
                state = push(state, length++, 0x80 | codePoint >> 6 & 0x3f);
                state = push(state, length++, 0x80 | codePoint & 0x3f);
            }
        }
        return (int) (Integer.toUnsignedLong(finish(state, length)) % BUCKETS);
    }

    private static char charAt(String migration, String key, int i) {
        int separator = migration.length();
        return i < separator ? migration.charAt(i) : i == separator ? '\0' : key.charAt(i - separator - 1);
    }

    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;

    /**
     * Feeds one byte to MurmurHash3 (x86, 32-bit). The state packs the hash so far (high half) and the
     * bytes of the unfinished 4-byte block (low half, little-endian), so that no object is needed.
     */
    private static long push(long state, int length, int b) {
        int h = (int) (state >>> 32);
        int k = (int) state | (b & 0xff) << ((length & 3) << 3);
        if ((length & 3) == 3) {
            k *= C1;
            k = Integer.rotateLeft(k, 15);
            k *= C2;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
            k = 0;
        }
        return (long) h << 32 | k & 0xffffffffL;
    }

    private static int finish(long state, int length) {
        int h = (int) (state >>> 32);
        int k = (int) state;
        if ((length & 3) != 0) {
            k *= C1;
            k = Integer.rotateLeft(k, 15);
            k *= C2;
            h ^= k;
        }
        h ^= length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /**
     * Whether a read falls within a percentage: by the key's bucket when there is a key, at
     * random when there is none.
     *
     * @param migration the migration name
     * @param key the routing key, or {@code null} for a keyless read
     * @param basisPoints the percentage in hundredths, {@code 0..BUCKETS}
     * @return true if the read is inside the percentage
     */
    public static boolean within(String migration, String key, int basisPoints) {
        if (basisPoints <= 0) {
            return false;
        }
        if (basisPoints >= BUCKETS) {
            return true;
        }
        int bucket = key == null ? ThreadLocalRandom.current().nextInt(BUCKETS) : bucket(migration, key);
        return bucket < basisPoints;
    }

    /** MurmurHash3 (x86, 32-bit, seed 0) of a byte array: the reference {@link #bucket} must agree with. */
    static int murmur3(byte[] data) {
        long state = 0;
        for (int i = 0; i < data.length; i++) {
            state = push(state, i, data[i]);
        }
        return finish(state, data.length);
    }
}
