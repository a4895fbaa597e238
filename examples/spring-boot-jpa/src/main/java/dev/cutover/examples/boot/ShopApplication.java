package dev.cutover.examples.boot;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.spring.boot.CutoverMappings;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A small shop on Spring Boot and Spring Data JPA, migrated by Cutover. What Cutover needs is the
 * starter dependency, the {@code cutover.*} lines of {@code application.properties} and the one
 * bean below; entities, repositories, service and controllers are plain Spring.
 *
 * <p>Runs on two in-memory H2 databases by default; pass {@code --cutover.source.url=...} and
 * {@code --cutover.target.url=...} (with {@code username}, {@code password}) for real ones.
 */
@SpringBootApplication
public class ShopApplication {
    /**
     * The tables the shop's DataSource writes, moved together as migration {@code shop}.
     *
     * @return the mapping bean
     */
    @Bean
    CutoverMappings cutoverMappings() {
        return migrations -> migrations.migration("shop",
                TableMapping.builder("customers").key("id", Long.class).columns("name", "email", "version").build(),
                TableMapping.builder("orders").key("id", Long.class)
                        .columns("customer_id", "status", "total", "version").build(),
                TableMapping.builder("order_lines").key("id", Long.class)
                        .columns("order_id", "sku", "quantity", "unit_price").build());
    }

    /**
     * Starts the shop.
     *
     * @param args Spring Boot arguments, e.g. {@code --cutover.source.url=jdbc:postgresql://...}
     */
    public static void main(String[] args) {
        SpringApplication.run(ShopApplication.class, args);
    }
}
