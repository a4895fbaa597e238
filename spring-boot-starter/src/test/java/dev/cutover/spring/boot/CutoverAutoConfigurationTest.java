package dev.cutover.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.cutover.Cutover;
import dev.cutover.Migration;
import dev.cutover.dualwrite.BackfillConfig;
import dev.cutover.dualwrite.BackfillProgress;
import dev.cutover.dualwrite.CutoverDataSource;
import dev.cutover.dualwrite.CopyReplayHandler;
import dev.cutover.dualwrite.TableMapping;
import dev.cutover.flags.FlagChange;
import dev.cutover.flags.Side;
import dev.cutover.flags.Stage;
import dev.cutover.spring.boot.actuate.CutoverActuatorAutoConfiguration;
import dev.cutover.spring.boot.actuate.CutoverEndpoint;
import dev.cutover.spring.boot.actuate.CutoverHealthIndicator;
import dev.cutover.spring.boot.internal.CutoverLifecycle;
import dev.cutover.testsupport.Await;
import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;
import dev.cutover.testsupport.TestDatabases;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.WebEndpointsSupplier;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.source.MutuallyExclusiveConfigurationPropertiesException;
import org.springframework.boot.sql.init.DatabaseInitializationMode;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter as an application meets it, on PostgreSQL: properties in, a wrapped primary
 * DataSource out, the runtime's workers run by the context's lifecycle, everything closed in order.
 */
class CutoverAutoConfigurationTest {
    private static final String DDL = "CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)";
    private static final String ORDERS_DDL = "CREATE TABLE orders (id BIGINT PRIMARY KEY, total BIGINT NOT NULL)";
    private static final TableMapping ACCOUNTS = TableMapping.builder("accounts").key("id", Long.class)
            .columns("balance").build();
    private static final TableMapping ORDERS = TableMapping.builder("orders").key("id", Long.class)
            .columns("total").build();

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(CutoverAutoConfiguration.class, CutoverActuatorAutoConfiguration.class));

    private TestDatabase sourceDb;
    private TestDatabase targetDb;

    @BeforeEach
    void databases() {
        sourceDb = TestDatabases.create(Engine.POSTGRESQL, "bootsrc");
        targetDb = TestDatabases.create(Engine.POSTGRESQL, "boottgt");
        sourceDb.execute(DDL, ORDERS_DDL);
        targetDb.execute(DDL, ORDERS_DDL);
    }

    @AfterEach
    void dropDatabases() {
        sourceDb.close();
        targetDb.close();
    }

    /** The shortest setup: two URLs, tables created, one migration; fast polling for the tests. */
    private ApplicationContextRunner withDatabases() {
        return runner.withPropertyValues("cutover.source.url=" + sourceDb.jdbcUrl(),
                        "cutover.target.url=" + targetDb.jdbcUrl(), "cutover.create-tables=true",
                        "cutover.retry-queue.poll-interval=20ms", "cutover.flags.refresh-interval=50ms")
                .withBean(CutoverMappings.class, () -> migrations -> migrations.migration("accounts", ACCOUNTS));
    }

    @Test
    void propertiesBindToTheRuntimeThePoolsAndTheWrappedPrimaryDataSource() {
        withDatabases().withPropertyValues("cutover.table-prefix=app_cutover_", "cutover.source.hikari.maximum-pool-size=3",
                        "cutover.target.hikari.pool-name=new-db", "cutover.retry-queue.worker-count=3",
                        "cutover.verifier.chunk-size=500", "cutover.health.max-parked=2")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    CutoverProperties properties = context.getBean(CutoverProperties.class);
                    assertThat(properties.retryQueue().workerCount()).isEqualTo(3);
                    assertThat(properties.verifier().chunkSize()).isEqualTo(500);
                    assertThat(properties.health().maxParked()).isEqualTo(2);
                    HikariDataSource source = context.getBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE,
                            HikariDataSource.class);
                    HikariDataSource target = context.getBean(CutoverAutoConfiguration.TARGET_DATA_SOURCE,
                            HikariDataSource.class);
                    assertThat(source.getMaximumPoolSize()).isEqualTo(3);
                    assertThat(source.getPoolName()).isEqualTo("cutover-source");
                    assertThat(target.getPoolName()).isEqualTo("new-db");
                    assertThat(context.getBean(DataSource.class)).isInstanceOf(CutoverDataSource.class);
                    assertThat(((CutoverDataSource) context.getBean(DataSource.class)).migration()).isEqualTo("accounts");
                    assertThat(count(sourceDb, "SELECT COUNT(*) FROM information_schema.tables"
                            + " WHERE table_name = 'app_cutover_flag_state'")).as("created with the prefix").isEqualTo(1);
                    Cutover cutover = context.getBean(Cutover.class);
                    assertThat(cutover.queueWorkersRunning()).as("started by the lifecycle").isTrue();
                    assertThat(threads("cutover-retry-")).as("cutover.retry-queue.worker-count").isEqualTo(3);
                    assertThat(cutover.migration("accounts").rowCopier().logValues()).as("values stay out by default")
                            .isFalse();
                });
    }

    /**
     * Bound through the records' constructors: an unset option of the runtime stays null (the
     * runtime's default applies), the starter's own options take the defaults they always had, and a
     * side's sql-init is there only when one of its keys is set.
     */
    @Test
    void unsetPropertiesBindToTheStartersDefaultsOrToNull() {
        ApplicationContextRunner bindOnly = new ApplicationContextRunner()
                .withUserConfiguration(PropertiesOnly.class);
        bindOnly.run(context -> {
            CutoverProperties properties = context.getBean(CutoverProperties.class);
            assertThat(properties.enabled()).isTrue();
            assertThat(properties.createTables()).isFalse();
            assertThat(properties.logValues()).isFalse();
            assertThat(properties.tablePrefix()).isNull();
            assertThat(properties.dataSource()).isEqualTo(
                    new CutoverProperties.WrappedDataSource(true, List.of(), List.of(), false));
            assertThat(properties.health()).isEqualTo(
                    new CutoverProperties.Health(10_000, Duration.ofMinutes(5), 0, "DEGRADED"));
            assertThat(properties.flags()).isEqualTo(new CutoverProperties.Flags(null, null, null, null, null, null));
            assertThat(properties.retryQueue().workerCount()).isNull();
            assertThat(properties.backfill().chunkTime()).isNull();
            assertThat(properties.source().url()).isNull();
            assertThat(properties.source().sqlInit()).isNull();
        });
        bindOnly.withPropertyValues("cutover.source.sql-init.mode=never", "cutover.source.password=s3cret",
                "cutover.data-source.migrations=orders,accounts", "cutover.flags.refresh-interval=2s").run(context -> {
                    CutoverProperties properties = context.getBean(CutoverProperties.class);
                    assertThat(properties.source().sqlInit().getMode()).isEqualTo(DatabaseInitializationMode.NEVER);
                    assertThat(properties.target().sqlInit()).isNull();
                    assertThat(properties.dataSource().migrations()).containsExactly("orders", "accounts");
                    assertThat(properties.flags().refreshInterval()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(properties.source().toString()).doesNotContain("s3cret");
                });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(CutoverProperties.class)
    static class PropertiesOnly {
    }

    @Test
    void logValuesOptsTheRuntimeIntoShowingRowValues() {
        withDatabases().withPropertyValues("cutover.log-values=true").run(context -> {
            assertThat(context).hasNotFailed();
            Cutover cutover = context.getBean(Cutover.class);
            assertThat(cutover.migration("accounts").rowCopier().logValues()).isTrue();
            assertThat(cutover.migration("accounts").router().config().revealValues()).isTrue();
        });
    }

    /**
     * Scripts through the wrapper would be refused from DUAL_WRITE on (DDL) and would reach the
     * target once it is primary; the starter runs spring.sql.init on the source's own pool and
     * cutover.target.sql-init on the target's, so a restart in DUAL_WRITE runs them again unrefused.
     */
    @Test
    void schemaScriptsRunOnEachSidesOwnDataSource_alsoPastSourceOnly() throws Exception {
        Path scripts = Files.createTempDirectory("cutover-sql-init");
        Path sourceScript = Files.writeString(scripts.resolve("source.sql"),
                "CREATE TABLE IF NOT EXISTS source_only (id BIGINT PRIMARY KEY);");
        Path targetScript = Files.writeString(scripts.resolve("target.sql"),
                "CREATE TABLE IF NOT EXISTS target_only (id BIGINT PRIMARY KEY);");
        ApplicationContextRunner withScripts = withDatabases().withPropertyValues("spring.sql.init.mode=always",
                "spring.sql.init.schema-locations=" + sourceScript.toUri(), "cutover.target.sql-init.mode=always",
                "cutover.target.sql-init.schema-locations=" + targetScript.toUri());
        withScripts.run(context -> {
            assertThat(context).hasNotFailed();
            context.getBean(Cutover.class).migration("accounts").moveTo(Stage.DUAL_WRITE, "test", "mirror");
        });
        withScripts.run(context -> {
            assertThat(context).as("restarted in DUAL_WRITE").hasNotFailed();
            assertThat(context.getBean(Cutover.class).migration("accounts").stage()).isEqualTo(Stage.DUAL_WRITE);
            HikariDataSource state = context.getBean(CutoverAutoConfiguration.STATE_DATA_SOURCE, HikariDataSource.class);
            assertThat(state.getPoolName()).isEqualTo("cutover-state");
            assertThat(state.getMaximumPoolSize()).as("the runtime's own small pool").isEqualTo(4);
        });
        String table = "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '%s'";
        assertThat(count(sourceDb, table.formatted("source_only"))).isEqualTo(1);
        assertThat(count(targetDb, table.formatted("source_only"))).isZero();
        assertThat(count(targetDb, table.formatted("target_only"))).isEqualTo(1);
        assertThat(count(sourceDb, table.formatted("target_only"))).isZero();
        try (var paths = Files.list(scripts)) {
            for (Path path : paths.toList()) {
                Files.delete(path);
            }
        }
        Files.delete(scripts);
    }

    /**
     * cutover.backfill.* reaches every migration's backfill; an unset initial chunk size moves inside
     * the bounds that were set.
     */
    @Test
    void backfillPropertiesPaceEveryMigrationsBackfill() {
        withDatabases().withPropertyValues("cutover.backfill.rows-per-second=500", "cutover.backfill.chunk-time=200ms",
                        "cutover.backfill.min-chunk-size=5", "cutover.backfill.max-chunk-size=50",
                        "cutover.backfill.back-off-latency=0", "cutover.backfill.back-off-latency-ratio=1.5",
                        "cutover.backfill.back-off-baseline-window=250ms", "cutover.backfill.back-off-baseline-refresh=20s",
                        "cutover.backfill.back-off-min-duty-cycle=0.2",
                        "cutover.backfill.statement-timeout=7s", "cutover.backfill.max-chunk-attempts=3",
                        "cutover.backfill.progress-log-interval=2s")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    BackfillConfig config = context.getBean(Cutover.class).migration("accounts").backfill().build().config();
                    assertThat(config.rowsPerSecond()).isEqualTo(500);
                    assertThat(config.chunkTime()).isEqualTo(Duration.ofMillis(200));
                    assertThat(config.minChunkSize()).isEqualTo(5);
                    assertThat(config.initialChunkSize()).as("the default 1,000 brought within max-chunk-size").isEqualTo(50);
                    assertThat(config.maxChunkSize()).isEqualTo(50);
                    assertThat(config.backOffLatency()).isZero();
                    assertThat(config.backOffLatencyRatio()).isEqualTo(1.5);
                    assertThat(config.backOffBaselineWindow()).isEqualTo(Duration.ofMillis(250));
                    assertThat(config.backOffBaselineRefresh()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(config.backOffMinDutyCycle()).isEqualTo(0.2);
                    assertThat(config.statementTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(config.maxChunkAttempts()).isEqualTo(3);
                    assertThat(config.progressLogInterval()).isEqualTo(Duration.ofSeconds(2));
                });
        withDatabases().run(context -> assertThat(context.getBean(Cutover.class).migration("accounts").backfill().build()
                .config().toString()).as("unset: the defaults").isEqualTo(BackfillConfig.ofDefaults().toString()));
    }

    @Test
    void invalidSettingsFailStartUpNamingThePropertyAndTheFix() throws Exception {
        runner.run(context -> assertThat(failure(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("cutover.source.url").hasMessageContaining("cutover.source.bean-name"));
        runner.withPropertyValues("cutover.source.url=" + sourceDb.jdbcUrl(), "cutover.source.bean-name=legacy",
                        "cutover.target.url=" + targetDb.jdbcUrl())
                .run(context -> assertThat(failure(context))
                        .isInstanceOf(MutuallyExclusiveConfigurationPropertiesException.class)
                        .hasMessageContaining("cutover.source.bean-name").hasMessageContaining("cutover.source.url"));
        runner.withPropertyValues("cutover.source.bean-name=legacy", "cutover.target.url=" + targetDb.jdbcUrl())
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover.source.bean-name")
                        .hasMessageContaining("no bean of that name"));
        withDatabases().withPropertyValues("cutover.retry-queue.worker-count=0")
                .run(context -> assertThat(failure(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
                        .hasMessageContaining("cutover.retry-queue.worker-count").hasMessageContaining("workerCount"));
        withDatabases().withPropertyValues("cutover.flags.refresh-interval=1ms")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover.flags.refresh-interval")
                        .hasMessageContaining("between 10 ms and 1 h"));
        withDatabases().withPropertyValues("cutover.backfill.chunk-time=1ms")
                .run(context -> assertThat(failure(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
                        .hasMessageContaining("cutover.backfill.chunk-time"));
        withDatabases().withPropertyValues("cutover.backfill.max-chunk-size=200000")
                .run(context -> assertThat(failure(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
                        .hasMessageContaining("cutover.backfill.max-chunk-size"));
        withDatabases().withPropertyValues("cutover.backfill.min-chunk-size=100", "cutover.backfill.max-chunk-size=10")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover.backfill")
                        .hasMessageContaining("min-chunk-size"));
        withDatabases().withPropertyValues("cutover.table-prefix=no-dashes")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover.table-prefix"));
        withDatabases().withPropertyValues("cutover.create-tables=false")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover_flag_state")
                        .hasMessageContaining("cutover.create-tables=true")
                        .hasMessageContaining("dev/cutover/flags/<dialect>.sql"));
        // Tables created by hand from the flags' and queue's scripts only: the backfill's checkpoint table is missing.
        sourceDb.execute(scripts("dev/cutover/flags/postgresql.sql", "dev/cutover/queue/internal/postgresql.sql"));
        withDatabases().withPropertyValues("cutover.create-tables=false")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover_verifier_checkpoint")
                        .hasMessageContaining("dev/cutover/verifier/<dialect>.sql"));
        withDatabases().withPropertyValues("cutover.data-source.migration=accounts")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover.data-source.migrations"));
        withDatabases().withBean("orders", CutoverMappings.class, () -> migrations -> migrations.migration("orders", ORDERS))
                .withPropertyValues("cutover.data-source.migrations=orders,typo")
                .run(context -> assertThat(failure(context)).hasMessageContaining("cutover.data-source.migrations")
                        .hasMessageContaining("typo").hasMessageContaining("accounts, orders"));
        withDatabases().withBean("orders", CutoverMappings.class, () -> migrations -> migrations.migration("orders", ORDERS))
                .withPropertyValues("cutover.data-source.migrations=orders")
                .run(context -> assertThat(((CutoverDataSource) context.getBean(DataSource.class)).migrations())
                        .containsExactly("orders"));
    }

    /**
     * Several registered migrations share the application's DataSource by default, each table under
     * its own migration's stage; while their primaries disagree it refuses writes, naming the fix, and
     * the endpoint moves them together (one transaction of the flags, audited per migration).
     */
    @Test
    void severalMigrationsShareTheApplicationsDataSource_andTheEndpointMovesTheirPrimaryTogether() {
        withDatabases().withBean("orders", CutoverMappings.class, () -> migrations -> migrations.migration("orders", ORDERS))
                .withPropertyValues("management.endpoints.web.exposure.include=cutover")
                .run(context -> {
                    CutoverDataSource dataSource = (CutoverDataSource) context.getBean(DataSource.class);
                    assertThat(dataSource.migrations()).containsExactly("accounts", "orders");
                    Cutover cutover = context.getBean(Cutover.class);
                    CutoverEndpoint endpoint = context.getBean(CutoverEndpoint.class);
                    endpoint.moveTogether("accounts, orders", "dual_write", "alice", "mirror both",
                            SecurityContext.NONE);
                    // Per migration, keeping the primary: only the accounts shift their reads.
                    cutover.migration("accounts").moveTo(Stage.SHIFT_READS, "alice", "accounts first");
                    update(dataSource, "INSERT INTO accounts (id, balance) VALUES (1, 10)");
                    update(dataSource, "INSERT INTO orders (id, total) VALUES (1, 20)");
                    assertThat(count(targetDb, "SELECT balance + 0 FROM accounts WHERE id = 1")).isEqualTo(10);
                    assertThat(count(targetDb, "SELECT total + 0 FROM orders WHERE id = 1")).isEqualTo(20);

                    cutover.migration("orders").moveTo(Stage.SHIFT_READS, "alice", "orders follow");
                    cutover.migration("accounts").moveTo(Stage.TARGET_PRIMARY, "alice", "moved alone");
                    assertThatThrownBy(() -> update(dataSource, "UPDATE orders SET total = 21 WHERE id = 1"))
                            .hasMessageContaining("accounts (TARGET_PRIMARY)").hasMessageContaining("orders (SHIFT_READS)")
                            .hasMessageContaining("moveTogether(Set.of(\"orders\"), Stage.TARGET_PRIMARY");
                    assertThat(count(sourceDb, "SELECT total + 0 FROM orders WHERE id = 1")).isEqualTo(20);

                    assertThatThrownBy(() -> endpoint.moveTogether("orders,typo", "TARGET_PRIMARY", "alice",
                            "join", SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("typo");
                    CutoverEndpoint.CutoverDescriptor moved = endpoint.moveTogether("orders", "TARGET_PRIMARY",
                            "alice", "join the accounts", SecurityContext.NONE);
                    assertThat(moved.migrations().get("orders").stage()).isEqualTo("TARGET_PRIMARY");
                    update(dataSource, "UPDATE orders SET total = 21 WHERE id = 1");
                    assertThat(count(targetDb, "SELECT total + 0 FROM orders WHERE id = 1")).isEqualTo(21);
                    assertThat(count(sourceDb, "SELECT total + 0 FROM orders WHERE id = 1")).as("mirrored back")
                            .isEqualTo(21);
                    for (String migration : List.of("accounts", "orders")) {
                        assertThat(cutover.flags().audit(migration, 10)).isNotEmpty()
                                .allSatisfy(change -> assertThat(change.actor()).isEqualTo("alice"));
                    }
                    assertThat(cutover.flags().audit("orders", 1).get(0).reason()).isEqualTo("join the accounts");
                });
    }

    private static void update(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    /**
     * cutover.enabled=false turns the starter off whole: the application gets Spring Boot's plain
     * DataSource and no bean of Cutover's, and a Cutover bean of its own is left to it, with no
     * endpoint, health or lifecycle built around it.
     */
    @Test
    void disabledTheStarterBacksOffWithOrWithoutARuntimeOfTheApplications() {
        ApplicationContextRunner disabled = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CutoverAutoConfiguration.class,
                        CutoverActuatorAutoConfiguration.class, DataSourceAutoConfiguration.class))
                .withPropertyValues("cutover.enabled=false", "spring.datasource.url=" + sourceDb.jdbcUrl(),
                        "cutover.source.url=" + sourceDb.jdbcUrl(), "cutover.target.url=" + targetDb.jdbcUrl(),
                        "management.endpoints.web.exposure.include=cutover")
                .withBean(CutoverMappings.class, () -> migrations -> migrations.migration("accounts", ACCOUNTS));
        disabled.run(context -> {
            assertThat(context).hasNotFailed();
            assertNothingOfTheStarter(context);
            assertThat(context).doesNotHaveBean(Cutover.class);
            DataSource plain = context.getBean(DataSource.class);
            assertThat(plain).isInstanceOf(HikariDataSource.class);
            try (Connection connection = plain.getConnection(); Statement statement = connection.createStatement()) {
                statement.executeUpdate("INSERT INTO accounts (id, balance) VALUES (1, 10)");
            }
            assertThat(count(sourceDb, "SELECT balance FROM accounts WHERE id = 1")).isEqualTo(10);
        });
        Cutover[] own = new Cutover[1];
        disabled.withBean("ownCutover", Cutover.class, () -> own[0] = ownRuntime(true)).run(context -> {
            assertThat(context).hasNotFailed();
            assertNothingOfTheStarter(context);
            assertThat(context.getBean(Cutover.class)).isSameAs(own[0]);
            assertThat(context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
        });
        assertThat(own[0]).isNotNull();
        own[0].close();
    }

    private static void assertNothingOfTheStarter(AssertableApplicationContext context) {
        assertThat(context).doesNotHaveBean(CutoverDataSource.class).doesNotHaveBean(CutoverProperties.class)
                .doesNotHaveBean(CutoverLifecycle.class).doesNotHaveBean(CutoverBackfills.class)
                .doesNotHaveBean(CutoverEndpoint.class).doesNotHaveBean(CutoverHealthIndicator.class)
                .doesNotHaveBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE)
                .doesNotHaveBean(CutoverAutoConfiguration.TARGET_DATA_SOURCE)
                .doesNotHaveBean(CutoverAutoConfiguration.STATE_DATA_SOURCE);
    }

    /** A runtime the application builds itself, with one migration registered. */
    private Cutover ownRuntime(boolean startQueueWorkers) {
        Cutover cutover = Cutover.builder(sourceDb.dataSource(), targetDb.dataSource()).createTables(true)
                .startQueueWorkers(startQueueWorkers).build();
        cutover.migration("accounts", ACCOUNTS);
        return cutover;
    }

    /**
     * A Cutover bean of the application's own replaces the runtime the starter would build, and
     * the rest is built around it: the wrapped primary DataSource, the lifecycle of its workers,
     * the backfills, the endpoint and the health indicator. The schema scripts need the two sides'
     * own DataSources, named with bean-name; without them start-up fails saying so.
     */
    @Test
    void aRuntimeOfTheApplicationsOwnServesTheWrapperLifecycleEndpointAndHealth() throws Exception {
        Cutover[] own = new Cutover[1];
        ApplicationContextRunner withOwn = runner.withUserConfiguration(Pools.class)
                .withBean("legacyUrl", String.class, sourceDb::jdbcUrl)
                .withBean("newUrl", String.class, targetDb::jdbcUrl)
                .withBean("ownCutover", Cutover.class, () -> own[0] = ownRuntime(false))
                .withPropertyValues("management.endpoints.web.exposure.include=cutover");
        withOwn.run(context -> assertThat(failure(context)).isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("cutover.source.bean-name").hasMessageContaining("its own Cutover bean"));
        if (own[0] != null) {
            own[0].close(); // the failed context may not have built it
        }
        withOwn.withPropertyValues("cutover.source.bean-name=legacyPool", "cutover.target.bean-name=newPool")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(Cutover.class)).isSameAs(own[0]);
                    assertThat(context).doesNotHaveBean(CutoverAutoConfiguration.CUTOVER)
                            .doesNotHaveBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE)
                            .doesNotHaveBean(CutoverAutoConfiguration.STATE_DATA_SOURCE);
                    assertThat(own[0].queueWorkersRunning()).as("started by the starter's lifecycle").isTrue();
                    CutoverEndpoint endpoint = context.getBean(CutoverEndpoint.class);
                    endpoint.update("accounts", "DUAL_WRITE", null, null, null, "alice", "mirror", SecurityContext.NONE);
                    assertThat(own[0].migration("accounts").stage()).isEqualTo(Stage.DUAL_WRITE);
                    DataSource wrapped = context.getBean(DataSource.class);
                    assertThat(wrapped).isInstanceOf(CutoverDataSource.class);
                    try (Connection connection = wrapped.getConnection(); Statement statement = connection.createStatement()) {
                        statement.executeUpdate("INSERT INTO accounts (id, balance) VALUES (9, 90)");
                    }
                    assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 9")).isEqualTo(90);
                    assertThat(context.getBean(CutoverHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
                });
        assertThat(own[0].queueWorkersRunning()).as("stopped by the lifecycle, the runtime closed with the context")
                .isFalse();
        assertThatThrownBy(() -> own[0].startQueueWorkers()).hasMessageContaining("closed");
    }

    /**
     * The application's own code writes through its primary DataSource; in DUAL_WRITE the row reaches
     * the target. Closing the context stops the workers, then closes the runtime, then the pools.
     */
    @Test
    void theWrappedPrimaryDataSourceMirrorsAWriteAndShutdownClosesInOrder() throws Exception {
        List<String> events = new ArrayList<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        withDatabases().withBean(MeterRegistry.class, () -> registry)
                .withBean(DestructionRecorder.class, () -> new DestructionRecorder(events))
                .run(context -> {
                    Cutover cutover = context.getBean(Cutover.class);
                    cutover.migration("accounts").moveTo(Stage.DUAL_WRITE, "test", "mirror");
                    try (Connection connection = context.getBean(DataSource.class).getConnection();
                         Statement statement = connection.createStatement()) {
                        statement.executeUpdate("INSERT INTO accounts (id, balance) VALUES (7, 70)");
                    }
                    assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 7")).isEqualTo(70);
                    assertThat(registry.get("cutover.flags.stage").tag("migration", "accounts").gauge().value())
                            .isEqualTo(Stage.DUAL_WRITE.ordinal());
                    assertThat(registry.get("cutover.dualwrite.writes").tag("migration", "accounts").tag("side", "source").tag("outcome", "success")
                            .functionCounter().count())
                            .isEqualTo(1);
                });
        assertThat(events).containsSubsequence("cutover (workers stopped)", "cutoverSourceDataSource (open)")
                .containsSubsequence("cutover (workers stopped)", "cutoverTargetDataSource (open)");
    }

    /**
     * Across dialects (PostgreSQL source, H2 target) the wrapper keeps reads on the primary unless
     * {@code cutover.data-source.cross-dialect-reads=true}; the two sides hold different balances, so the answer
     * names the side that served the read.
     */
    @Test
    void crossDialectReadsRouteReadsToATargetOfAnotherDialectOnlyWhenSet() {
        try (TestDatabase h2Target = TestDatabases.create(Engine.H2, "boottgth2")) {
            h2Target.execute(DDL, "INSERT INTO accounts (id, balance) VALUES (1, 200)");
            sourceDb.execute("INSERT INTO accounts (id, balance) VALUES (1, 100)");
            ApplicationContextRunner acrossDialects = withDatabases()
                    .withPropertyValues("cutover.target.url=" + h2Target.jdbcUrl());
            acrossDialects.run(context -> {
                assertThat(context.getBean(CutoverProperties.class).dataSource().crossDialectReads()).as("the default").isFalse();
                assertThat(readBalanceAtShiftReads(context)).as("served by the PostgreSQL source").isEqualTo(100);
                assertThat(context.getBean(Cutover.class).migration("accounts").router().counts().targetReads())
                        .isZero();
            });
            acrossDialects.withPropertyValues("cutover.data-source.cross-dialect-reads=true").run(context -> {
                assertThat(readBalanceAtShiftReads(context)).as("served by the H2 target").isEqualTo(200);
                assertThat(context.getBean(Cutover.class).migration("accounts").router().counts().targetReads())
                        .isEqualTo(1);
            });
        }
    }

    /** Moves to SHIFT_READS with every read on the target, and reads account 1 through the primary DataSource. */
    private static long readBalanceAtShiftReads(AssertableApplicationContext context) throws SQLException {
        assertThat(context).hasNotFailed();
        Migration migration = context.getBean(Cutover.class).migration("accounts");
        migration.moveTo(Stage.DUAL_WRITE, "test", "mirror");
        migration.moveTo(Stage.SHIFT_READS, "test", "read the target");
        migration.setTargetReadPercent(100, "test", "every read");
        try (Connection connection = context.getBean(DataSource.class).getConnection();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT balance FROM accounts WHERE id = 1")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    /** Named beans of the application serve as source and target, and outlive the runtime. */
    @Test
    void beanNameDataSourcesServeAsSourceAndTargetAndCloseAfterTheRuntime() {
        List<String> events = new ArrayList<>();
        runner.withUserConfiguration(Pools.class)
                .withBean("legacyUrl", String.class, sourceDb::jdbcUrl)
                .withBean("newUrl", String.class, targetDb::jdbcUrl)
                .withBean(DestructionRecorder.class, () -> new DestructionRecorder(events))
                .withBean(CutoverMappings.class, () -> migrations -> migrations.migration("accounts", ACCOUNTS))
                .withPropertyValues("cutover.source.bean-name=legacyPool", "cutover.target.bean-name=newPool",
                        "cutover.create-tables=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(CutoverAutoConfiguration.SOURCE_DATA_SOURCE);
                    Cutover cutover = context.getBean(Cutover.class);
                    cutover.migration("accounts").moveTo(Stage.DUAL_WRITE, "test", "mirror");
                    try (Connection connection = context.getBean(DataSource.class).getConnection();
                         Statement statement = connection.createStatement()) {
                        statement.executeUpdate("INSERT INTO accounts (id, balance) VALUES (8, 80)");
                    }
                    assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 8")).isEqualTo(80);
                    assertThat(count(sourceDb, "SELECT COUNT(*) FROM information_schema.tables"
                            + " WHERE table_name = 'cutover_flag_state'")).as("the runtime's tables are in the named source")
                            .isEqualTo(1);
                });
        assertThat(events).containsSubsequence("cutover (workers stopped)", "legacyPool (open)")
                .containsSubsequence("cutover (workers stopped)", "newPool (open)");
    }

    /** UP when all is well; the degraded status past a threshold; DOWN without the flag store. */
    @Test
    void healthReportsQueueThresholdsAndTheFlagStore() {
        withDatabases().withPropertyValues("cutover.retry-queue.max-attempts=1")
                .run(context -> {
                    CutoverHealthIndicator indicator = context.getBean(CutoverHealthIndicator.class);
                    Health healthy = indicator.health();
                    assertThat(healthy.getStatus()).isEqualTo(Status.UP);
                    assertThat(healthy.getDetails()).containsEntry("flagStore", "reachable");
                    Map<?, ?> accounts = (Map<?, ?>) ((Map<?, ?>) healthy.getDetails().get("migrations")).get("accounts");
                    assertThat(accounts.get("stage")).isEqualTo("SOURCE_ONLY");
                    assertThat(accounts.get("mirrorBreaker")).isEqualTo("CLOSED");

                    // An entry no replay can apply parks at once (max-attempts=1): an operator must look.
                    Cutover cutover = context.getBean(Cutover.class);
                    cutover.retryQueue().enqueue(CopyReplayHandler.entry("accounts", "no_such_entity", "1", Side.SOURCE));
                    Await.until("the entry is parked", () -> cutover.migration("accounts").queueDepth().parked() == 1);
                    Health parked = indicator.health();
                    assertThat(parked.getStatus().getCode()).isEqualTo("DEGRADED");
                    assertThat(parked.getDetails().get("problems").toString()).contains("cutover.health.max-parked");

                    sourceDb.execute("DROP TABLE cutover_flag_state");
                    Await.until("the flags see the outage", () -> cutover.flags().storeOutageSince().isPresent());
                    Health down = indicator.health();
                    assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(down.getDetails().get("flagStore").toString()).startsWith("unreachable since");
                });
    }

    /** The endpoint reads every migration and flips one, audited with the actor and reason given. */
    @Test
    void endpointReadsEachMigrationAndFlipsWithAnAuditedActor() {
        withDatabases().withBean("orders", CutoverMappings.class, () -> migrations -> migrations.migration("orders", ORDERS))
                .withPropertyValues("cutover.data-source.migrations=accounts",
                        "management.endpoints.web.exposure.include=cutover")
                .run(context -> {
                    CutoverEndpoint endpoint = context.getBean(CutoverEndpoint.class);
                    CutoverEndpoint.CutoverDescriptor all = endpoint.migrations();
                    assertThat(all.migrations()).containsOnlyKeys("accounts", "orders");
                    assertThat(all.migrations().get("orders").stage()).isEqualTo("SOURCE_ONLY");
                    assertThat(all.migrations().get("orders").queue().pending()).isZero();

                    CutoverEndpoint.MigrationDescriptor flipped = endpoint.update("orders", "dual_write", null, 10.0,
                            null, "alice", "start mirroring", SecurityContext.NONE);
                    assertThat(flipped.stage()).isEqualTo("DUAL_WRITE");
                    assertThat(flipped.shadowReadPercent()).isEqualTo(10.0);
                    assertThat(endpoint.migration("orders").stage()).isEqualTo("DUAL_WRITE");
                    assertThat(endpoint.migration("accounts").stage()).isEqualTo("SOURCE_ONLY");
                    List<FlagChange> audit = context.getBean(Cutover.class).flags().audit("orders", 10);
                    assertThat(audit).isNotEmpty().allSatisfy(change -> {
                        assertThat(change.actor()).isEqualTo("alice");
                        assertThat(change.reason()).isEqualTo("start mirroring");
                    });

                    assertThatThrownBy(() -> endpoint.update("orders", "TARGET_ONLY", null, null, null, "alice", "skip",
                            SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("SHIFT_READS");
                    assertThatThrownBy(() -> endpoint.update("orders", "SHIFT_READS", null, null, null, null, "who?",
                            SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("actor");
                    assertThat(endpoint.migration("orders").stage()).isEqualTo("DUAL_WRITE");
                    assertThat(endpoint.migration("nope")).isNull();
                });
    }

    /**
     * The endpoint starts, pauses, resumes and stops a migration's backfill, and shows its progress;
     * it refuses what the backfill cannot do, leaving the migration as it was.
     */
    @Test
    void endpointStartsPausesAndResumesABackfillAndShowsItsProgress() throws Exception {
        int history = 120;
        for (int id = 1; id <= history; id++) {
            sourceDb.execute("INSERT INTO accounts (id, balance) VALUES (" + id + ", " + id * 10 + ")");
        }
        targetDb.execute("INSERT INTO accounts (id, balance) VALUES (500, 1)"); // the source never had it
        // 40 rows per second in chunks of 10: about 3 s, time enough to pause it between chunks.
        withDatabases().withPropertyValues("cutover.backfill.rows-per-second=40", "cutover.backfill.min-chunk-size=10",
                        "cutover.backfill.max-chunk-size=10", "management.endpoints.web.exposure.include=cutover")
                .run(context -> {
                    CutoverEndpoint endpoint = context.getBean(CutoverEndpoint.class);
                    assertThat(endpoint.migration("accounts").backfill()).as("none started").isNull();
                    assertThatThrownBy(() -> endpoint.update("accounts", null, null, null, "start", "alice", "history",
                            SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("SOURCE_ONLY").hasMessageContaining("DUAL_WRITE");
                    assertThatThrownBy(() -> endpoint.update("accounts", "dual_write", null, null, "begin", "alice",
                            "history", SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("start, pause, resume, stop");
                    assertThat(endpoint.migration("accounts").stage()).as("nothing flipped").isEqualTo("SOURCE_ONLY");
                    assertThatThrownBy(() -> endpoint.update("accounts", null, null, null, "pause", "alice", "hold",
                            SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("No backfill of accounts is running");

                    CutoverEndpoint.MigrationDescriptor started = endpoint.update("accounts", "DUAL_WRITE", null, null,
                            "start", "alice", "copy the history", SecurityContext.NONE);
                    assertThat(started.stage()).isEqualTo("DUAL_WRITE");
                    assertThat(started.backfill()).isNotNull();
                    assertThatThrownBy(() -> endpoint.update("accounts", null, null, null, "start", "alice", "again",
                            SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("already running");

                    endpoint.update("accounts", null, null, null, "pause", "alice", "hold", SecurityContext.NONE);
                    Await.until("the backfill holds", () -> "PAUSED".equals(endpoint.migration("accounts").backfill().phase()));
                    CutoverEndpoint.BackfillDescriptor paused = endpoint.migration("accounts").backfill();
                    assertThat(paused.paused()).isTrue();
                    assertThat(paused.rowsTotal()).isEqualTo(history);
                    assertThat(paused.rowsDone()).isLessThan(history);
                    assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts WHERE id <= " + history))
                            .as("a paused backfill copies nothing more").isEqualTo(paused.rowsDone());

                    endpoint.update("accounts", null, null, null, "RESUME", "alice", "go on", SecurityContext.NONE);
                    Await.until("the backfill finishes", () -> "FINISHED".equals(endpoint.migration("accounts").backfill().phase()));
                    CutoverEndpoint.BackfillDescriptor finished = endpoint.migration("accounts").backfill();
                    assertThat(finished.rowsDone()).isEqualTo(history);
                    assertThat(finished.percentDone()).isEqualTo(100.0);
                    assertThat(finished.rowsDeleted()).as("the row the source never had").isEqualTo(1);
                    assertThat(finished.failure()).isNull();
                    assertThat(endpoint.migrations().migrations().get("accounts").backfill().phase()).isEqualTo("FINISHED");
                    assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts")).isEqualTo(history);
                    assertThat(count(targetDb, "SELECT SUM(balance) FROM accounts"))
                            .isEqualTo(count(sourceDb, "SELECT SUM(balance) FROM accounts"));
                    assertThatThrownBy(() -> endpoint.update("accounts", null, null, null, "stop", "alice", "done",
                            SecurityContext.NONE)).isInstanceOf(InvalidEndpointRequestException.class)
                            .hasMessageContaining("No backfill of accounts is running");
                });
    }

    /** Closing the context stops a running backfill after its chunk; the next start resumes from its checkpoint. */
    @Test
    void closingTheContextStopsARunningBackfillWhichResumesFromItsCheckpoint() throws Exception {
        int history = 200;
        for (int id = 1; id <= history; id++) {
            sourceDb.execute("INSERT INTO accounts (id, balance) VALUES (" + id + ", " + id + ")");
        }
        ApplicationContextRunner slow = withDatabases().withPropertyValues("cutover.backfill.rows-per-second=50",
                "cutover.backfill.min-chunk-size=10", "cutover.backfill.max-chunk-size=10");
        long[] stoppedAt = new long[1];
        slow.run(context -> {
            Cutover cutover = context.getBean(Cutover.class);
            cutover.migration("accounts").moveTo(Stage.DUAL_WRITE, "test", "mirror");
            CutoverBackfills backfills = context.getBean(CutoverBackfills.class);
            backfills.start("accounts");
            Await.until("a few chunks are copied", () -> backfills.status("accounts").orElseThrow().progress().chunks() >= 2);
            CutoverBackfills.Status running = backfills.status("accounts").orElseThrow();
            assertThat(running.progress().phase()).isEqualTo(BackfillProgress.Phase.COPYING);
            context.close();
            BackfillProgress stopped = backfills.status("accounts").orElseThrow().progress();
            assertThat(stopped.phase()).as("stopped by the context's close").isEqualTo(BackfillProgress.Phase.STOPPED);
            stoppedAt[0] = stopped.rowsDone();
        });
        assertThat(stoppedAt[0]).isBetween(20L, history - 1L);
        assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts")).isEqualTo(stoppedAt[0]);
        // Changed behind the wrapper's back, on the source only: a backfill that started over would copy
        // it, one that resumes after its checkpoint does not.
        sourceDb.execute("UPDATE accounts SET balance = -1 WHERE id = 1");
        withDatabases().run(context -> {
            CutoverBackfills backfills = context.getBean(CutoverBackfills.class);
            backfills.start("accounts");
            Await.until("the backfill finishes", () -> backfills.status("accounts").orElseThrow().progress().ended());
            BackfillProgress done = backfills.status("accounts").orElseThrow().progress();
            assertThat(done.phase()).isEqualTo(BackfillProgress.Phase.FINISHED);
            assertThat(done.rowsDone()).as("the earlier run's rows counted").isEqualTo(history);
            assertThat(count(targetDb, "SELECT COUNT(*) FROM accounts")).isEqualTo(history);
            assertThat(count(targetDb, "SELECT balance FROM accounts WHERE id = 1")).as("resumed, not started over")
                    .isEqualTo(1);
        });
    }

    /**
     * Over HTTP, Spring Boot serves the endpoint only when exposed, and its write operation only when
     * access is raised to unrestricted: flips are not open by default.
     */
    @Test
    void overHttpTheEndpointIsHiddenByDefaultAndReadOnlyUntilAccessIsRaised() {
        WebApplicationContextRunner web = new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CutoverAutoConfiguration.class,
                        CutoverActuatorAutoConfiguration.class, EndpointAutoConfiguration.class,
                        WebEndpointAutoConfiguration.class))
                .withPropertyValues("cutover.source.url=" + sourceDb.jdbcUrl(), "cutover.target.url=" + targetDb.jdbcUrl(),
                        "cutover.create-tables=true")
                .withBean(CutoverMappings.class, () -> migrations -> migrations.migration("accounts", ACCOUNTS));
        web.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(CutoverEndpoint.class);
            assertThat(webOperations(context)).isEmpty();
        });
        web.withPropertyValues("management.endpoints.web.exposure.include=cutover")
                .run(context -> assertThat(webOperations(context)).containsExactlyInAnyOrder(
                        "READ /actuator/cutover", "READ /actuator/cutover/{migration}"));
        // Upper case: SpringApplication's lenient enum conversion (which takes "unrestricted") is not in a bare runner.
        web.withPropertyValues("management.endpoints.web.exposure.include=cutover",
                        "management.endpoint.cutover.access=UNRESTRICTED")
                .run(context -> assertThat(webOperations(context)).containsExactlyInAnyOrder(
                        "READ /actuator/cutover", "READ /actuator/cutover/{migration}",
                        "WRITE /actuator/cutover/{migration}", "WRITE /actuator/cutover"));
    }

    private static List<String> webOperations(AssertableWebApplicationContext context) {
        return context.getBean(WebEndpointsSupplier.class).getEndpoints().stream()
                .filter(endpoint -> endpoint.getEndpointId().toString().equals("cutover"))
                .flatMap(endpoint -> endpoint.getOperations().stream())
                .map(operation -> operation.getType() + " /actuator/" + operation.getRequestPredicate().getPath())
                .toList();
    }

    /** Cutover's table scripts from the jars, with the default prefix, one statement per element. */
    private static String[] scripts(String... resources) throws java.io.IOException {
        List<String> statements = new java.util.ArrayList<>();
        for (String resource : resources) {
            try (java.io.InputStream in = CutoverAutoConfigurationTest.class.getClassLoader()
                    .getResourceAsStream(resource)) {
                String sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                        .replace("${prefix}", "cutover_").lines().filter(l -> !l.strip().startsWith("--"))
                        .collect(java.util.stream.Collectors.joining("\n"));
                for (String statement : sql.split(";")) {
                    if (!statement.isBlank()) {
                        statements.add(statement);
                    }
                }
            }
        }
        return statements.toArray(String[]::new);
    }

    private static Throwable failure(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        // The first exception under Spring's bean-creation wrappers: the one the starter threw.
        Throwable failure = context.getStartupFailure();
        while (failure instanceof BeansException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        return failure;
    }

    private static long count(TestDatabase db, String sql) throws SQLException {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }

    /** The application's own pools, as an application defines them. */
    @Configuration(proxyBeanMethods = false)
    static class Pools {
        @Bean
        HikariDataSource legacyPool(String legacyUrl) {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl(legacyUrl);
            return pool;
        }

        @Bean
        HikariDataSource newPool(String newUrl) {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl(newUrl);
            return pool;
        }
    }

    /** Writes down what each bean looked like as it was destroyed, in destruction order. */
    static final class DestructionRecorder implements DestructionAwareBeanPostProcessor {
        private final List<String> events;

        DestructionRecorder(List<String> events) {
            this.events = events;
        }

        @Override
        public void postProcessBeforeDestruction(Object bean, String beanName) {
            if (bean instanceof Cutover cutover) {
                events.add(beanName + (cutover.queueWorkersRunning() ? " (workers running)" : " (workers stopped)"));
            } else if (bean instanceof HikariDataSource pool) {
                events.add(beanName + (pool.isClosed() ? " (closed)" : " (open)"));
            }
        }
    }
}
