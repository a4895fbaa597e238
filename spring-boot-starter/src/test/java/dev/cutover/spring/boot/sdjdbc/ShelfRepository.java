package dev.cutover.spring.boot.sdjdbc;

import java.util.List;
import org.springframework.data.jdbc.repository.query.Modifying;
import org.springframework.data.jdbc.repository.query.Query;
import org.springframework.data.repository.ListCrudRepository;
import org.springframework.data.repository.query.Param;

public interface ShelfRepository extends ListCrudRepository<Shelf, String> {
    List<Shelf> findByLabel(String label);

    /** Lends one copy: a child row written by its two-column key, without loading the aggregate. */
    @Modifying
    @Query("UPDATE shelf_books SET copies = copies - 1 WHERE shelf_id = :shelf AND isbn = :isbn AND copies > 0")
    int lend(@Param("shelf") String shelf, @Param("isbn") String isbn);
}
