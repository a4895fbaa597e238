package dev.cutover.dualwrite;

/**
 * Entry point of the dual-write core: wraps an application's repositories so that their writes go
 * to the source and the target according to the migration's stage and their reads go through the
 * read router.
 *
 * <pre>{@code
 * CustomerDao dao = Cutover.repository(CustomerDao.class)
 *         .source(sourceJdbi.onDemand(CustomerDao.class))
 *         .target(targetJdbi.onDemand(CustomerDao.class))
 *         .migration("customers")
 *         .flags(migrationFlags)
 *         .router(readRouter)
 *         .retryQueue(retryQueue)
 *         .resync(keyResync, "customers")
 *         .build();
 * }</pre>
 */
public final class Cutover {
    private Cutover() {
    }

    /**
     * Starts wrapping a repository interface.
     *
     * @param type the repository's interface, a plain Java interface or a JDBI SqlObject interface
     * @param <T> the repository type
     * @return the builder
     * @throws IllegalArgumentException if the type is not an interface
     */
    public static <T> RepositoryBuilder<T> repository(Class<T> type) {
        return new RepositoryBuilder<>(type);
    }
}
