package dev.cutover.flags.internal;

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
        return bucket(prefix(migration), prefixLength(migration), key);
    }

    /**
     * The hash state after the bytes of {@code migration + '\0'}: the same for every key of a
     * migration, so {@link dev.cutover.flags.MigrationState} computes it once. The separator ends any surrogate pair,
     * so hashing the prefix and the key apart hashes the bytes of the concatenated string.
     *
     * @param migration the migration name
     * @return the packed hash state (see {@link #push})
     */
    public static long prefix(String migration) {
        int length = utf8Length(migration, 0, migration.length());
        return push(feed(0, 0, migration, 0, migration.length()), length, 0);
    }

    /**
     * @param migration the migration name
     * @return how many bytes {@link #prefix} hashed
     */
    public static int prefixLength(String migration) {
        return utf8Length(migration, 0, migration.length()) + 1;
    }

    /**
     * The bucket of a key after a migration's prefix: the routing decision's hot path, which
     * allocates nothing. Keys are mostly ASCII (ids, tenant names), so runs of four ASCII characters
     * that fill a Murmur3 block are mixed as that block; the rest is encoded to UTF-8 byte by byte.
     *
     * @param prefixState {@link #prefix} of the migration
     * @param prefixLength {@link #prefixLength} of the migration
     * @param key the routing key
     * @return a bucket in {@code [0, BUCKETS)}
     */
    static int bucket(long prefixState, int prefixLength, String key) {
        int h = (int) (prefixState >>> 32);
        int k = (int) prefixState;
        int length = prefixLength;
        int n = key.length();
        int i = 0;
        while ((length & 3) != 0 && i < n && key.charAt(i) < 0x80) {
            k |= key.charAt(i++) << ((length++ & 3) << 3);
            if ((length & 3) == 0) {
                h = mix(h, k);
                k = 0;
            }
        }
        if ((length & 3) == 0) {
            for (; i + 4 <= n; i += 4, length += 4) {
                char c0 = key.charAt(i);
                char c1 = key.charAt(i + 1);
                char c2 = key.charAt(i + 2);
                char c3 = key.charAt(i + 3);
                if ((c0 | c1 | c2 | c3) >= 0x80) {
                    break;
                }
                h = mix(h, c0 | c1 << 8 | c2 << 16 | c3 << 24);
            }
        }
        for (; i < n; i++) {
            char c = key.charAt(i);
            if (c >= 0x80) {
                return bucketFrom((long) h << 32 | k & 0xffffffffL, length, key, i);
            }
            k |= c << ((length++ & 3) << 3);
            if ((length & 3) == 0) {
                h = mix(h, k);
                k = 0;
            }
        }
        return (int) (Integer.toUnsignedLong(finish((long) h << 32 | k & 0xffffffffL, length)) % BUCKETS);
    }

    /** The bucket from the first non-ASCII character of the key on, encoded byte by byte. */
    private static int bucketFrom(long state, int length, String key, int from) {
        state = feed(state, length, key, from, key.length());
        length += utf8Length(key, from, key.length());
        return (int) (Integer.toUnsignedLong(finish(state, length)) % BUCKETS);
    }

    /**
     * Feeds the UTF-8 bytes of {@code text[from, to)} to the hash, as {@code String.getBytes(UTF_8)}
     * encodes them: a surrogate pair as one 4-byte code point, a lone surrogate as {@code '?'}.
     *
     * @param state the packed state so far
     * @param length the bytes hashed so far
     * @return the packed state after the range
     */
    private static long feed(long state, int length, String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                state = push(state, length++, c);
            } else if (c < 0x800) {
                state = push(state, length++, 0xc0 | c >> 6);
                state = push(state, length++, 0x80 | c & 0x3f);
            } else if (!Character.isSurrogate(c)) {
                state = push(state, length++, 0xe0 | c >> 12);
                state = push(state, length++, 0x80 | c >> 6 & 0x3f);
                state = push(state, length++, 0x80 | c & 0x3f);
            } else if (pairAt(text, i, to)) {
                int codePoint = Character.toCodePoint(c, text.charAt(++i));
                state = push(state, length++, 0xf0 | codePoint >> 18);
                state = push(state, length++, 0x80 | codePoint >> 12 & 0x3f);
                state = push(state, length++, 0x80 | codePoint >> 6 & 0x3f);
                state = push(state, length++, 0x80 | codePoint & 0x3f);
            } else {
                // What String.getBytes(UTF_8) writes for a lone surrogate.
                state = push(state, length++, '?');
            }
        }
        return state;
    }

    /** @return how many bytes {@link #feed} hashes for {@code text[from, to)} */
    private static int utf8Length(String text, int from, int to) {
        int length = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length++;
            } else if (c < 0x800) {
                length += 2;
            } else if (!Character.isSurrogate(c)) {
                length += 3;
            } else if (pairAt(text, i, to)) {
                length += 4;
                i++;
            } else {
                length++;
            }
        }
        return length;
    }

    private static boolean pairAt(String text, int i, int to) {
        return Character.isHighSurrogate(text.charAt(i)) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1));
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
            h = mix(h, k);
            k = 0;
        }
        return (long) h << 32 | k & 0xffffffffL;
    }

    /** Mixes one full 4-byte block (little-endian) into the hash. */
    private static int mix(int h, int k) {
        k *= C1;
        k = Integer.rotateLeft(k, 15);
        k *= C2;
        h ^= k;
        h = Integer.rotateLeft(h, 13);
        return h * 5 + 0xe6546b64;
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
        Objects.requireNonNull(migration, "null migration");
        return within(prefix(migration), prefixLength(migration), key, basisPoints);
    }

    /**
     * {@link #within(String, String, int)} with the migration's prefix computed beforehand.
     *
     * @param prefixState {@link #prefix} of the migration
     * @param prefixLength {@link #prefixLength} of the migration
     * @param key the routing key, or {@code null} for a keyless read
     * @param basisPoints the percentage in hundredths, {@code 0..BUCKETS}
     * @return true if the read is inside the percentage
     */
    public static boolean within(long prefixState, int prefixLength, String key, int basisPoints) {
        if (basisPoints <= 0) {
            return false;
        }
        if (basisPoints >= BUCKETS) {
            return true;
        }
        int bucket = key == null ? ThreadLocalRandom.current().nextInt(BUCKETS) : bucket(prefixState, prefixLength, key);
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
