package dev.cutover.flags;

/** One of the two databases of a migration. */
public enum Side {
    /** The database being migrated away from. */
    SOURCE,
    /** The database being migrated to. */
    TARGET;

    /** @return the other side */
    public Side other() {
        return this == SOURCE ? TARGET : SOURCE;
    }
}
