package dev.cutover.spring.boot.sdjdbc;

import dev.cutover.dualwrite.TableMapping;
import dev.cutover.spring.boot.CutoverMappings;
import java.util.UUID;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.relational.core.mapping.event.BeforeConvertCallback;

/**
 * A lending library on Spring Data JDBC, adopting the starter as a team would: the starter dependency,
 * Cutover's two URLs and one mapping bean. Spring Data JDBC writes a child table (a one-to-one, a list,
 * a map, a set) with its parent's id and the list index or map key: those columns are the child rows'
 * primary key, mapped with one {@code key(...)} per column. JPA is on this module's test class path for
 * other tests; a Spring Data JDBC application has none, so it is left out here.
 */
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class})
public class LibraryApp {
    static final String MIGRATION = "library";

    @Bean
    CutoverMappings cutoverMappings() {
        return migrations -> migrations.migration(MIGRATION,
                TableMapping.builder("members").key("id", Long.class)
                        .columns("version", "name", "points", "home_street", "home_city").build(),
                TableMapping.builder("member_cards").key("member_id", Long.class).columns("card_no", "tier").build(),
                TableMapping.builder("loans").key("member_id", Long.class).key("pos", Integer.class)
                        .columns("title", "due").build(),
                TableMapping.builder("member_prefs").key("member_id", Long.class).key("pref_key", String.class)
                        .columns("pref_value").build(),
                TableMapping.builder("shelves").key("id", String.class).columns("version", "label").build(),
                TableMapping.builder("shelf_books").key("shelf_id", String.class).key("isbn", String.class)
                        .columns("copies").build());
    }

    /** Shelves have assigned ids: the application picks them before Spring Data JDBC converts the aggregate. */
    @Bean
    BeforeConvertCallback<Shelf> shelfIds() {
        return shelf -> {
            if (shelf.id == null) {
                shelf.id = "sh-" + UUID.randomUUID();
            }
            return shelf;
        };
    }
}
