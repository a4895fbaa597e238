package dev.cutover.verifier;

/** How a table's chunks were compared; chosen per table from the dialects and the mapping. */
public enum ComparisonMethod {
    /**
     * Both sides run the same engine and the mapping converts no values: each side computes a
     * checksum of the chunk's rows inside the database, and only chunks whose checksums differ are
     * read and compared row by row.
     */
    DATABASE_CHECKSUM,
    /**
     * The sides differ in engine (or the mapping converts values) but agree on key order: both
     * sides stream the chunk's key range and the rows are compared as normalised values.
     */
    KEY_RANGE_STREAM,
    /**
     * The key order may differ between the sides (text keys across engines, converted values):
     * the source is streamed in chunks and the target rows are fetched by their converted keys;
     * a second walk over the target's keys finds the rows the source lacks.
     */
    KEY_LOOKUP_STREAM
}
