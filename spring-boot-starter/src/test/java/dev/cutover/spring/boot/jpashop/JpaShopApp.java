package dev.cutover.spring.boot.jpashop;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.spring.boot.CutoverMappings;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** A second JPA shop, written as a team adopting the starter would: Spring Data JPA plus one mapping bean. */
@SpringBootApplication
public class JpaShopApp {
    static final String MIGRATION = "jpashop";

    @Bean
    CutoverMappings cutoverMappings() {
        // The element collection's table has a two-column primary key: one key(...) per column.
        return migrations -> migrations.migration(MIGRATION, buyers(), purchases(), lines(), audits(),
                TableMapping.builder("buyer_tags").key("buyer_id", Long.class).key("tag", String.class).build());
    }

    private static TableMapping buyers() {
        return 
                TableMapping.builder("buyers").key("id", Long.class)
                        .columns("name", "email", "street", "city", "tier", "credit", "joined_at", "last_seen",
                                "version")
                        .build();
    }

    private static TableMapping purchases() {
        return TableMapping.builder("purchases").key("id", Long.class)
                        .columns("buyer_id", "status", "total", "placed_at", "version").build();
    }

    private static TableMapping lines() {
        return TableMapping.builder("purchase_lines").key("id", Long.class)
                        .columns("purchase_id", "sku", "quantity", "price").build();
    }

    private static TableMapping audits() {
        return TableMapping.builder("audit_events").key("id", Long.class)
                        .columns("buyer_id", "action", "at").build();
    }
}
