package dev.cutover.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.common.CutoverConfigurationException;
import dev.cutover.dualwrite.CutoverDataSource;
import dev.cutover.spring.boot.internal.CutoverLifecycle;
import dev.cutover.spring.boot.internal.RuntimeFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.source.MutuallyExclusiveConfigurationPropertiesException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.boot.autoconfigure.sql.init.SqlDataSourceScriptDatabaseInitializer;
import org.springframework.boot.autoconfigure.sql.init.SqlInitializationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.sql.init.DatabaseInitializationMode;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.jdbc.datasource.init.DatabasePopulator;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.util.StringUtils;

/**
 * Auto-configuration of Cutover: the source and target DataSources (pools built from
 * {@code cutover.source.*} and {@code cutover.target.*}, or the application's beans named by
 * {@code bean-name}), the runtime with the migrations of every {@link CutoverMappings} bean, the
 * application's primary {@code DataSource} as a {@link CutoverDataSource}, the lifecycle that
 * runs the retry-queue's workers, and the {@link CutoverBackfills} of this instance.
 *
 * <p>Schema scripts run on each side's own DataSource, never through the wrapper (which refuses DDL
 * from {@code DUAL_WRITE} on, and would run it on the target once the target is primary): Spring
 * Boot's {@code spring.sql.init.*} (or {@code cutover.source.sql-init.*}, which then replaces it) on
 * the source, {@code cutover.target.sql-init.*} on the target; the runtime and JPA wait for them.
 *
 * <p>Shutdown order: the lifecycle stops the workers before any bean is destroyed; then the beans
 * using the wrapped DataSource (e.g. JPA), the runtime ({@link Cutover#close()}), and last the
 * source and target pools, which the runtime is registered as depending on.
 *
 * <p>{@code cutover.enabled=false} turns all of it off, the actuator part included. A {@link Cutover}
 * bean of the application's own replaces the runtime built here, and the rest is built around it;
 * the schema scripts then need its source and target named with {@code cutover.source.bean-name}
 * and {@code cutover.target.bean-name}.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass(Cutover.class)
@ConditionalOnProperty(prefix = CutoverProperties.PREFIX, name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(CutoverProperties.class)
@Import(DatabaseInitializationDependencyConfigurer.class)
public class CutoverAutoConfiguration {
    /** The name of the source pool built from {@code cutover.source.*}. */
    public static final String SOURCE_DATA_SOURCE = "cutoverSourceDataSource";
    /** The name of the target pool built from {@code cutover.target.*}. */
    public static final String TARGET_DATA_SOURCE = "cutoverTargetDataSource";
    /** The name of the pool of the runtime's own tables, built beside the source pool from {@code cutover.source.*}. */
    public static final String STATE_DATA_SOURCE = "cutoverStateDataSource";
    /** The name of the runtime bean. */
    public static final String CUTOVER = "cutover";
    /** The name of the wrapped primary DataSource. */
    public static final String DATA_SOURCE = "cutoverDataSource";

    /** Creates the auto-configuration; Spring calls it. */
    public CutoverAutoConfiguration() {
    }

    /**
     * The source pool, from {@code cutover.source.url}, {@code username}, {@code password},
     * {@code driver-class-name} and {@code hikari.*}.
     *
     * @param properties the properties
     * @return a pool that connects on first use; closed after the runtime
     */
    @Bean(SOURCE_DATA_SOURCE)
    @ConditionalOnProperty(prefix = "cutover.source", name = "url")
    @ConfigurationProperties("cutover.source.hikari")
    public HikariDataSource cutoverSourceDataSource(CutoverProperties properties) {
        return pool(properties.source(), "cutover-source");
    }

    /**
     * The target pool, from {@code cutover.target.*} as for the source.
     *
     * @param properties the properties
     * @return a pool that connects on first use; closed after the runtime
     */
    @Bean(TARGET_DATA_SOURCE)
    @ConditionalOnProperty(prefix = "cutover.target", name = "url")
    @ConfigurationProperties("cutover.target.hikari")
    public HikariDataSource cutoverTargetDataSource(CutoverProperties properties) {
        return pool(properties.target(), "cutover-target");
    }

    /**
     * The runtime's own pool on the source database, for its flag and retry tables: the flags'
     * refresh and the retry-queue never wait behind the application's transactions on the source
     * pool, which under load (more concurrent requests than connections) would hold the flag loads
     * past their load timeout and so fail the application's writes for want of confirmed flags.
     * Built only with the source pool; {@code cutover.state.hikari.*} adjusts it.
     *
     * @param properties the properties
     * @return a pool of at most 4 connections; closed after the runtime
     */
    @Bean(STATE_DATA_SOURCE)
    @ConditionalOnProperty(prefix = "cutover.source", name = "url")
    @ConfigurationProperties("cutover.state.hikari")
    public HikariDataSource cutoverStateDataSource(CutoverProperties properties) {
        HikariDataSource pool = pool(properties.source(), "cutover-state");
        pool.setMaximumPoolSize(4);
        pool.setMinimumIdle(1);
        return pool;
    }

    private static HikariDataSource pool(CutoverProperties.Database database, String poolName) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(database.url());
        pool.setUsername(database.username());
        pool.setPassword(database.password());
        if (StringUtils.hasText(database.driverClassName())) {
            pool.setDriverClassName(database.driverClassName());
        }
        // hikari.pool-name, bound after this returns, may replace it.
        pool.setPoolName(poolName);
        return pool;
    }

    /**
     * The runtime: the flags, the retry-queue and its workers (started by the lifecycle), one
     * migration per registration of the {@link CutoverMappings} beans.
     *
     * @param properties the properties
     * @param beanFactory to find the source and target DataSources by name
     * @param customizers adjust the builder after the properties
     * @param mappings register the migrations
     * @return the runtime, closed when the context closes, before the source and target DataSources
     */
    @Bean(name = CUTOVER, destroyMethod = "close")
    @ConditionalOnMissingBean
    @DependsOnDatabaseInitialization // the scripts may create Cutover's own tables
    public Cutover cutover(CutoverProperties properties, ConfigurableListableBeanFactory beanFactory,
            ObjectProvider<CutoverBuilderCustomizer> customizers, ObjectProvider<CutoverMappings> mappings) {
        DataSource source = side(beanFactory, "cutover.source", properties.source(), SOURCE_DATA_SOURCE);
        DataSource target = side(beanFactory, "cutover.target", properties.target(), TARGET_DATA_SOURCE);
        if (source == target) {
            throw new InvalidConfigurationPropertyValueException("cutover.target", properties.target().beanName(),
                    "the source and the target are the same DataSource: name the old database as the source and the"
                            + " new one as the target");
        }
        DataSource state = null;
        if (!StringUtils.hasText(properties.source().beanName()) && beanFactory.containsBean(STATE_DATA_SOURCE)) {
            state = beanFactory.getBean(STATE_DATA_SOURCE, DataSource.class);
            beanFactory.registerDependentBean(STATE_DATA_SOURCE, CUTOVER);
        }
        return RuntimeFactory.build(properties, source, target, state, customizers.orderedStream().toList(),
                mappings.orderedStream().toList());
    }

    private static DataSource side(ConfigurableListableBeanFactory beanFactory, String prefix,
            CutoverProperties.Database database, String ownPool) {
        boolean named = StringUtils.hasText(database.beanName());
        boolean url = StringUtils.hasText(database.url());
        if (named && url) {
            throw new MutuallyExclusiveConfigurationPropertiesException(List.of(prefix + ".bean-name", prefix + ".url"),
                    List.of(prefix + ".bean-name", prefix + ".url"));
        }
        if (!named && !url) {
            throw new InvalidConfigurationPropertyValueException(prefix + ".url", null, "Cutover needs the "
                    + prefix.substring("cutover.".length()) + " database: set " + prefix + ".url (with " + prefix
                    + ".username, " + prefix + ".password and " + prefix + ".hikari.*, as for spring.datasource.*) or "
                    + prefix + ".bean-name, the name of a DataSource bean. When the application declares its own"
                    + " Cutover bean, name with " + prefix + ".bean-name the DataSource it was built on: the schema"
                    + " scripts run there, not through the wrapped DataSource (or set cutover.data-source.enabled=false"
                    + " to keep the application's DataSource unwrapped)");
        }
        String name = named ? database.beanName() : ownPool;
        if (!beanFactory.containsBean(name)) {
            throw new InvalidConfigurationPropertyValueException(prefix + ".bean-name", name, "no bean of that name"
                    + " exists; DataSource beans: " + List.of(beanFactory.getBeanNamesForType(DataSource.class)));
        }
        if (CUTOVER.equals(name) || DATA_SOURCE.equals(name)) {
            throw new InvalidConfigurationPropertyValueException(prefix + ".bean-name", name,
                    "that is Cutover's own bean; name the application's pool of that database");
        }
        DataSource dataSource = beanFactory.getBean(name, DataSource.class);
        // Destroyed after the runtime, whose queue workers and flag refresher borrow from it until closed.
        beanFactory.registerDependentBean(name, CUTOVER);
        return dataSource;
    }

    /**
     * The application's primary DataSource: the source and target wrapped for the tables of the
     * migrations {@code cutover.data-source.migrations} names, by default every registered one, each
     * table under its own migration's stage. Its reads are routed to a target of another SQL dialect
     * only with {@code cutover.data-source.cross-dialect-reads}.
     *
     * @param cutover the runtime
     * @param properties the properties
     * @param environment to refuse the former single-migration property
     * @return the wrapped DataSource; it owns no connections
     */
    @Bean(DATA_SOURCE)
    @Primary
    @ConditionalOnProperty(prefix = "cutover.data-source", name = "enabled", havingValue = "true", matchIfMissing = true)
    public CutoverDataSource cutoverDataSource(Cutover cutover, CutoverProperties properties, Environment environment) {
        if (environment.containsProperty("cutover.data-source.migration")) {
            // Left unbound it would be ignored, and the DataSource would silently carry every migration.
            throw new InvalidConfigurationPropertyValueException("cutover.data-source.migration",
                    environment.getProperty("cutover.data-source.migration"), "the DataSource now carries several"
                            + " migrations: rename it to cutover.data-source.migrations (a list, by default every"
                            + " registered migration)");
        }
        CutoverProperties.WrappedDataSource settings = properties.dataSource();
        Collection<Migration> migrations = cutover.migrations();
        List<String> wrapped = new ArrayList<>(settings.migrations());
        if (wrapped.isEmpty()) {
            if (migrations.isEmpty()) {
                throw new InvalidConfigurationPropertyValueException("cutover.data-source.migrations", null,
                        "no migration is registered: declare a CutoverMappings bean that registers the migrations"
                                + " whose tables the application's DataSource writes (or set"
                                + " cutover.data-source.enabled=false)");
            }
            migrations.forEach(migration -> wrapped.add(migration.name()));
        }
        for (String name : wrapped) {
            try {
                cutover.migration(name);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigurationPropertyValueException("cutover.data-source.migrations", name,
                        "no such migration; registered: " + names(migrations));
            }
        }
        try {
            return cutover.dataSourceBuilder(wrapped.get(0), wrapped.subList(1, wrapped.size()).toArray(String[]::new))
                    .passThrough(settings.passThrough().toArray(String[]::new))
                    .crossDialectReads(settings.crossDialectReads()).build();
        } catch (CutoverConfigurationException | IllegalArgumentException e) {
            throw new IllegalStateException("Cannot wrap the application's DataSource for migrations " + wrapped
                    + " (cutover.data-source.*): " + e.getMessage(), e);
        }
    }

    private static String names(Collection<Migration> migrations) {
        return migrations.stream().map(Migration::name).collect(Collectors.joining(", "));
    }

    /**
     * Starts the retry-queue's workers once the context is wired and stops them before it is torn down.
     *
     * @param cutover the runtime
     * @return the lifecycle
     */
    @Bean
    public CutoverLifecycle cutoverLifecycle(Cutover cutover) {
        return new CutoverLifecycle(cutover);
    }

    /**
     * The backfills this instance runs, paced by {@code cutover.backfill.*}; the {@code cutover}
     * endpoint starts, pauses, resumes and stops them.
     *
     * @param cutover the runtime
     * @return the registry; it stops running backfills when the context closes, before the runtime
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public CutoverBackfills cutoverBackfills(Cutover cutover) {
        return new CutoverBackfills(cutover);
    }

    /**
     * Runs the schema scripts on each side's own DataSource instead of Spring Boot's initializer,
     * which would run them on the primary DataSource, the wrapper.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(DatabasePopulator.class)
    @ConditionalOnProperty(prefix = "cutover.data-source", name = "enabled", havingValue = "true", matchIfMissing = true)
    @ConditionalOnMissingBean(SqlDataSourceScriptDatabaseInitializer.class)
    static class SqlInitializationConfiguration {
        /**
         * {@code cutover.source.sql-init.*} when any of it is set, otherwise the application's own
         * {@code spring.sql.init.*}, on the source's DataSource.
         */
        @Bean
        SqlDataSourceScriptDatabaseInitializer cutoverSourceSqlInitializer(ConfigurableListableBeanFactory beanFactory,
                CutoverProperties properties, Environment environment) {
            SqlInitializationProperties settings = properties.source().sqlInit();
            if (settings == null) {
                Binder binder = Binder.get(environment);
                settings = binder.bind("spring.sql.init", SqlInitializationProperties.class)
                        .orElseGet(SqlInitializationProperties::new);
                if (!binder.bind("spring.sql.init.enabled", Boolean.class).orElse(true)) {
                    settings.setMode(DatabaseInitializationMode.NEVER);
                }
            }
            return new SqlDataSourceScriptDatabaseInitializer(
                    side(beanFactory, "cutover.source", properties.source(), SOURCE_DATA_SOURCE), settings);
        }

        /** {@code cutover.target.sql-init.*} on the target's DataSource; nothing when none of it is set. */
        @Bean
        SqlDataSourceScriptDatabaseInitializer cutoverTargetSqlInitializer(ConfigurableListableBeanFactory beanFactory,
                CutoverProperties properties) {
            SqlInitializationProperties settings = properties.target().sqlInit();
            if (settings == null) {
                settings = new SqlInitializationProperties();
                settings.setMode(DatabaseInitializationMode.NEVER);
            }
            return new SqlDataSourceScriptDatabaseInitializer(
                    side(beanFactory, "cutover.target", properties.target(), TARGET_DATA_SOURCE), settings);
        }
    }

    /**
     * Lets repositories wrapped with {@code cutover.migration(name).repository(...)} and called inside
     * a Spring transaction copy its writes after it commits ({@link SpringCallerTransactions}),
     * instead of waiting on the row locks the transaction holds. The wrapped DataSource needs
     * nothing: it copies after its own connection's commit.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(TransactionSynchronizationManager.class)
    static class CallerTransactionsConfiguration {
        @Bean
        CutoverBuilderCustomizer cutoverCallerTransactionsCustomizer() {
            return builder -> builder.callerTransactions(new SpringCallerTransactions());
        }
    }

    /** Publishes Cutover's meters to the application's registry, when it has one. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class MetricsConfiguration {
        @Bean
        CutoverBuilderCustomizer cutoverMeterRegistryCustomizer(ObjectProvider<MeterRegistry> registry) {
            return builder -> registry.ifAvailable(builder::meterRegistry);
        }
    }
}
