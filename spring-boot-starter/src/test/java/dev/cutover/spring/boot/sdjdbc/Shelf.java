package dev.cutover.spring.boot.sdjdbc;

import java.util.HashSet;
import java.util.Set;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Version;
import org.springframework.data.relational.core.mapping.MappedCollection;
import org.springframework.data.relational.core.mapping.Table;

/** The shelf aggregate: an id the application assigns ({@link LibraryApp#shelfIds()}), a version, a set of books. */
@Table("shelves")
public class Shelf {
    @Id
    String id;
    @Version
    Integer version;
    String label;
    @MappedCollection(idColumn = "shelf_id")
    Set<Book> books = new HashSet<>();

    Shelf() {
    }

    Shelf(String label, Set<Book> books) {
        this.label = label;
        this.books = new HashSet<>(books);
    }

    /** A set element: no index column; the table's key is (shelf_id, isbn). */
    @Table("shelf_books")
    public record Book(String isbn, int copies) {
    }
}
