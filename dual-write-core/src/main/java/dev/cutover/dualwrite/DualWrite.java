package dev.cutover.dualwrite;

/**
 * Entry point of the dual-write core: wraps an application's repositories, or its {@code DataSource},
 * so that writes go to the source and the target according to the migration's stage and reads go
 * through the read router. Both styles share one mirroring mechanism and give the same guarantees
 * (see {@link RepositoryBuilder} and {@link CutoverDataSource}).
 *
 * <pre>{@code
 * CustomerDao dao = DualWrite.repository(CustomerDao.class)
 *         .source(sourceJdbi.onDemand(CustomerDao.class))
 *         .target(targetJdbi.onDemand(CustomerDao.class))
 *         .migration("customers")
 *         .flags(migrationFlags)
 *         .router(readRouter)
 *         .retryQueue(retryQueue)
 *         .rowCopier(rowCopier, "customers")
 *         .build();
 *
 * DataSource dataSource = DualWrite.dataSource(sourcePool, targetPool)
 *         .migration("customers")
 *         .flags(migrationFlags)
 *         .router(readRouter)
 *         .retryQueue(retryQueue)
 *         .rowCopier(rowCopier)
 *         .build();
 * }</pre>
 */
public final class DualWrite {
    private DualWrite() {
    }

    /**
     * Starts wrapping a repository interface.
     *
     * @param type the repository's interface, a plain Java interface or a JDBI SqlObject interface
     * @param <T> the repository type
     * @return the builder
     * @throws RepositoryDefinitionException if the type is not an interface
     */
    public static <T> RepositoryBuilder<T> repository(Class<T> type) {
        return new RepositoryBuilder<>(type);
    }

    /**
     * Starts wrapping two data sources into one that dual-writes plain JDBC code.
     *
     * @param source the source database, e.g. its HikariCP pool
     * @param target the target database
     * @return the builder
     */
    public static CutoverDataSource.Builder dataSource(javax.sql.DataSource source, javax.sql.DataSource target) {
        return new CutoverDataSource.Builder(source, target);
    }
}
