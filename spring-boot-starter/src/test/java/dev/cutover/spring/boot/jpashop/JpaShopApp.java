package dev.cutover.spring.boot.jpashop;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.spring.boot.CutoverMappings;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** A second JPA shop, written as a team adopting the starter would: Spring Data JPA plus one mapping bean. */
@SpringBootApplication
public class JpaShopApp {
    static final String MIGRATION = "jpashop";

    @Bean
    CutoverMappings cutoverMappings(@Value("${jpashop.tags-key:}") String tagsKey) {
        if (!tagsKey.isEmpty()) {
            // A user's first try for the element collection's table: its owner's id as the key.
            return migrations -> migrations.migration(MIGRATION, buyers(), purchases(), lines(), audits(),
                    TableMapping.builder("buyer_tags").key(tagsKey, Long.class).columns("tag").build());
        }
        return migrations -> migrations.migration(MIGRATION, buyers(), purchases(), lines(), audits());
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
