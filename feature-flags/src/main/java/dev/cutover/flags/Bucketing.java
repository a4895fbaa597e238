package dev.cutover.flags;

import java.nio.charset.StandardCharsets;
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
        byte[] bytes = (migration + '\0' + key).getBytes(StandardCharsets.UTF_8);
        return (int) (Integer.toUnsignedLong(murmur3(bytes, 0)) % BUCKETS);
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

    @SuppressWarnings("fallthrough") // the tail bytes of MurmurHash3 are mixed in by deliberate fall-through
    static int murmur3(byte[] data, int seed) {
        final int c1 = 0xcc9e2d51;
        final int c2 = 0x1b873593;
        int h = seed;
        int blocks = data.length / 4;
        for (int i = 0; i < blocks; i++) {
            int at = i * 4;
            int k = (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16 | (data[at + 3] & 0xff) << 24;
            k *= c1;
            k = Integer.rotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        int tail = blocks * 4;
        int k = 0;
        switch (data.length & 3) {
            case 3:
                k ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                k ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                k ^= data[tail] & 0xff;
                k *= c1;
                k = Integer.rotateLeft(k, 15);
                k *= c2;
                h ^= k;
                // fall through
            default:
                break;
        }
        h ^= data.length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
