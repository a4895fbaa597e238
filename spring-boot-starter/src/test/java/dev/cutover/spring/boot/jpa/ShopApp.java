package dev.cutover.spring.boot.jpa;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.spring.boot.CutoverMappings;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The application as a team adopting the starter writes it: plain Spring Data JPA plus one mapping bean. */
@SpringBootApplication
public class ShopApp {
    static final String MIGRATION = "shop";

    @Bean
    CutoverMappings cutoverMappings() {
        return migrations -> migrations.migration(MIGRATION,
                TableMapping.builder("customers").key("id", Long.class)
                        .columns("name", "email", "street", "city", "tier", "points", "created_at", "last_order_at",
                                "version")
                        .build(),
                TableMapping.builder("orders").key("id", Long.class)
                        .columns("customer_id", "status", "total", "placed_at", "version").build(),
                TableMapping.builder("order_lines").key("id", Long.class)
                        .columns("order_id", "sku", "quantity", "unit_price").build());
    }
}
