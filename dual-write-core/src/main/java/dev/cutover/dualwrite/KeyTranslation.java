package dev.cutover.dualwrite;

import dev.cutover.dualwrite.internal.IdMapTranslation;
import java.util.Objects;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * Translates the values of one key column between the source and the target, for a
 * {@link TableMapping} whose target identifies rows differently (e.g. legacy integer ids on the
 * source, UUIDs on the target). Routing keys stay in the source's terms; the mapping translates them
 * whenever it addresses a target row.
 *
 * <p>A translation may do I/O (the {@link #idMap id map} looks up and inserts rows) and then throws
 * {@link dev.cutover.common.CutoverException} when the database fails; the copy that needed it fails
 * and its key is queued and retried. Implementations must be thread-safe, and the two directions
 * must be inverse: {@code toSource(toTarget(v))} equals {@code v}.
 */
public interface KeyTranslation {
    /**
     * Translates a source key value into the target's.
     *
     * @param sourceValue the value on the source; null gives null
     * @return the value on the target
     * @throws dev.cutover.common.CutoverException if the translation needs a database that fails
     */
    Object toTarget(Object sourceValue);

    /**
     * Translates a target key value into the source's.
     *
     * @param targetValue the value on the target; null gives null
     * @return the value on the source
     * @throws dev.cutover.common.CutoverException if the translation needs a database that fails, or
     *     the target value has no source value (a row created on the target without an id-map entry)
     */
    Object toSource(Object targetValue);

    /**
     * The translation that keeps values unchanged.
     *
     * @return the identity
     */
    static KeyTranslation identity() {
        return of(UnaryOperator.identity(), UnaryOperator.identity());
    }

    /**
     * A translation by two functions, e.g. arithmetic on ids or a name prefix.
     *
     * @param toTarget source value to target value; must be thread-safe
     * @param toSource target value to source value, its inverse
     * @return the translation; null values are passed to the functions as they are
     */
    static KeyTranslation of(UnaryOperator<Object> toTarget, UnaryOperator<Object> toSource) {
        Objects.requireNonNull(toTarget, "null toTarget");
        Objects.requireNonNull(toSource, "null toSource");
        return new KeyTranslation() {
            @Override
            public Object toTarget(Object sourceValue) {
                return toTarget.apply(sourceValue);
            }

            @Override
            public Object toSource(Object targetValue) {
                return toSource.apply(targetValue);
            }

            @Override
            public String toString() {
                return "KeyTranslation.of(" + toTarget + ", " + toSource + ")";
            }
        };
    }

    /**
     * A translation through an id-map table on the target, e.g.
     * {@code customer_id_map(legacy_id INT PRIMARY KEY, id UUID NOT NULL UNIQUE)}: a source id with
     * no entry gets a new random UUID, inserted so that concurrent translations of one id (in any
     * number of processes) agree on one UUID. Keeps up to 100,000 translations in memory. Each
     * statement has a 5 s query timeout and each connection a 7 s network timeout, since a
     * translation runs on the thread of the write whose row is copied.
     *
     * <p>A source id gets its entry when it is first translated, which may be for a copy that
     * deletes (a key written but absent on the source), or for the verifier comparing a row not yet
     * copied; such entries are the ones the key's first copy would allocate, so they are harmless,
     * and entries are never deleted, so a re-inserted legacy id keeps its UUID.
     *
     * @param target the database holding the table (normally the target's); each lookup or insert
     *     borrows one connection of its own and commits it, so size the pool for one connection per
     *     concurrent copy beyond the copy's own
     * @param table the id-map table, optionally {@code schema.table}
     * @param sourceIdColumn its column of source ids, with a primary key or unique index
     * @param targetIdColumn its column of target ids (UUIDs), with a unique index
     * @return the translation; a target id with no entry fails {@link #toSource} with a
     *     {@link dev.cutover.common.CutoverException}
     * @throws IllegalArgumentException if a name is not a plain identifier
     */
    static KeyTranslation idMap(DataSource target, String table, String sourceIdColumn, String targetIdColumn) {
        return idMap(target, table, sourceIdColumn, targetIdColumn, 100_000);
    }

    /**
     * A translation through an id-map table, as {@link #idMap(DataSource, String, String, String)},
     * with a given number of translations kept in memory.
     *
     * @param target the database holding the table
     * @param table the id-map table, optionally {@code schema.table}
     * @param sourceIdColumn its column of source ids, with a primary key or unique index
     * @param targetIdColumn its column of target ids (UUIDs), with a unique index
     * @param maxCachedIds how many translations each direction keeps in memory, 0 to 100,000,000;
     *     a cached translation never goes stale, since entries are never changed or deleted
     * @return the translation
     * @throws IllegalArgumentException if a name is not a plain identifier or the size is out of range
     */
    static KeyTranslation idMap(DataSource target, String table, String sourceIdColumn, String targetIdColumn,
            long maxCachedIds) {
        return new IdMapTranslation(target, table, sourceIdColumn, targetIdColumn, maxCachedIds);
    }
}
