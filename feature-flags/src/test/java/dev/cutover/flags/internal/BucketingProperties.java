package dev.cutover.flags.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

class BucketingProperties {
    private static final String MIGRATION = "customers";
    private static final int KEYS = 100_000;
    /** The buckets of customer-0 to customer-7 in migration "customers", as 0.1.0 computed them. */
    private static final java.util.List<Integer> KNOWN_BUCKETS = java.util.List.of(2890, 9255, 2721, 4620, 3350, 5743, 7648, 7732);
    /** Buckets of 100,000 random keys (fixed seed, so a failure can be replayed), sorted. */
    private static final int[] SORTED_BUCKETS = sortedBuckets(new Random(20261123L));

    @Example
    void murmur3_matchesPublishedVectors() {
        assertEquals(0, Bucketing.murmur3(new byte[0]));
        assertEquals(0x248bfa47, Bucketing.murmur3("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0x2e4ff723, Bucketing.murmur3(
                "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Buckets must not move on upgrade: a running migration's sticky keys stay where they are. The
     * bucket was the hash of the concatenated string's UTF-8 bytes; it is now encoded on the fly.
     */
    @Property(tries = 3000)
    void bucket_isTheHashOfTheUtf8BytesOfMigrationSeparatorAndKey(@ForAll @StringLength(max = 30) String migration,
                                                                  @ForAll @StringLength(max = 40) String key) {
        byte[] bytes = (migration + '\0' + key).getBytes(StandardCharsets.UTF_8);
        assertEquals((int) (Integer.toUnsignedLong(Bucketing.murmur3(bytes)) % Bucketing.BUCKETS),
                Bucketing.bucket(migration, key));
    }

    @Example
    void bucket_agreesOnSurrogatesPairedSplitAndAlone() {
        String pair = "\uD83D\uDE00";
        for (String migration : new String[] {"m", "m" + pair, "m\uD83D", "\uDE00m", "ab\u00e9\u4e2d"}) {
            for (String key : new String[] {"", "k", pair, "\uDE00", "\uD83D", "\uDE00x" + pair + "\uD83D", "caf\u00e9"}) {
                byte[] bytes = (migration + '\0' + key).getBytes(StandardCharsets.UTF_8);
                assertEquals((int) (Integer.toUnsignedLong(Bucketing.murmur3(bytes)) % Bucketing.BUCKETS),
                        Bucketing.bucket(migration, key), migration + " / " + key);
            }
        }
    }

    /**
     * The hot path mixes four ASCII characters at a time once the hash reaches a block boundary: every
     * offset of the key against the blocks (migration lengths 1 to 4), every key length up to 13, and a
     * non-ASCII character at every position, must still hash the concatenated string's bytes.
     */
    @Example
    void bucket_agreesForEveryBlockOffsetAndNonAsciiPosition() {
        String ascii = "customer-1234";
        for (String migration : new String[] {"m", "mi", "mig", "migr"}) {
            for (int length = 0; length <= ascii.length(); length++) {
                String key = ascii.substring(0, length);
                assertEquals(reference(migration, key), Bucketing.bucket(migration, key), migration + " / " + key);
                for (int at = 0; at < length; at++) {
                    String mixed = key.substring(0, at) + "é" + key.substring(at + 1);
                    assertEquals(reference(migration, mixed), Bucketing.bucket(migration, mixed), migration + " / " + mixed);
                }
            }
        }
    }

    private static int reference(String migration, String key) {
        byte[] bytes = (migration + '\0' + key).getBytes(StandardCharsets.UTF_8);
        return (int) (Integer.toUnsignedLong(Bucketing.murmur3(bytes)) % Bucketing.BUCKETS);
    }

    /** Buckets published by the release before the streaming hash, for fixed keys. */
    @Example
    void bucket_keepsTheValuesOfEarlierReleases() {
        assertEquals(KNOWN_BUCKETS, java.util.stream.IntStream.range(0, 8)
                .mapToObj(i -> Bucketing.bucket(MIGRATION, "customer-" + i)).toList());
    }

    @Property(tries = 1000)
    void bucketing_isStickyForAKey(@ForAll @StringLength(min = 1, max = 40) String key,
                                   @ForAll("basisPoints") int basisPoints) {
        boolean first = Bucketing.within(MIGRATION, key, basisPoints);
        for (int i = 0; i < 5; i++) {
            assertEquals(first, Bucketing.within(MIGRATION, key, basisPoints));
        }
    }

    @Property(tries = 1000)
    void raisingThePercentage_onlyMovesKeysFromSourceToTarget(@ForAll @StringLength(min = 1, max = 40) String key,
                                                             @ForAll("basisPoints") int lower,
                                                             @ForAll("basisPoints") int higher) {
        int low = Math.min(lower, higher);
        int high = Math.max(lower, higher);
        if (Bucketing.within(MIGRATION, key, low)) {
            assertTrue(Bucketing.within(MIGRATION, key, high),
                    "key '" + key + "' was on the target at " + low + " bp but went back to the source at " + high + " bp");
        }
    }

    @Property(tries = 1000)
    void hundredThousandRandomKeys_landWithinHalfAPointOfThePercentage(@ForAll("basisPoints") int basisPoints) {
        assertWithinHalfAPoint(basisPoints);
    }

    @Example
    void everyPercentage_landsWithinHalfAPointOnHundredThousandKeys() {
        for (int basisPoints = 0; basisPoints <= Bucketing.BUCKETS; basisPoints++) {
            assertWithinHalfAPoint(basisPoints);
        }
    }

    @Property(tries = 1000)
    void bucket_isAlwaysInRange(@ForAll @StringLength(max = 60) String migration, @ForAll String key) {
        int bucket = Bucketing.bucket(migration, key);
        assertTrue(bucket >= 0 && bucket < Bucketing.BUCKETS, "bucket " + bucket);
    }

    @Property(tries = 1000)
    void keylessReads_respectTheExtremes(@ForAll @IntRange(min = 0, max = 1) int allOrNothing) {
        int basisPoints = allOrNothing * Bucketing.BUCKETS;
        assertEquals(allOrNothing == 1, Bucketing.within(MIGRATION, null, basisPoints));
    }

    @Provide
    Arbitrary<Integer> basisPoints() {
        return Arbitraries.integers().between(0, Bucketing.BUCKETS).edgeCases(c -> c.includeOnly(0, 1, 5000, 9999, 10000));
    }

    private static void assertWithinHalfAPoint(int basisPoints) {
        int onTarget = countBelow(basisPoints);
        double percentOnTarget = 100.0 * onTarget / KEYS;
        double expected = basisPoints / 100.0;
        assertTrue(Math.abs(percentOnTarget - expected) <= 0.5,
                "at " + expected + "% the target got " + percentOnTarget + "% of " + KEYS + " keys");
    }

    private static int countBelow(int basisPoints) {
        int at = Arrays.binarySearch(SORTED_BUCKETS, basisPoints);
        if (at < 0) {
            return -at - 1;
        }
        while (at > 0 && SORTED_BUCKETS[at - 1] == basisPoints) {
            at--;
        }
        return at;
    }

    private static int[] sortedBuckets(Random random) {
        int[] buckets = new int[KEYS];
        for (int i = 0; i < KEYS; i++) {
            String key = new UUID(random.nextLong(), random.nextLong()).toString();
            buckets[i] = Bucketing.bucket(MIGRATION, key);
        }
        Arrays.sort(buckets);
        return buckets;
    }
}
