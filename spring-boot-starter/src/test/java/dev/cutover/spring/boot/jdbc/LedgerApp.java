package dev.cutover.spring.boot.jdbc;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.spring.boot.CutoverMappings;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A plain Spring JDBC application (JdbcTemplate, NamedParameterJdbcTemplate, SimpleJdbcInsert,
 * {@code @Transactional}, TransactionTemplate) adopting the starter with one mapping bean. JPA is on
 * this module's test class path for other tests; a JdbcTemplate application has none, so it is left
 * out here and the transaction manager is Boot's {@code DataSourceTransactionManager}.
 */
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class})
public class LedgerApp {
    static final String MIGRATION = "ledger";

    @Bean
    CutoverMappings cutoverMappings() {
        return migrations -> migrations.migration(MIGRATION,
                TableMapping.builder("accounts").key("id", Long.class).columns("owner", "balance").build(),
                TableMapping.builder("events").key("id", Long.class).columns("account_id", "amount", "kind").build());
    }
}
